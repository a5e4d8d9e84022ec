"""The same project on Spark (local session) gives the same marts as on DuckDB, and treats bad input the same way.

As for PostgreSQL (test_engine_parity.py): every mart of the 500-customer sample row by row against the DuckDB
build, money to the cent, rates to 1e-9, the rest exactly; the bad-input fixture quarantined row for row alike;
the quarantine limit stopping the build with the same message (those two build only the models up to
raw_row_accounting). Also the loader's handling of absent tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_parity import (
    BAD_INPUT_VARS,
    QUARANTINE_TABLES,
    assert_accounting_alike,
    assert_every_mart_matches,
    assert_marts_hold_rows,
    assert_quarantined_alike,
)
from test_bad_input import AS_OF_DATE, FIXTURES, RAW_DIR

# The bad-input checks need the staging, quarantine and accounting models only.
QUARANTINE_MODELS = "+raw_row_accounting +path:models/staging/quarantine"


def test_every_mart_on_spark_matches_duckdb_row_by_row(parity_duckdb, parity_spark):
    assert_every_mart_matches(parity_duckdb, parity_spark, "Spark")


def test_marts_hold_rows_on_spark(parity_spark):
    """Guards the comparison above against two empty builds agreeing."""
    assert_marts_hold_rows(parity_spark)


def test_contracts_are_checked_as_data_tests_on_spark(parity_spark):
    """Spark cannot enforce the marts' contracts; a contract_columns test runs on each mart instead."""
    unchecked = [name for name in parity_spark.mart_contracts() if f"PASS contract_columns_{name}_ " not in parity_spark.output]
    assert not unchecked, f"marts without a passing contract_columns test on Spark: {unchecked}"


@pytest.fixture(scope="module")
def bad_input_builds(shared_build, build_on_spark):
    duckdb_build = shared_build(RAW_DIR, **BAD_INPUT_VARS)  # the DuckDB build test_bad_input.py reads too
    spark_build = build_on_spark(RAW_DIR, select=QUARANTINE_MODELS, **BAD_INPUT_VARS)
    assert duckdb_build.ok, duckdb_build.output[-5000:]
    assert spark_build.ok, spark_build.output[-5000:]
    return duckdb_build, spark_build


@pytest.mark.parametrize("table", QUARANTINE_TABLES)
def test_bad_rows_are_quarantined_alike_on_spark(bad_input_builds, table):
    assert_quarantined_alike(*bad_input_builds, table)


def test_raw_row_accounting_of_bad_input_is_exact_on_spark(bad_input_builds):
    assert_accounting_alike(*bad_input_builds)


def test_quarantine_limit_stops_the_spark_build_with_the_duckdb_message(bad_input_builds, build_on_spark):
    """The default limit again on the loaded bad input, building only the invoice lines' quarantine."""
    outcome = build_on_spark(Path(RAW_DIR), raw_format="csv", select="+quarantine_invoice_lines",
                             into=bad_input_builds[1], as_of_date=AS_OF_DATE)
    assert not outcome.ok
    assert "Quarantine limit passed for raw table" in outcome.output


def test_loader_makes_absent_optional_tables_empty_text_tables(tmp_path, monkeypatch, capsys):
    """The hand-worked fixture has no surveys or tickets: both become empty tables of string columns."""
    from churn_warehouse.targets import spark

    monkeypatch.setenv("CHURN_WAREHOUSE_SPARK_DIR", str(tmp_path / "spark"))
    loaded = spark.load_raw(FIXTURES / "hand_worked" / "raw", "csv", "raw")
    notices = capsys.readouterr().out
    assert loaded["survey_responses"] == 0 and loaded["support_tickets"] == 0
    assert loaded["customers"] > 0
    assert notices.count("Optional raw table 'survey_responses' is absent") == 1
    assert notices.count("Optional raw table 'support_tickets' is absent") == 1
    try:
        columns = spark.session().table("raw.support_tickets").dtypes
    finally:
        spark.close()
    assert [kind for _, kind in columns] == ["string"] * 7


def test_loader_refuses_a_raw_path_without_a_required_table(tmp_path):
    from churn_warehouse.targets import spark

    (tmp_path / "plans.csv").write_text("plan_id,plan_name,interval_months,currency,list_price\n")
    with pytest.raises(FileNotFoundError, match="'customers'"):
        spark.load_raw(tmp_path, "csv", "raw")


def test_loader_session_uses_the_spark_target_of_profiles_yml(monkeypatch, tmp_path):
    """The loader's session opens the metastore and warehouse dbt uses, with dbt-spark's ANSI setting."""
    from churn_warehouse.targets import spark

    monkeypatch.setenv("CHURN_WAREHOUSE_SPARK_DIR", str(tmp_path))
    parameters = spark.session_parameters()
    assert parameters["spark.sql.warehouse.dir"] == f"{tmp_path}/warehouse"
    assert parameters["spark.driver.extraJavaOptions"] == f"-Dderby.system.home={tmp_path}"
    monkeypatch.setenv("CHURN_WAREHOUSE_SPARK_JAVA_OPTIONS", "-XX:+UseSerialGC")
    assert spark.session_parameters()["spark.driver.extraJavaOptions"] == f"-XX:+UseSerialGC -Dderby.system.home={tmp_path}"
    assert parameters["spark.sql.session.timeZone"] == "UTC"
    assert parameters["spark.sql.ansi.enabled"] == "false"
