"""Compare the marts of two builds row by row: money to the cent, rates to 1e-9, everything else exactly."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from test_bad_input import AS_OF_DATE, expected_accounting

# Columns that say which build this was, not what the data says (settings_digest: of its dbt vars, billing_source
# among them).
BUILD_IDENTITY_COLUMNS = {"build_info": {"built_at", "invocation_id", "target_type", "raw_path", "raw_format",
                                         "settings_digest"}}
MONEY_TOLERANCE = 0.005
RATE_TOLERANCE = 1e-9
# Typed money of the quarantine tables, read as doubles: compared as money, not as exact numbers.
QUARANTINE_MONEY_COLUMNS = ("amount", "list_price", "rate_to_reporting")


def mart_differences(
    name: str, reference: pd.DataFrame, other: pd.DataFrame, money_columns: set[str], rate_columns: set[str]
) -> list[str]:
    """What differs between two frames of one mart, as readable lines (empty when they agree)."""
    skipped = BUILD_IDENTITY_COLUMNS.get(name, set())
    columns = [column for column in reference.columns if column not in skipped]
    if list(other.columns) != list(reference.columns):
        return [f"{name}: columns differ: {list(reference.columns)} != {list(other.columns)}"]
    if len(reference) != len(other):
        return [f"{name}: {len(reference)} rows on the reference, {len(other)} on the other engine"]
    exact = [column for column in columns if column not in money_columns | rate_columns]
    approximate = [column for column in columns if column in money_columns | rate_columns]

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        keyed = frame[columns].copy()
        for column in approximate:
            keyed[column] = pd.to_numeric(keyed[column]).round(4)
        order = keyed.sort_values(exact + approximate, na_position="first", kind="stable").index
        return frame.loc[order, columns].reset_index(drop=True)

    left, right = ordered(reference), ordered(other)
    problems: list[str] = []
    for column in columns:
        a, b = left[column], right[column]
        if column in approximate:
            tolerance = MONEY_TOLERANCE if column in money_columns else RATE_TOLERANCE
            a_num, b_num = pd.to_numeric(a).astype(float), pd.to_numeric(b).astype(float)
            both_null = a_num.isna() & b_num.isna()
            # Beyond about 1e13 a double cannot hold a cent: allow the engines' conversions a few units in the
            # last place there (the raw text of such a value is compared exactly in raw_values).
            spacing = pd.Series(np.spacing(np.maximum(a_num.abs(), b_num.abs())), index=a_num.index)
            bad = ~both_null & ~((a_num - b_num).abs() <= tolerance + 4 * spacing)
        else:
            bad = ~((a == b) | (a.isna() & b.isna()))
        if bad.any():
            first = bad.idxmax()
            problems.append(
                f"{name}.{column}: {int(bad.sum())} of {len(a)} rows differ, e.g. row {first}: "
                f"{a.iloc[first]!r} != {b.iloc[first]!r} (row: {left.iloc[first].to_dict()})"
            )
    return problems


def compare_marts(
    contract_types: dict[str, dict[str, str]],
    read_reference: Callable[[str], pd.DataFrame],
    read_other: Callable[[str], pd.DataFrame],
) -> list[str]:
    """Differences over every mart; money columns are the decimal ones of the contract, rates the float ones."""
    problems: list[str] = []
    for name, types in contract_types.items():
        money = {column for column, kind in types.items() if kind.startswith("decimal")}
        rates = {column for column, kind in types.items() if kind in ("double precision", "double", "float")}
        problems += mart_differences(name, read_reference(name), read_other(name), money, rates)
    return problems


# ------------------------------------------------------------------ checks shared by every server engine
# `reference` is a DuckDB build, `other` a build on the engine under test; both have `read(schema, name)`.

QUARANTINE_TABLES = (
    "customers", "plans", "subscriptions", "invoices", "invoice_lines", "payments", "exchange_rates", "events",
    "survey_responses", "support_tickets",
)
# The bad-input fixture built so that it passes: every bad row quarantined, none over the limit.
BAD_INPUT_VARS = {"raw_format": "csv", "as_of_date": AS_OF_DATE, "max_quarantine_share": 1}
# Marts that must hold rows, so that two empty builds never agree.
POPULATED_MARTS = ("mrr_monthly", "mrr_movements", "customer_cltv", "customer_health", "cohort_retention")


def assert_every_mart_matches(reference: Any, other: Any, engine: str) -> None:
    """Every mart of the other build's manifest equals the reference row by row."""
    contracts = other.mart_contracts()
    assert len(contracts) >= 17, f"expected every mart in the manifest, found {sorted(contracts)}"
    problems = compare_marts(
        contracts, lambda name: reference.read("marts", name), lambda name: other.read("marts", name)
    )
    assert not problems, f"{engine} marts differ from DuckDB:\n" + "\n".join(problems)


def assert_marts_hold_rows(build: Any) -> None:
    for name in POPULATED_MARTS:
        assert len(build.read("marts", name)) > 0, name


def assert_quarantined_alike(reference: Any, other: Any, table: str) -> None:
    """The quarantine of one raw table holds the same rows, reasons and raw values on both builds."""
    expected = reference.read("quarantine", f"quarantine_{table}")
    assert len(expected) > 0, f"the bad-input fixture quarantines rows of {table}"
    actual = other.read("quarantine", f"quarantine_{table}")
    money = set(QUARANTINE_MONEY_COLUMNS) & set(expected.columns)
    problems = mart_differences(f"quarantine_{table}", expected, actual, money, set())
    assert problems == [], problems


def assert_accounting_alike(reference: Any, other: Any) -> None:
    """raw_row_accounting equals the reference and counts every raw row of the fixture's files."""
    accounting = other.read("marts", "raw_row_accounting")
    assert mart_differences("raw_row_accounting", reference.read("marts", "raw_row_accounting"),
                            accounting, set(), {"share_of_raw_rows"}) == []
    raw_rows = accounting.groupby("table_name")["table_raw_rows"].first().to_dict()
    assert raw_rows == {table: counts["raw_rows"] for table, counts in expected_accounting().items()}
