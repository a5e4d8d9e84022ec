"""Suites on the marts, validated after `dbt build` on the build file and before it is published.

dbt tests guard the model logic (keys, identities, accounting, months without gaps); these suites guard
the figures as a reader sees them:

- `marts_<mart>`: every bounded figure of docs/metrics.md found in the mart lies in [0, 1] (NPS in
  [-100, 100]); blocking. Marts are discovered in the build file, so a mart that is not built yet is
  skipped without failing, and the figures no mart has yet are listed.
- `marts_mrr_monthly` adds: month-over-month MRR change within a configurable band (blocking) and
  plausible monthly NRR and GRR (warnings), after the first months of history. An empty mart (no month
  complete up to the as-of date yet) passes with nothing to check, and the plan lists it as empty.
- `marts_raw_row_accounting`: quarantined rows and collapsed duplicates below the build-stopping share,
  reported as warnings (the dbt build already stopped when a share was above `max_quarantine_share`).

Memory: each frame holds a mart's key and bounded columns only; a mart with more rows than
`mart_row_limit` is validated on its latest partition, and its coverage note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from churn_warehouse.quality.settings import QualitySettings
from churn_warehouse.quality.spec import BLOCKING, FROM_ROW, WARNING, RowColumn, SuiteSpec, expect, gx

# The bounded figures of docs/metrics.md ("always in [0, 1] or null"); `win_back_` names a family of columns.
BOUNDED_FIGURES = (
    "customer_churn_rate", "gross_revenue_churn_rate", "grr", "logo_retention", "reactivation_rate",
    "win_back_", "expansion_share", "csat", "response_rate", "p_alive", "risk_score",
)
# Figures bounded otherwise: NPS lies in [-100, 100].
SCALED_FIGURES = {"nps": (-100.0, 100.0)}
# Columns that identify a row in a failure message, when the mart has them.
KEY_COLUMNS = (
    "month", "cohort_month", "months_since_start", "dimension", "dimension_value", "segment",
    "customer_id", "survey_type", "as_of_date",
)
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")


def _bounded_name(column: str) -> str | None:
    """The docs/metrics.md figure a column is, or None."""
    for figure in BOUNDED_FIGURES:
        if column == figure or (figure.endswith("_") and column.startswith(figure)):
            return figure
    return None


@dataclass
class MartsPlan:
    """The mart suites of one build, the bounded figures no built mart has yet, and the marts without rows."""

    suites: list[SuiteSpec]
    missing_figures: list[str] = field(default_factory=list)
    empty_marts: list[str] = field(default_factory=list)


class MartReader:
    """Read-only access to the marts of a finished build file."""

    def __init__(self, db_path: Path, settings: QualitySettings) -> None:
        self.settings = settings
        self.connection = duckdb.connect(str(db_path), read_only=True)
        rows = self.connection.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        self.columns: dict[str, dict[str, str]] = {}
        for table, column, data_type in rows:
            self.columns.setdefault(table, {})[column] = data_type.upper()

    def is_empty(self, mart: str) -> bool:
        return not self.connection.execute(f"select exists (select 1 from marts.{mart})").fetchall()[0][0]

    def close(self) -> None:
        self.connection.close()

    def frame(self, mart: str, columns: list[str]) -> tuple[pd.DataFrame, str]:
        """The mart's `columns`; its latest partition only when it has more rows than `mart_row_limit`."""
        select = ", ".join(f'"{column}"' for column in columns)
        total = self.connection.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
        partition = next((c for c in ("month", "cohort_month", "as_of_date") if c in self.columns[mart]), None)
        if total > self.settings.mart_row_limit and partition:
            latest = self.connection.execute(f"select max({partition}) from marts.{mart}").fetchall()[0][0]
            frame = self.connection.execute(
                f"select {select} from marts.{mart} where {partition} = ?", [latest]
            ).df()
            return frame, (f"the latest partition ({partition} = {latest}: {len(frame):,} of {total:,} rows; "
                           f"the mart has more than {self.settings.mart_row_limit:,} rows)")
        if total > self.settings.mart_row_limit:
            frame = self.connection.execute(
                f"select {select} from marts.{mart} using sample reservoir({self.settings.mart_row_limit} rows) "
                "repeatable (42)"
            ).df()
            return frame, f"a repeatable sample of {len(frame):,} of {total:,} rows (no partition column)"
        frame = self.connection.execute(f"select {select} from marts.{mart}").df()
        return frame, f"all {total:,} rows"


