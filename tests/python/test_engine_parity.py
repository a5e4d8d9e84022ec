"""The same project on PostgreSQL gives the same marts as on DuckDB, and treats bad input the same way.

Every mart of the sample at 500 customers is compared row by row with the DuckDB build: money (decimal
columns) to the cent, rates (float columns) to 1e-9, everything else exactly. The bad-input fixture is
quarantined row for row alike, and the quarantine limit stops the build with the same message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_parity import compare_marts, mart_differences
from test_bad_input import AS_OF_DATE, RAW_DIR, expected_accounting

QUARANTINE_TABLES = (
    "customers", "plans", "subscriptions", "invoices", "invoice_lines", "payments", "exchange_rates", "events",
    "survey_responses", "support_tickets",
)


def test_every_mart_on_postgres_matches_duckdb_row_by_row(parity_duckdb, parity_postgres):
    contracts = parity_postgres.mart_contracts()
    assert len(contracts) >= 17, f"expected every mart in the manifest, found {sorted(contracts)}"
    problems = compare_marts(
        contracts, contracts,
        lambda name: parity_duckdb.read("marts", name),
        lambda name: parity_postgres.read("marts", name),
    )
    assert not problems, "PostgreSQL marts differ from DuckDB:\n" + "\n".join(problems)


def test_marts_hold_rows_on_postgres(parity_postgres):
    """Guards the comparison above against two empty builds agreeing."""
    for name in ("mrr_monthly", "mrr_movements", "customer_cltv", "customer_health", "cohort_retention"):
        assert len(parity_postgres.read("marts", name)) > 0, name


@pytest.fixture(scope="module")
def bad_input_builds(build_warehouse, build_on_postgres):
    variables = {"raw_format": "csv", "as_of_date": AS_OF_DATE, "max_quarantine_share": 1}
    duckdb_build = build_warehouse(RAW_DIR, **variables)
    postgres_build = build_on_postgres(RAW_DIR, **variables)
    assert duckdb_build.ok, duckdb_build.output[-5000:]
    assert postgres_build.ok, postgres_build.output[-5000:]
    return duckdb_build, postgres_build


@pytest.mark.parametrize("table", QUARANTINE_TABLES)
def test_bad_rows_are_quarantined_alike_on_postgres(bad_input_builds, table):
    duckdb_build, postgres_build = bad_input_builds
    reference = duckdb_build.read("quarantine", f"quarantine_{table}")
    other = postgres_build.read("quarantine", f"quarantine_{table}")
    assert len(reference) > 0, f"the bad-input fixture quarantines rows of {table}"
    assert mart_differences(f"quarantine_{table}", reference, other, set(), set()) == []


def test_raw_row_accounting_of_bad_input_is_exact_on_postgres(bad_input_builds):
    duckdb_build, postgres_build = bad_input_builds
    accounting = postgres_build.read("marts", "raw_row_accounting")
    assert mart_differences("raw_row_accounting", duckdb_build.read("marts", "raw_row_accounting"),
                            accounting, set(), {"share_of_raw_rows"}) == []
    raw_rows = accounting.groupby("table_name")["table_raw_rows"].first().to_dict()
    assert raw_rows == {table: counts["raw_rows"] for table, counts in expected_accounting().items()}


def test_quarantine_limit_stops_the_postgres_build_and_leaves_the_published_marts_untouched(
    build_on_postgres, parity_postgres
):
    """The bad input, loaded over the parity database's raw tables, fails with the DuckDB message and
    publishes nothing: the marts published by the parity build stay as they were."""
    published = parity_postgres.read("marts", "mrr_monthly")
    assert "Published on postgres" in parity_postgres.output
    failed = build_on_postgres(Path(RAW_DIR), raw_format="csv", into=parity_postgres, as_of_date=AS_OF_DATE)
    assert not failed.ok
    assert "Quarantine limit passed for raw table" in failed.output
    assert "Published on postgres" not in failed.output
    assert mart_differences("mrr_monthly", published, parity_postgres.read("marts", "mrr_monthly"), set(), set()) == []
