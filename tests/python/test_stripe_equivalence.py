"""The Stripe route gives the marts of the contract route: the same simulated world, written once in each
layout, builds into marts that are equal row by row (money to the cent, rates to 1e-9, everything else
exactly), at 5,000 customers on DuckDB here and at the engine-parity sample's 500 on PostgreSQL in
test_stripe_equivalence_postgres.py (beside the other PostgreSQL builds, in the second pytest process).

Two marts describe the input rather than the business and are compared on what must be equal:
`build_info` without the columns that name the build (its raw_path among them), and `raw_row_accounting`,
which counts rows per raw table: there the four non-billing tables must be equal row for row, the Stripe rows
that become contract rows must be staged, quarantined (per reason) and collapsed as the contract's are, and
the rows the Stripe route excludes must carry every reason the generator gives them cause for.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from conftest import BuildOutcome
from engine_parity import assert_marts_hold_rows, compare_marts
from churn_warehouse.build import build_and_publish
from churn_warehouse.generator import generate
from churn_warehouse.summary import fetch_summary

EQUIVALENCE_CUSTOMERS = 5_000
STRIPE = {"billing_source": "stripe"}
NON_BILLING = ("exchange_rates", "events", "survey_responses", "support_tickets")
# The contract table each Stripe table's rows become (subscription_item rows only name a subscription's plan).
BECOMES = {
    "customer": "customers", "price": "plans", "plan": "plans", "subscription_history": "subscriptions",
    "subscription": "subscriptions", "invoice": "invoices", "invoice_line_item": "invoice_lines",
    "charge": "payments", "refund": "payments",
}
# Every reason the generated export gives the Stripe route to exclude a row.
EXCLUSIONS = {"test_mode", "deleted", "superseded_version", "draft", "pending", "one_time_price",
              "refund_not_succeeded"}


def duckdb_mart_contracts(build: Any) -> dict[str, dict[str, str]]:
    """Every mart of a DuckDB build's manifest: column -> contract data type."""
    manifest = json.loads((Path(build.db_path).parent / "target" / "manifest.json").read_text(encoding="utf-8"))
    return {
        node["alias"]: {column: spec.get("data_type") or "" for column, spec in node["columns"].items()}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }


def assert_same_marts(contract: Any, stripe: Any, contracts: dict[str, dict[str, str]], where: str) -> None:
    """Every mart but raw_row_accounting equal row by row; raw_row_accounting on what must be equal."""
    assert len(contracts) >= 17 and "raw_row_accounting" in contracts, sorted(contracts)
    business = {name: types for name, types in contracts.items() if name != "raw_row_accounting"}
    problems = compare_marts(business, lambda name: contract.read("marts", name),
                             lambda name: stripe.read("marts", name))
    problems += accounting_differences(contract.read("marts", "raw_row_accounting"),
                                       stripe.read("marts", "raw_row_accounting"))
    assert not problems, f"{where}: the Stripe route's marts differ from the contract route's:\n" + "\n".join(problems)


def accounting_differences(contract: pd.DataFrame, stripe: pd.DataFrame) -> list[str]:
    """What differs in raw_row_accounting beyond the table names and the rows only the Stripe route has."""
    problems = []
    columns = ["table_name", "outcome", "reason", "row_count", "table_raw_rows"]

    def rows(frame: pd.DataFrame) -> list[tuple]:
        kept = frame[frame["table_name"].isin(NON_BILLING)][columns].astype(object)
        return sorted(tuple(None if pd.isna(v) else v for v in row) for row in kept.itertuples(index=False))

    if rows(contract) != rows(stripe):
        problems.append(f"raw_row_accounting, non-billing tables: {rows(contract)} != {rows(stripe)}")
    read = stripe[stripe["outcome"] != "excluded"].assign(table_name=lambda f: f["table_name"].map(BECOMES))
    outcomes = ["table_name", "outcome", "reason"]

    def totals(frame: pd.DataFrame) -> dict[tuple, int]:
        frame = frame[frame["table_name"].isin(set(BECOMES.values())) & (frame["row_count"] > 0)]
        summed = frame.fillna({"reason": ""}).groupby(outcomes)["row_count"].sum()
        return {key: int(count) for key, count in summed.items()}

    if totals(contract) != totals(read):
        problems.append(f"raw_row_accounting, billing rows by contract table: {totals(contract)} != {totals(read)}")
    excluded = set(stripe.loc[stripe["outcome"] == "excluded", "reason"])
    if excluded != EXCLUSIONS:
        problems.append(f"raw_row_accounting: excluded for {sorted(excluded)}, expected {sorted(EXCLUSIONS)}")
    return problems


