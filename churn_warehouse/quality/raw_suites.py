"""Suites on the raw inputs, validated before `dbt build`: the data as a whole, never row by row.

Row-level rules (keys, enums, ranges, periods, currencies, single values of a bad type, future
timestamps) are quarantine's, in dbt staging; none of them is repeated here. What is checked:

- `raw_tables`: every required table is present and not empty; optional ones are announced when absent.
- `raw_columns`: every contract column is present, stored in a type that can hold the contract type.
- `raw_versions` (Stripe layout): a history table's version key, `(id, _fivetran_start)`, is unique.
- `raw_freshness`: each table's latest row against the as-of date.
- `raw_volume`: rows per complete day (per complete month for billing tables) against the trailing window's median ± k · sd.
- `raw_profile_<table>`: null shares of nullable attribute columns and the distribution of amounts and
  scores, month by month over the last months, against the months before them.

With dbt var `billing_source: stripe`, the six billing tables are the Stripe tables of stripe_contract.py
(named `stripe.<table>`) and are checked the same way.

Every frame is an aggregate that DuckDB computes from the files (raw_frames.py); each suite's coverage
note says which rows it holds.
"""

from __future__ import annotations

from churn_warehouse.quality.contract import BLOCKING_DISTRIBUTIONS
from churn_warehouse.quality.raw_frames import ProfileFrame, RawInputs
from churn_warehouse.quality.spec import BLOCKING, FROM_ROW, WARNING, RowColumn, SuiteSpec, expect, gx

# (contract type, stored type family) pairs that hold the contract type. CSV columns are text by the
# contract's own definition and are cast by staging, which quarantines a value that does not cast.
TYPE_FITS = [
    ("text", "text"),
    ("timestamp", "timestamp"), ("timestamp", "timestamp_tz"), ("timestamp", "text"),
    ("date", "date"), ("date", "text"),
    ("integer", "integer"),
    ("decimal", "decimal"), ("decimal", "float"), ("decimal", "integer"),
    ("boolean", "boolean"),
    *((contract_type, "csv_text") for contract_type in ("text", "timestamp", "date", "integer", "decimal", "boolean")),
]
# Typed columns stored as text in a Parquet file: staging casts them value by value, so this only warns.
TEXT_CASTS = [("integer", "text"), ("decimal", "text"), ("boolean", "text")]


def _is(column: str, value: object) -> object:
    """A GX row condition: the expectation applies to the rows where `column` equals `value`."""
    return RowColumn(column) == value


def tables_suite(raw: RawInputs) -> SuiteSpec:
    """Required tables present and not empty (blocking); optional tables present and not empty (warning)."""
    checks = []
    for kind, severity in (("required", BLOCKING), ("optional", WARNING)):
        condition = _is("is_required", kind == "required")
        article = "a" if kind == "required" else "an"
        checks += [
            expect(gx.expectations.ExpectColumnValuesToBeInSet, severity=severity, on_table=FROM_ROW,
                   on_column="(whole table)", rule=f"{article} {kind} raw table is present",
                   column="is_present", value_set=[True], row_condition=condition),
            expect(gx.expectations.ExpectColumnValuesToBeBetween, severity=severity, on_table=FROM_ROW,
                   on_column="(whole table)", rule=f"a present {kind} raw table has at least one row",
                   column="row_count", min_value=1, row_condition=condition),
        ]
    return SuiteSpec(
        name="raw_tables",
        stage="raw",
        coverage=(f"Every table of the raw contract, looked for in {raw.raw_path} as {raw.raw_format}"
                  + (" (the billing tables in the Stripe layout, under stripe/)." if raw.billing_source == "stripe"
                     else ".")),
        frame=raw.tables_frame(),
        index_columns=["table_name", "source", "row_count"],
        expectations=checks,
    )


