"""Great Expectations on raw data in the Stripe layout (billing_source stripe), without dbt: the Stripe tables are
looked for under <raw>/stripe/, their required columns checked, the history's versions kept apart, and every
failure names the Stripe table and column."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb
import pytest

from churn_warehouse.generator import generate
from churn_warehouse.quality.raw_frames import RawInputs
from churn_warehouse.quality.raw_suites import raw_suites
from churn_warehouse.quality.runner import QualityProject, StageReport
from churn_warehouse.quality.settings import QualitySettings

SETTINGS = QualitySettings()


@pytest.fixture(scope="module")
def stripe_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("stripe_raw")
    generate(raw, customers=200, months=18, seed=9, end_date=date(2025, 6, 20), billing_source="stripe")
    return raw


@pytest.fixture
def validate(tmp_path: Path) -> Callable[[Path], StageReport]:
    """Run the raw stage on a raw folder as a build with billing_source stripe does."""
    def run(raw: Path) -> StageReport:
        project = QualityProject(tmp_path / "work", SETTINGS)

        def plan():
            inputs = RawInputs(raw, "parquet", None, SETTINGS, billing_source="stripe")
            try:
                return raw_suites(inputs)
            finally:
                inputs.close()

        return project.run_stage("raw", plan)

    return run


def edited(source: Path, target: Path, table: str, sql: str | None) -> Path:
    """A copy of the raw folder whose Stripe `table` is rewritten by `sql` (reading `t`), or removed (None)."""
    shutil.copytree(source, target)
    path = target / "stripe" / f"{table}.parquet"
    if sql is None:
        path.unlink()
        return target
    with duckdb.connect() as connection:
        connection.execute(f"create table t as select * from read_parquet('{path}')")
        connection.execute(f"copy ({sql}) to '{path}' (format parquet)")
    return target


def blocking(report: StageReport) -> list[str]:
    assert report.error is None, report.error
    return [failure.message() for failure in report.blocking_failures]


def test_the_generated_stripe_export_passes_and_every_stripe_table_is_checked(stripe_raw, validate) -> None:
    report = validate(stripe_raw)
    assert blocking(report) == [] and report.passed
    suites = {suite.suite: suite for suite in report.suites}
    assert {"raw_tables", "raw_columns", "raw_versions", "raw_freshness", "raw_volume"} <= set(suites)
    assert "stripe.subscription_history by (id, _fivetran_start)" in suites["raw_versions"].coverage
    assert "raw_profile_stripe.invoice_line_item" in suites


def test_a_missing_required_stripe_table_blocks_naming_it_and_where_it_was_looked_for(
        stripe_raw, validate, tmp_path) -> None:
    messages = blocking(validate(edited(stripe_raw, tmp_path / "raw", "invoice", None)))
    assert any("table stripe.invoice," in m and "stripe/invoice.parquet (absent)" in m for m in messages), messages


def test_a_missing_required_stripe_column_blocks_naming_table_and_column(stripe_raw, validate, tmp_path) -> None:
    messages = blocking(validate(edited(stripe_raw, tmp_path / "raw", "charge", "select * exclude (created) from t")))
    assert any("table stripe.charge, column created" in m for m in messages), messages


def test_either_column_of_a_pair_and_the_history_free_subscription_table_are_accepted(
        stripe_raw, validate, tmp_path) -> None:
    raw = edited(stripe_raw, tmp_path / "raw", "invoice_line_item", "select * exclude (unique_id, price_id) from t")
    history = raw / "stripe" / "subscription_history.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"copy (select * exclude (_fivetran_start, _fivetran_end, _fivetran_active) "
                           f"from read_parquet('{history}') where _fivetran_active) "
                           f"to '{raw / 'stripe' / 'subscription.parquet'}' (format parquet)")
    history.unlink()
    report = validate(raw)
    assert blocking(report) == []
    tables = next(suite for suite in report.suites if suite.suite == "raw_tables")
    assert tables.evaluated > 0 and "raw_versions" not in {suite.suite for suite in report.suites}


def test_a_version_of_the_subscription_history_written_twice_blocks_naming_it(stripe_raw, validate, tmp_path) -> None:
    twice = "select * from t union all (select * from t where not _fivetran_active order by id limit 1)"
    messages = blocking(validate(edited(stripe_raw, tmp_path / "raw", "subscription_history", twice)))
    assert any("table stripe.subscription_history, column id, _fivetran_start" in m and "example=(S" in m
               for m in messages), messages