# ------------------------------------------------------------------ DuckDB, 5,000 customers

@pytest.fixture(scope="module")
def duckdb_routes(build_warehouse, tmp_path_factory) -> tuple[BuildOutcome, BuildOutcome, Path]:
    """The same world at 5,000 customers built from each layout; the Stripe one by the whole job, as
    `scripts/demo.sh --billing-source stripe` runs it: validate raw, build, validate marts, publish."""
    contract_raw, stripe_raw = tmp_path_factory.mktemp("contract_5k"), tmp_path_factory.mktemp("stripe_5k")
    generate(contract_raw, customers=EQUIVALENCE_CUSTOMERS, months=36, seed=42)
    generate(stripe_raw, customers=EQUIVALENCE_CUSTOMERS, months=36, seed=42, billing_source="stripe")
    contract = build_warehouse(contract_raw)
    assert contract.ok, contract.output[-5000:]
    job = tmp_path_factory.mktemp("stripe_job")
    published = job / "warehouse.duckdb"
    result = build_and_publish({"raw_path": str(stripe_raw), **STRIPE}, published, job / "build" / "warehouse.duckdb",
                               echo=False)
    assert result.ok, result.output[-5000:]
    assert {"raw_versions", "raw_profile_stripe.invoice_line_item"} <= {s.suite for s in result.quality.raw.suites}
    return contract, BuildOutcome(ok=True, output=result.output, db_path=published), stripe_raw


def test_stripe_and_contract_layouts_give_the_same_marts_on_duckdb(duckdb_routes) -> None:
    contract, stripe, _ = duckdb_routes
    assert_same_marts(contract, stripe, duckdb_mart_contracts(contract), "DuckDB, 5,000 customers")
    assert_marts_hold_rows(stripe)


def test_the_published_stripe_job_states_the_contract_routes_summary_figures(duckdb_routes) -> None:
    contract, stripe, _ = duckdb_routes
    figures, expected = fetch_summary(stripe.db_path), fetch_summary(contract.db_path)
    assert set(figures.pop("marts")) == set(expected.pop("marts")) | {"data_quality_runs"}
    assert figures == expected and figures["customers"] == EQUIVALENCE_CUSTOMERS


def test_a_difference_in_the_billing_rows_is_caught(duckdb_routes) -> None:
    """Guards the comparison: one staged Stripe line less is a difference in the accounting."""
    contract, stripe, _ = duckdb_routes
    accounting = stripe.read("marts", "raw_row_accounting")
    staged = (accounting["table_name"] == "invoice_line_item") & (accounting["outcome"] == "staged")
    accounting.loc[staged, "row_count"] -= 1
    problems = accounting_differences(contract.read("marts", "raw_row_accounting"), accounting)
    assert len(problems) == 1 and "invoice_lines" in problems[0], problems


def test_a_stripe_export_without_a_required_column_stops_the_job_and_leaves_the_published_file(
    duckdb_routes, tmp_path
) -> None:
    """The next run reads an export whose invoice table lost customer_id: it stops, naming the Stripe table and
    column, and the warehouse published by the good run stays byte for byte as it was."""
    _, stripe, stripe_raw = duckdb_routes
    raw = tmp_path / "raw"
    shutil.copytree(stripe_raw, raw)
    invoices = raw / "stripe" / "invoice.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * exclude (customer_id) from read_parquet('{stripe_raw / 'stripe' / 'invoice.parquet'}'))"
            f" to '{invoices}' (format parquet)"
        )
    published = Path(stripe.db_path)
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    result = build_and_publish({"raw_path": str(raw), **STRIPE}, published, tmp_path / "build" / "warehouse.duckdb",
                               echo=False)
    assert not result.ok
    assert "stripe.invoice" in result.output and "customer_id" in result.output, result.output[-3000:]
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
