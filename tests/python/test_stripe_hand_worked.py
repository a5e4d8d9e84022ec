"""The Stripe route must stage exactly what was worked out by hand from docs/raw_contract.md (section Stripe).

The fixture (tests/fixtures/stripe_hand_worked) is a small Stripe account in the Fivetran layout; README.md
beside it explains every expected value. One build (billing_source: stripe) serves every test here.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import BuildOutcome
from hand_worked import as_text, compare_rows, fail_with

from churn_warehouse.build import run_dbt_build

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "stripe_hand_worked"
BUILD_VARS = {"raw_format": "csv", "as_of_date": "2024-04-10", "billing_source": "stripe",
              "max_quarantine_share": 0.5}
# Staged table -> its key and money columns (compared to the cent, exactly, as decimals).
STAGED = {
    "customers": (("customer_id",), ()),
    "plans": (("plan_id",), ("list_price",)),
    "subscriptions": (("subscription_id",), ()),
    "invoices": (("invoice_id",), ()),
    "invoice_lines": (("line_id",), ("amount",)),
    "payments": (("payment_id",), ("amount",)),
}


def read_expected(name: str) -> list[dict[str, str]]:
    with open(FIXTURE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def same_money(expected: Any, actual: Any) -> bool:
    """Equal to the cent: the staged decimal, rounded to cents, is the expected amount exactly."""
    if expected in ("", None) or actual is None:
        return expected in ("", None) and actual is None
    return Decimal(str(actual)).quantize(Decimal("0.01")) == Decimal(expected).quantize(Decimal("0.01"))


def same_text(expected: Any, actual: Any) -> bool:
    return as_text(expected) == as_text(actual)


@pytest.fixture(scope="module")
def stripe_build(tmp_path_factory: pytest.TempPathFactory) -> BuildOutcome:
    work_dir = tmp_path_factory.mktemp("stripe_hand_worked")
    result = run_dbt_build(
        work_dir / "warehouse.duckdb", {"raw_path": str(FIXTURE_DIR / "raw"), **BUILD_VARS}, work_dir=work_dir,
        echo=False, extra_args=["--exclude-resource-type", "unit_test"],
    )
    if not result.ok:
        pytest.fail("dbt build of the Stripe hand-worked fixture failed:\n" + result.output[-4000:], pytrace=False)
    return BuildOutcome(ok=result.ok, output=result.output, db_path=result.db_path)


@pytest.mark.parametrize("table", list(STAGED))
def test_stripe_rows_stage_as_worked_out_by_hand(stripe_build: BuildOutcome, table: str) -> None:
    key, money = STAGED[table]
    expected = read_expected(f"expected_stg_{table}.csv")
    actual = stripe_build.query(f"select * from staging.stg_{table}")
    checks = {column: (same_money if column in money else same_text) for column in expected[0] if column not in key}
    fail_with(compare_rows(expected, actual, key, checks), f"staging.stg_{table}")


def test_every_stripe_row_is_staged_quarantined_or_excluded_with_its_reason(stripe_build: BuildOutcome) -> None:
    expected = read_expected("expected_raw_row_accounting.csv")
    actual = stripe_build.query("select * from marts.raw_row_accounting where row_count > 0")
    checks = {"row_count": same_text, "table_raw_rows": same_text}
    fail_with(compare_rows(expected, actual, ("table_name", "outcome", "reason"), checks), "marts.raw_row_accounting")


def test_stripe_mrr_matches_hand_worked_months(stripe_build: BuildOutcome) -> None:
    expected = read_expected("expected_mrr_monthly.csv")
    actual = stripe_build.query("select * from marts.mrr_monthly")
    checks = {column: (same_text if column.endswith("customers") else same_money)
              for column in expected[0] if column != "month"}
    fail_with(compare_rows(expected, actual, ("month",), checks), "marts.mrr_monthly")


def test_stripe_only_reasons_are_quarantined_with_the_raw_values(stripe_build: BuildOutcome) -> None:
    rows = stripe_build.query(
        "select 'plans' as table_name, quarantine_reason, plan_id as row_key, raw_values from quarantine.quarantine_plans"
        " union all select 'invoice_lines', quarantine_reason, line_id, raw_values"
        " from quarantine.quarantine_invoice_lines order by 1"
    )
    assert [(r["table_name"], r["quarantine_reason"], r["row_key"]) for r in rows] == [
        ("invoice_lines", "unsupported_interval", "il_a3d"),
        ("plans", "unsupported_interval", "price_daily"),
    ]
    assert all("source_table=" in r["raw_values"] for r in rows)
