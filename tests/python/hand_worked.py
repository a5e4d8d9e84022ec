"""Reading the hand-worked fixture's expected CSVs and comparing mart rows with them, row by row."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "hand_worked"
RAW_DIR = FIXTURE_DIR / "raw"
BUILD_VARS = {"raw_format": "csv", "as_of_date": "2024-07-10"}

Row = dict[str, Any]
Check = Callable[[Any, Any], bool]


def as_month(value: Any) -> str:
    """A month as 'YYYY-MM-DD', whatever type the warehouse returned."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def as_number(value: Any) -> float | None:
    """Decimal, float, int or CSV text as a float; null and '' as None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def as_text(value: Any) -> str:
    """Null and '' compare equal: the expected CSVs write null as ''."""
    return "" if value is None else str(value)


def numbers_match(expected: Any, actual: Any, tolerance: float) -> bool:
    want, got = as_number(expected), as_number(actual)
    if want is None or got is None:
        return want is None and got is None
    return abs(want - got) <= tolerance


def read_expected(name: str) -> list[Row]:
    with open(FIXTURE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def key_of(row: Row, key: Iterable[str]) -> tuple[str, ...]:
    return tuple(as_month(row[k]) if k.endswith("month") else as_text(row[k]) for k in key)


def compare_rows(expected: list[Row], actual: list[Row], key: tuple[str, ...], checks: dict[str, Check]) -> list[str]:
    """Differences between expected and actual rows, one readable line each (empty when equal)."""
    if actual:
        missing_columns = sorted((set(checks) | set(key)) - set(actual[0]))
        if missing_columns:
            return [f"mart lacks columns {missing_columns}"]
    problems: list[str] = []
    want = {key_of(r, key): r for r in expected}
    got: dict[tuple[str, ...], Row] = {}
    for row in actual:
        k = key_of(row, key)
        if k in got:
            problems.append(f"duplicate row for {dict(zip(key, k))}")
        got[k] = row
    for k in sorted(set(want) - set(got)):
        problems.append(f"missing row {dict(zip(key, k))}: expected {want[k]}")
    for k in sorted(set(got) - set(want)):
        problems.append(f"unexpected row {dict(zip(key, k))}: {got[k]}")
    for k in sorted(set(want) & set(got)):
        diffs = [
            f"{column}: expected {want[k][column]!r}, got {got[k][column]!r}"
            for column, same in checks.items()
            if not same(want[k][column], got[k][column])
        ]
        if diffs:
            problems.append(f"row {dict(zip(key, k))} differs: " + "; ".join(diffs))
    return problems


def fail_with(problems: list[str], what: str) -> None:
    if problems:
        pytest.fail(f"{what}: {len(problems)} difference(s)\n" + "\n".join(problems), pytrace=False)