def _figure_columns(columns: dict[str, str]) -> tuple[list[str], list[str]]:
    """The numeric columns of a mart that are bounded figures in [0, 1], and those bounded otherwise (NPS)."""
    numeric = [c for c, data_type in columns.items() if data_type.startswith(_NUMERIC)]
    return [c for c in numeric if _bounded_name(c)], [c for c in numeric if c in SCALED_FIGURES]


def _figure_checks(mart: str, bounded: list[str], scaled: list[str]) -> list[gx.expectations.Expectation]:
    """One blocking expectation per bounded figure column."""
    checks = [
        expect(gx.expectations.ExpectColumnValuesToBeBetween, severity=BLOCKING, on_table=f"marts.{mart}",
               on_column=column, rule=f"{column} is a bounded figure of docs/metrics.md: in [0, 1] or null",
               column=column, min_value=0, max_value=1)
        for column in bounded
    ]
    for column in scaled:
        low, high = SCALED_FIGURES[column]
        checks.append(expect(
            gx.expectations.ExpectColumnValuesToBeBetween, severity=BLOCKING, on_table=f"marts.{mart}",
            on_column=column, rule=f"{column} lies in [{low:g}, {high:g}] (docs/metrics.md)",
            column=column, min_value=low, max_value=high,
        ))
    return checks


def bounded_suite(reader: MartReader, mart: str) -> SuiteSpec | None:
    """Every bounded figure of the mart in its bounds (blocking); None when the mart has no bounded figure."""
    columns = reader.columns[mart]
    bounded, scaled = _figure_columns(columns)
    if not bounded and not scaled:
        return None
    keys = [c for c in KEY_COLUMNS if c in columns]
    frame, covered = reader.frame(mart, keys + bounded + scaled)
    return SuiteSpec(
        name=f"marts_{mart}", stage="marts",
        coverage=f"marts.{mart}: {covered}; bounded figures {', '.join(bounded + scaled)}.",
        frame=frame, index_columns=keys, expectations=_figure_checks(mart, bounded, scaled),
    )


def mrr_monthly_suite(reader: MartReader) -> SuiteSpec | None:
    """mrr_monthly: bounded figures, the month-over-month MRR band (blocking), plausible NRR and GRR (warnings)."""
    settings = reader.settings
    columns = reader.columns["mrr_monthly"]
    if not {"month", "mrr"} <= set(columns):
        return bounded_suite(reader, "mrr_monthly")
    bounded, scaled = _figure_columns(columns)
    wanted = list(dict.fromkeys(["month", "mrr", *(c for c in ("nrr", "grr") if c in columns), *bounded, *scaled]))
    frame, covered = reader.frame("mrr_monthly", wanted)
    frame = frame.sort_values("month").reset_index(drop=True)
    mrr = frame["mrr"].astype(float).to_numpy()
    previous = frame["mrr"].astype(float).shift().to_numpy()  # works on an empty mart: no month complete yet
    after_warmup = np.arange(len(frame)) >= settings.mrr_warmup_months
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(after_warmup & (previous > 0), mrr / previous - 1, np.nan)
    frame["previous_mrr"] = previous
    frame["mrr_change"] = np.round(change, 4)
    frame["is_after_warmup"] = after_warmup
    band = f"[{settings.mrr_change_min:+.0%}, {settings.mrr_change_max:+.0%}]"
    checks = _figure_checks("mrr_monthly", bounded, scaled)
    checks.append(expect(
        gx.expectations.ExpectColumnValuesToBeBetween, severity=BLOCKING, on_table="marts.mrr_monthly",
        on_column="mrr",
        rule=(f"month-over-month MRR change stays within {band} after the first {settings.mrr_warmup_months} "
              "months (a larger move is far more often missing or doubled billing data than business)"),
        column="mrr_change", min_value=settings.mrr_change_min, max_value=settings.mrr_change_max,
    ))
    warm = RowColumn("is_after_warmup") == True  # noqa: E712
    if "nrr" in frame.columns:
        checks.append(expect(
            gx.expectations.ExpectColumnValuesToBeBetween, severity=WARNING, on_table="marts.mrr_monthly",
            on_column="nrr",
            rule=f"monthly NRR is plausible: in [{settings.nrr_plausible_min:g}, {settings.nrr_plausible_max:g}]",
            column="nrr", min_value=settings.nrr_plausible_min, max_value=settings.nrr_plausible_max,
            row_condition=warm,
        ))
    if "grr" in frame.columns:
        checks.append(expect(
            gx.expectations.ExpectColumnValuesToBeBetween, severity=WARNING, on_table="marts.mrr_monthly",
            on_column="grr", rule=f"monthly GRR is plausible: at least {settings.grr_plausible_min:g}",
            column="grr", min_value=settings.grr_plausible_min, row_condition=warm,
        ))
    return SuiteSpec(
        name="marts_mrr_monthly", stage="marts",
        coverage=(f"marts.mrr_monthly: {covered}; bounded figures {', '.join(bounded + scaled)}; MRR change "
                  f"and NRR/GRR plausibility from month {settings.mrr_warmup_months + 1} of the history on."),
        frame=frame, index_columns=["month", "mrr", "previous_mrr"], expectations=checks,
    )


