"""A suite as code: the frame it validates, its expectations (each blocking or warning) and what it covers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.expectations.metadata_types import FailureSeverity  # noqa: E402
from great_expectations.expectations.row_conditions import Column as RowColumn  # noqa: E402

from churn_warehouse.quality.settings import BLOCKING, WARNING  # noqa: E402

__all__ = ["BLOCKING", "FROM_ROW", "WARNING", "RowColumn", "SuiteSpec", "expect", "gx"]

# `on_table` / `on_column` of an expectation whose offending rows name the table (`table_name`) or column
# (`column_name`) themselves, because one expectation covers many tables.
FROM_ROW = "(from row)"

_GX_SEVERITY = {BLOCKING: FailureSeverity.CRITICAL, WARNING: FailureSeverity.WARNING}


@dataclass
class SuiteSpec:
    """One GX suite and the one frame it validates.

    `stage` is `raw` or `marts`; `coverage` says in plain words which rows the frame holds (and so what
    the suite covers); `index_columns` identify an offending row in failure messages; `skipped` lists
    checks that could not be made on this data, with the reason.
    """

    name: str
    stage: str
    coverage: str
    frame: pd.DataFrame
    index_columns: list[str]
    expectations: list[gx.expectations.Expectation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def expect(
    expectation_class: type[gx.expectations.Expectation],
    *,
    severity: str,
    on_table: str,
    on_column: str,
    rule: str,
    **kwargs: object,
) -> gx.expectations.Expectation:
    """An expectation marked blocking or warning, about a raw table (or mart) and column.

    `on_table` / `on_column` name what the check is about in the data (not the frame's column, which is a
    GX argument among `kwargs`); FROM_ROW means the offending rows of the frame name it. `meta` carries
    severity, table, column and rule for the run log and messages; GX's own `severity` field says the same
    (critical or warning) in Data Docs; `notes` spells the rule out there.
    """
    if severity not in _GX_SEVERITY:
        raise ValueError(f"severity must be {BLOCKING!r} or {WARNING!r}, got {severity!r}")
    return expectation_class(
        meta={"severity": severity, "table": on_table, "column": on_column, "rule": rule},
        notes=f"{severity.upper()}: {rule}",
        severity=_GX_SEVERITY[severity],
        **kwargs,
    )