def columns_suite(raw: RawInputs) -> SuiteSpec:
    """Contract columns present and stored in a fitting type (blocking); typed columns stored as text (warning)."""
    return SuiteSpec(
        name="raw_columns",
        stage="raw",
        coverage="Every contract column of every present table, with the type DuckDB reads from the file.",
        frame=raw.columns_frame(),
        index_columns=["table_name", "column_name", "contract_type", "stored_type"],
        expectations=[
            expect(gx.expectations.ExpectColumnValuesToNotBeNull, severity=BLOCKING, on_table=FROM_ROW,
                   on_column=FROM_ROW, rule="every column of the raw contract is present",
                   column="stored_type"),
            expect(gx.expectations.ExpectColumnPairValuesToBeInSet, severity=BLOCKING, on_table=FROM_ROW,
                   on_column=FROM_ROW, rule="the stored type can hold the contract type (text is cast by staging)",
                   column_A="contract_type", column_B="stored_family", value_pairs_set=TYPE_FITS + TEXT_CASTS,
                   ignore_row_if="either_value_is_missing"),
            expect(gx.expectations.ExpectColumnPairValuesToBeInSet, severity=WARNING, on_table=FROM_ROW,
                   on_column=FROM_ROW, rule="a typed contract column is stored in its type, not as text",
                   column_A="contract_type", column_B="stored_family", value_pairs_set=TYPE_FITS,
                   ignore_row_if="either_value_is_missing"),
        ],
    )


def versions_suite(raw: RawInputs) -> SuiteSpec:
    """Each version of a history table is one row (blocking).

    A connector's history keeps several rows per id, one per version; the build reads the current one
    (`_fivetran_active`). Two rows of one version mean the history itself is broken, so which version is
    current cannot be trusted. Duplicate ids among the rows read are dbt's: quarantined as duplicate_key.
    """
    frame, skipped = raw.versions_frame()
    return SuiteSpec(
        name="raw_versions",
        stage="raw",
        coverage="Every present table that keeps the versions of its rows: "
                 + (", ".join(f"{row.table_name} by ({row.version_key})" for row in frame.itertuples()) or "none")
                 + ".",
        frame=frame,
        index_columns=["table_name", "column_name", "row_count", "example"],
        expectations=[
            expect(gx.expectations.ExpectColumnValuesToBeBetween, severity=BLOCKING, on_table=FROM_ROW,
                   on_column=FROM_ROW, rule="each version of a history table is one row (its version key is unique)",
                   column="repeated_versions", max_value=0),
        ],
        skipped=skipped,
    )


def freshness_suite(raw: RawInputs) -> SuiteSpec:
    """Each dated table's latest row at most N days before the as-of date; billing tables block, others warn."""
    frame = raw.freshness_frame()
    checks = []
    for table in frame["table_name"]:
        limit = raw.freshness_limit(table)
        column = raw.checks[table].time_column
        checks.append(expect(
            gx.expectations.ExpectColumnValuesToBeBetween, severity=raw.checks[table].freshness_severity,
            on_table=table, on_column=column,
            rule=f"the latest {column} of {table} is at most {limit} days before the as-of date {raw.as_of_date}",
            column="days_behind_as_of", min_value=0, max_value=limit, row_condition=_is("table_name", table),
        ))
    return SuiteSpec(
        name="raw_freshness",
        stage="raw",
        coverage=(f"One row per dated table: its latest row date on or before the as-of date {raw.as_of_date} "
                  "(invoice lines are dated by their invoice)."),
        frame=frame,
        index_columns=["table_name", "time_column", "latest_date", "days_behind_as_of"],
        expectations=checks,
    )