def accounting_suite(reader: MartReader) -> SuiteSpec | None:
    """Quarantined rows and collapsed duplicates of raw_row_accounting, reported as warnings."""
    if "raw_row_accounting" not in reader.columns:
        return None
    columns = ["table_name", "outcome", "reason", "row_count", "table_raw_rows"]
    frame, covered = reader.frame("raw_row_accounting", columns)
    frame = frame[frame["row_count"] > 0].reset_index(drop=True)
    return SuiteSpec(
        name="marts_raw_row_accounting", stage="marts",
        coverage=f"marts.raw_row_accounting: {covered} (outcomes with at least one row).",
        frame=frame, index_columns=columns,
        expectations=[
            expect(gx.expectations.ExpectColumnValuesToNotBeInSet, severity=WARNING, on_table=FROM_ROW,
                   on_column="(the column its reason reads: see the quarantine lines)",
                   rule="no raw row is quarantined (see quarantine.quarantine_<table>; above "
                        "max_quarantine_share the dbt build stops instead)",
                   column="outcome", value_set=["quarantined"]),
            expect(gx.expectations.ExpectColumnValuesToNotBeInSet, severity=WARNING, on_table=FROM_ROW,
                   on_column="(whole row)",
                   rule="no raw row is repeated byte for byte (repeats are collapsed and counted)",
                   column="outcome", value_set=["collapsed_duplicate"]),
        ],
    )


def mart_suites(db_path: Path, settings: QualitySettings) -> MartsPlan:
    """Every mart suite of the build file at `db_path`, and the bounded figures that no built mart has yet."""
    reader = MartReader(db_path, settings)
    try:
        suites: list[SuiteSpec] = []
        for mart in sorted(reader.columns):
            suite = mrr_monthly_suite(reader) if mart == "mrr_monthly" else (
                accounting_suite(reader) if mart == "raw_row_accounting" else bounded_suite(reader, mart))
            if suite is not None:
                suites.append(suite)
        found = {_bounded_name(c) for columns in reader.columns.values() for c in columns} | {
            c for columns in reader.columns.values() for c in columns if c in SCALED_FIGURES}
        missing = [
            (figure + "*" if figure.endswith("_") else figure)
            for figure in (*BOUNDED_FIGURES, *SCALED_FIGURES) if figure not in found
        ]
        empty = [mart for mart in sorted(reader.columns) if reader.is_empty(mart)]
        return MartsPlan(suites=suites, missing_figures=missing, empty_marts=empty)
    finally:
        reader.close()
