"""Compare the marts of two builds row by row: money to the cent, rates to 1e-9, everything else exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

import pandas as pd

# Columns that say which build this was, not what the data says.
BUILD_IDENTITY_COLUMNS = {"build_info": {"built_at", "invocation_id", "target_type", "raw_path", "raw_format"}}
MONEY_TOLERANCE = 0.005
RATE_TOLERANCE = 1e-9


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
            bad = ~both_null & ~((a_num - b_num).abs() <= tolerance)
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
    marts: dict[str, tuple[str, ...]],
    contract_types: dict[str, dict[str, str]],
    read_reference: Callable[[str], pd.DataFrame],
    read_other: Callable[[str], pd.DataFrame],
) -> list[str]:
    """Differences over every mart; money columns are the decimal ones of the contract, rates the float ones."""
    problems: list[str] = []
    for name in marts:
        types = contract_types[name]
        money = {column for column, kind in types.items() if kind.startswith("decimal")}
        rates = {column for column, kind in types.items() if kind in ("double precision", "double", "float")}
        problems += mart_differences(name, read_reference(name), read_other(name), money, rates)
    return problems


def as_plain(value: object) -> object:
    """Decimals as floats, for messages."""
    return float(value) if isinstance(value, Decimal) else value