def volume_suite(raw: RawInputs) -> SuiteSpec:
    """Rows per period within median ± k · sd of the trailing window: a drop blocks (billing, events), spikes warn."""
    settings = raw.settings
    frame = raw.volume_frame()
    checks, skipped, covered = [], [], []
    for table, table_checks in raw.checks.items():
        if table_checks.volume_grain is None:
            continue
        rows = frame[frame["table_name"] == table]
        if rows.empty:
            skipped.append(f"{table}: no {table_checks.volume_grain} with a full trailing window and enough rows "
                           "to judge (small or young data, or table absent)")
            continue
        unit = "day" if table_checks.volume_grain == "day" else "complete month"
        window = (f"{settings.volume_window_days} days" if table_checks.volume_grain == "day"
                  else f"{settings.volume_window_months} months (rows a day)")
        first, last = rows["period_start"].min(), rows["period_start"].max()
        covered.append(f"{table} per {unit} {first:%Y-%m-%d}..{last:%Y-%m-%d}")
        column = table_checks.time_column
        checks += [
            expect(gx.expectations.ExpectColumnValuesToBeBetween, severity=table_checks.volume_severity,
                   on_table=table, on_column=column,
                   rule=f"rows per {unit} of {table} do not drop below the median of the trailing {window} "
                        f"minus {settings.volume_k:g} robust sd",
                   column="robust_z", min_value=-settings.volume_k, row_condition=_is("table_name", table)),
            expect(gx.expectations.ExpectColumnValuesToBeBetween, severity=WARNING, on_table=table, on_column=column,
                   rule=f"rows per {unit} of {table} do not jump above the median of the trailing {window} "
                        f"plus {settings.volume_k:g} robust sd",
                   column="robust_z", max_value=settings.volume_k, row_condition=_is("table_name", table)),
        ]
    return SuiteSpec(
        name="raw_volume",
        stage="raw",
        coverage=("Row counts per complete day (before the as-of date, which is most often still in progress) or "
                  "complete month, with bounds from the trailing window "
                  "(robust sd = max(1.4826 MAD, sqrt(median)) a day, max(1.4826 MAD, "
                  f"{settings.volume_monthly_relative_floor:g} median) a month); covered: "
                  + ("; ".join(covered) or "nothing") + "."),
        frame=frame,
        index_columns=["table_name", "period_start", "row_count", "expected_low", "expected_high"],
        expectations=checks,
        skipped=skipped,
    )


def profile_suite(profile: ProfileFrame, raw: RawInputs) -> SuiteSpec:
    """Null shares (warning) and distributions of amounts (blocking) and scores (warning) of the recent months."""
    settings = raw.settings
    recent = _is("is_recent", True)
    checks, skipped = [], []
    for measure, bounds in profile.bounds.items():
        column = profile.raw_columns[measure]
        if bounds is None:
            skipped.append(f"{profile.table}.{column} ({measure}): fewer than {settings.profile_min_history_months} "
                           f"earlier months with {settings.profile_min_rows}+ rows")
            continue
        history = (f"median {bounds.median:.4g} ± {bounds.k:g} × {bounds.sd:.3g} "
                   f"of {bounds.history_size} earlier months")
        if measure.startswith("null_share__"):
            checks.append(expect(
                gx.expectations.ExpectColumnValuesToBeBetween, severity=WARNING, on_table=profile.table,
                on_column=column, rule=f"the monthly share of null {column} stays within {history}",
                column=measure, max_value=round(bounds.high, 4), row_condition=recent,
            ))
        else:
            checks.append(expect(
                gx.expectations.ExpectColumnValuesToBeBetween,
                severity=BLOCKING if measure in BLOCKING_DISTRIBUTIONS else WARNING,
                on_table=profile.table, on_column=column,
                rule=f"the monthly {measure.replace('_', ' ')} stays within {history}",
                column=measure, min_value=round(bounds.low, 4), max_value=round(bounds.high, 4), row_condition=recent,
            ))
    return SuiteSpec(
        name=f"raw_profile_{profile.table}",
        stage="raw",
        coverage=(f"{profile.table} per month of {raw.checks[profile.table].time_column} up to {raw.as_of_date}; "
                  f"the last {settings.recent_months} months are checked against the {settings.history_months} "
                  f"before them (months with at least {settings.profile_min_rows} rows)."),
        frame=profile.frame,
        index_columns=["month", "row_count"],
        expectations=checks,
        skipped=skipped,
    )


def raw_suites(raw: RawInputs) -> list[SuiteSpec]:
    """Every raw suite of this build, in the order they run."""
    suites = [tables_suite(raw), columns_suite(raw)]
    if any(table.version_key for table in raw.contract.values()):
        suites.append(versions_suite(raw))
    suites += [freshness_suite(raw), volume_suite(raw)]
    for table in raw.checks:
        profile = raw.profile_frame(table)
        if profile is not None:
            suites.append(profile_suite(profile, raw))
    return suites
