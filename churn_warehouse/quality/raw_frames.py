"""What the raw suites validate: small frames of aggregates that DuckDB computes straight from the raw files.

No raw row is loaded into pandas: at 100,000 customers the events table alone has millions of rows. The
frames are one row per table, per contract column, per day or month, so they stay a few thousand rows at
any scale, and DuckDB streams the files to compute them.
"""

from __future__ import annotations

import glob
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd

from churn_warehouse.quality.bounds import MAD_TO_SD, Bounds, robust_bounds, trailing_median_and_mad
from churn_warehouse.quality.contract import TableChecks, TableContract, raw_reader_sql, source_tables
from churn_warehouse.quality.runner import NamedFailure
from churn_warehouse.quality.settings import QualitySettings
from churn_warehouse.resources import MEMORY_LIMIT_VARIABLE, available_memory, default_memory_limit

# DuckDB type name (without parameters) -> the family the type rules of raw_suites.py speak of.
_TYPE_FAMILIES = {
    "VARCHAR": "text",
    "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer", "BIGINT": "integer",
    "HUGEINT": "integer", "UTINYINT": "integer", "USMALLINT": "integer", "UINTEGER": "integer",
    "UBIGINT": "integer",
    "DECIMAL": "decimal", "DOUBLE": "float", "FLOAT": "float",
    "DATE": "date",
    "TIMESTAMP": "timestamp", "TIMESTAMP_S": "timestamp", "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp_tz",
    "BOOLEAN": "boolean",
}


def _ident(table: str) -> str:
    """A table's name as part of a DuckDB identifier (`stripe.invoice` → `stripe__invoice`)."""
    return table.replace(".", "__")


def is_empty_file(pattern: str) -> bool:
    """Every file the pattern names is 0 bytes: no table, not even a header row; read like an absent table."""
    files = [Path(name) for name in glob.glob(pattern)]
    return bool(files) and all(path.stat().st_size == 0 for path in files)


def type_family(stored_type: str | None, raw_format: str) -> str | None:
    """The family of a stored column type; every CSV column is read as text and cast by staging: `csv_text`."""
    if stored_type is None:
        return None
    if raw_format == "csv":
        return "csv_text"
    base = stored_type.split("(")[0].strip().upper()
    return _TYPE_FAMILIES.get(base, base.lower())


@dataclass
class ProfileFrame:
    """One raw table's monthly profile and, per measure, its bounds from history (None: too little history)."""

    table: str
    frame: pd.DataFrame
    bounds: dict[str, Bounds | None] = field(default_factory=dict)
    raw_columns: dict[str, str] = field(default_factory=dict)


class RawReadError(NamedFailure):
    """A raw file DuckDB could not read (corrupted, cut short, not in its format), named with its table."""


class RawInputs:
    """The raw files of one build, opened in an in-memory DuckDB the way the dbt hook opens them."""

    def __init__(
        self,
        raw_path: Path,
        raw_format: str,
        as_of_date: date | str | None,
        settings: QualitySettings,
        max_rate_age_days: int = 7,
        billing_source: str = "contract",
    ) -> None:
        self.raw_path = Path(raw_path)
        self.raw_format = raw_format
        self.settings = settings
        self.max_rate_age_days = max_rate_age_days
        self.billing_source = billing_source
        self.contract: dict[str, TableContract]
        self.checks: dict[str, TableChecks]
        self.contract, self.checks = source_tables(billing_source, self.raw_path, raw_format)
        self.connection = duckdb.connect(
            config={
                "memory_limit": os.environ.get(MEMORY_LIMIT_VARIABLE) or default_memory_limit(available_memory()),
                "threads": int(os.environ.get("CHURN_WAREHOUSE_DUCKDB_THREADS", "2")),
            }
        )
        # Set after connecting: the time-zone setting needs the built-in icu extension, loaded by then.
        self.connection.execute("set TimeZone = 'UTC'")
        self.sources: dict[str, str | None] = {}
        self.empty_files: dict[str, str] = {}
        self.stored_types: dict[str, dict[str, str]] = {}
        for table in self.contract:
            pattern = self.contract[table].locate(self.raw_path, raw_format)
            if pattern is not None and is_empty_file(pattern):
                self.empty_files[table], pattern = pattern, None
            self.sources[table] = pattern
            if pattern is None:
                continue
            with self._reading(table):
                self.connection.execute(
                    f"create view raw_{_ident(table)} as select * from {raw_reader_sql(pattern, raw_format)}")
                described = self.connection.execute(f"describe raw_{_ident(table)}").fetchall()
            self.stored_types[table] = {row[0].lower(): row[1] for row in described}
        self._dated: set[str] = set()
        for table in self.contract:
            if self._create_dated_view(table):
                with self._reading(table, *self._parents(table)):
                    self._create_daily_table(table)
                self._dated.add(table)
        self.as_of_date = self._resolve_as_of_date(as_of_date)

    def close(self) -> None:
        self.connection.close()

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _reading(self, *tables: str) -> Iterator[None]:
        """Turn a DuckDB error while reading `tables` into a RawReadError naming each table and its files."""
        try:
            yield
        except duckdb.Error as error:
            files = "; ".join(f"raw table {table} from {self.sources.get(table)}" for table in tables)
            said = " ".join(str(error).split())[:400]
            raise RawReadError(
                f"could not read {files} (DuckDB: {said}). The file is unreadable (corrupted, cut short or not "
                f"{self.raw_format}): write it again from its source"
                + ("" if all(self.contract[t].required for t in tables) else ", or remove an optional table's file")
                + "."
            ) from error

    def is_present(self, table: str) -> bool:
        return self.sources.get(table) is not None

    def has_column(self, table: str, column: str) -> bool:
        return self.stored_type(table, column) is not None

    def stored_type(self, table: str, column: str) -> str | None:
        """The type the file stores `column` in (`a|b`: the first of the two it has), or None when absent."""
        stored = self.stored_types.get(table, {})
        return next((stored[name] for name in column.split("|") if name in stored), None)

    def _parents(self, table: str) -> list[str]:
        """The table whose time column dates `table`'s rows (invoice lines: their invoice), if any."""
        dated_by = self.checks[table].dated_by
        return [dated_by[0]] if dated_by else []

    def _absent_source(self, table: str) -> str:
        """Where an absent table was looked for, or the 0-byte file that stood for it."""
        if table in self.empty_files:
            return f"{self.empty_files[table]} (an empty file, 0 bytes, not even a header row: read as absent)"
        return self.contract[table].absent_source(self.raw_path, self.raw_format)

    def _timestamp_sql(self, table: str, column: str) -> str:
        """The column as a UTC timestamp, as staging's cast_raw reads it (text with an offset is converted)."""
        stored = self.stored_types[table][column].upper()
        if stored.startswith("TIMESTAMP") and "TIME ZONE" not in stored:
            return f'cast("{column}" as timestamp)'
        return f"timezone('UTC', try_cast(cast(\"{column}\" as varchar) as timestamptz))"

    def _date_sql(self, table: str, column: str) -> str:
        if self.contract[table].contract_type(column) == "date":
            return f"try_cast(cast(\"{column}\" as varchar) as date)"
        return f"cast({self._timestamp_sql(table, column)} as date)"

    def _create_dated_view(self, table: str) -> bool:
        """`dated_<table>`: every raw row with `row_date`, its time column's date (invoice lines: their invoice's)."""
        checks = self.checks[table]
        if checks.time_column is None or not self.is_present(table):
            return False
        if checks.dated_by is not None:
            parent, parent_key, column = checks.dated_by
            parent_time = self.checks[parent].time_column
            if not (self.is_present(parent) and self.has_column(parent, parent_time)
                    and self.has_column(parent, parent_key) and self.has_column(table, column)):
                return False
            self.connection.execute(
                f"""
                create view dated_{_ident(table)} as
                with parent_dates as (
                    select
                        cast("{parent_key}" as varchar) as parent_key,
                        min({self._date_sql(parent, parent_time)}) as row_date
                    from raw_{_ident(parent)}
                    group by 1
                )
                select parent_dates.row_date, child.*
                from raw_{_ident(table)} as child
                left join parent_dates on cast(child."{column}" as varchar) = parent_dates.parent_key
                """
            )
            return True
        if not self.has_column(table, checks.time_column):
            return False
        self.connection.execute(
            f"create view dated_{_ident(table)} as "
            f"select {self._date_sql(table, checks.time_column)} as row_date, * from raw_{_ident(table)}"
        )
        return True

    def _null_columns(self, table: str) -> list[str]:
        """The nullable attribute columns of `table` that the file has."""
        return [column for column in self.checks[table].nullable if self.has_column(table, column)]

    def _distributions(self, table: str, aggregate: str) -> list[tuple[str, str, str]]:
        """(measure, value SQL, row filter) of the table's distribution measures with `aggregate` the file can give."""
        found = []
        for measure, column, kind, row_filter in self.checks[table].distributions:
            needed = [column, *_filter_columns(row_filter)]
            if kind == aggregate and all(self.has_column(table, part) for part in needed):
                found.append((measure, f"try_cast(cast(\"{column}\" as varchar) as double)", row_filter))
        return found

    def _create_daily_table(self, table: str) -> None:
        """`daily_<table>`: per row date (null: no date), rows, nulls of each nullable column, sums for mean measures.

        One scan of the raw file; freshness, volume, null shares and mean scores all read this small table.
        """
        selects = ["count(*) as row_count"]
        for column in self._null_columns(table):
            is_null = f"nullif(cast(\"{column}\" as varchar), '') is null"
            selects.append(f"count(*) filter (where {is_null}) as nulls__{column}")
        for measure, value, row_filter in self._distributions(table, "mean"):
            selects.append(f"sum({value}) filter (where {row_filter}) as sum__{measure}")
            selects.append(f"count({value}) filter (where {row_filter}) as count__{measure}")
        self.connection.execute(
            f"create temp table daily_{_ident(table)} as select row_date, {', '.join(selects)} "
            f"from dated_{_ident(table)} group by 1"
        )

    def _resolve_as_of_date(self, as_of_date: date | str | None) -> date:
        """The dbt var, or what int_as_of_date computes: the latest event or invoice date not after today (UTC)."""
        if isinstance(as_of_date, date):
            return as_of_date
        if as_of_date:
            try:
                return date.fromisoformat(str(as_of_date))
            except ValueError as error:
                raise ValueError(f"the dbt var as_of_date (--as-of-date) must be a date written YYYY-MM-DD: "
                                 f"got '{as_of_date}' ({error})") from None
        today = datetime.now(timezone.utc).date()
        invoices = "stripe.invoice" if self.billing_source == "stripe" else "invoices"
        parts = [f"select row_date from daily_{_ident(table)}" for table in ("events", invoices) if table in self._dated]
        latest = None
        if parts:
            latest = self.connection.execute(
                f"select max(row_date) from ({' union all '.join(parts)}) where row_date <= ?", [today]
            ).fetchall()[0][0]
        return latest or today

    # ------------------------------------------------------------------ frames

    def tables_frame(self) -> pd.DataFrame:
        """One row per contract table: required or not, present or not, where it was read from, its row count."""
        rows = []
        for name, table in self.contract.items():
            count = None
            if name in self._dated:
                count = self.connection.execute(
                    f"select sum(row_count) from daily_{_ident(name)}").fetchall()[0][0] or 0
            elif self.is_present(name):
                with self._reading(name):
                    count = self.connection.execute(f"select count(*) from raw_{_ident(name)}").fetchall()[0][0]
            rows.append({
                "table_name": name,
                "is_required": table.required,
                "is_present": self.is_present(name),
                "source": self.sources[name] or self._absent_source(name),
                "row_count": count,
            })
        return pd.DataFrame(rows).astype({"row_count": "Int64"})

    def columns_frame(self) -> pd.DataFrame:
        """One row per contract column of each present table: the contract type and the type stored in the file.

        An optional column the file does not have is left out (the build reads it as nulls).
        """
        rows = []
        for name, table in self.contract.items():
            if not self.is_present(name):
                continue
            for column, contract_type in table.columns:
                stored = self.stored_type(name, column)
                if stored is None and column in table.optional_columns:
                    continue
                rows.append({
                    "table_name": name,
                    "column_name": column.replace("|", " or "),
                    "contract_type": contract_type,
                    "stored_type": stored,
                    "stored_family": type_family(stored, self.raw_format),
                })
        columns = ["table_name", "column_name", "contract_type", "stored_type", "stored_family"]
        return pd.DataFrame(rows, columns=columns)

    def versions_frame(self) -> tuple[pd.DataFrame, list[str]]:
        """One row per present history table: its version key, rows, rows repeating a version, an example key.

        Also what was not checked: a table read without its version columns (a connector without history).
        """
        rows, skipped = [], []
        for name, table in self.contract.items():
            if not table.version_key or not self.is_present(name):
                continue
            if not all(self.has_column(name, column) for column in table.version_key):
                skipped.append(f"{name}: read from {self.sources[name]} without the version columns "
                               f"({', '.join(table.version_key)}): one row per id, as the build reads it")
                continue
            key = ", ".join(f'"{column}"' for column in table.version_key)
            with self._reading(name):
                total, repeated, example = self.connection.execute(
                    f"""
                    select sum(n), sum(n - 1), min(example) filter (where n > 1)
                    from (
                        select count(*) as n, cast(row({key}) as varchar) as example
                        from raw_{_ident(name)}
                        group by {key}
                    )
                    """
                ).fetchall()[0]
            rows.append({
                "table_name": name, "column_name": ", ".join(table.version_key),
                "version_key": ", ".join(table.version_key), "row_count": total or 0,
                "repeated_versions": repeated or 0, "example": example,
            })
        columns = ["table_name", "column_name", "version_key", "row_count", "repeated_versions", "example"]
        return pd.DataFrame(rows, columns=columns).astype({"row_count": "Int64", "repeated_versions": "Int64"}), skipped

    def freshness_frame(self) -> pd.DataFrame:
        """One row per dated table: its latest row date on or before the as-of date and how many days that is behind."""
        rows = []
        for name in self.contract:
            if name not in self._dated:
                continue
            latest, dated_rows = self.connection.execute(
                f"select max(row_date), sum(row_count) from daily_{_ident(name)} where row_date <= ?",
                [self.as_of_date],
            ).fetchall()[0]
            rows.append({
                "table_name": name,
                "time_column": self.checks[name].time_column,
                "latest_date": pd.Timestamp(latest) if latest else pd.NaT,
                "days_behind_as_of": (self.as_of_date - latest).days if latest else None,
                "dated_rows": dated_rows,
            })
        frame = pd.DataFrame(
            rows, columns=["table_name", "time_column", "latest_date", "days_behind_as_of", "dated_rows"]
        )
        return frame.astype({"days_behind_as_of": "Int64", "dated_rows": "Int64"})

    def freshness_limit(self, table: str) -> int:
        """Days a table's latest row may lie before the as-of date."""
        kind = self.checks[table].freshness_kind
        if table == "exchange_rates":
            return self.max_rate_age_days
        return {
            "billing": self.settings.freshness_days_billing,
            "activity": self.settings.freshness_days_activity,
        }.get(kind, self.settings.freshness_days_other)

    def _daily_counts(self, table: str) -> pd.DataFrame:
        """Rows per day from the table's first day to the as-of date, days without rows included as 0."""
        return self.connection.execute(
            f"""
            with counted as (
                select row_date, row_count
                from daily_{_ident(table)}
                where row_date <= $as_of
            ),
            calendar as (
                select cast(unnest(range(min(row_date), cast($as_of as date) + 1, interval 1 day)) as date) as row_date
                from counted
            )
            select calendar.row_date as period_start, coalesce(counted.row_count, 0) as row_count
            from calendar
            left join counted on calendar.row_date = counted.row_date
            order by 1
            """,
            {"as_of": self.as_of_date},
        ).df()

    def _monthly_counts(self, table: str) -> pd.DataFrame:
        """Rows per complete calendar month, after the table's first (partial) month, months without rows as 0."""
        counts = self._daily_counts(table)
        if counts.empty:
            return counts.assign(days=pd.Series(dtype=int))
        counts["period_start"] = pd.to_datetime(counts["period_start"]).dt.to_period("M").dt.to_timestamp()
        monthly = counts.groupby("period_start", as_index=False).agg(row_count=("row_count", "sum"))
        monthly["days"] = monthly["period_start"].dt.days_in_month
        as_of_month = pd.Timestamp(self.as_of_date).to_period("M").to_timestamp()
        complete = monthly["period_start"] < as_of_month
        if pd.Timestamp(self.as_of_date) == (as_of_month + pd.offsets.MonthEnd(0)):
            complete |= monthly["period_start"] == as_of_month
        return monthly[complete].iloc[1:].reset_index(drop=True)

    def volume_frame(self) -> pd.DataFrame:
        """Per complete day (before the as-of date) or complete month and table: rows, the bounds from the
        trailing window, and the robust z.

        Only periods with a full trailing window, after a warm-up as long again, and with a baseline big
        enough to be checked are kept: the frame is exactly what the volume suite covers.
        """
        settings = self.settings
        parts = []
        for name in self.contract:
            grain = self.checks[name].volume_grain
            if grain is None or name not in self._dated:
                continue
            if grain == "day":
                counts = self._daily_counts(name)
                window = settings.volume_window_days
                values = counts["row_count"].to_numpy(float)
                medians, mads = trailing_median_and_mad(values, window)
                sd = np.maximum(MAD_TO_SD * mads, np.sqrt(np.maximum(medians, 1.0)))
                # complete days only: the as-of day is the latest in the data, most often still in progress
                before_as_of = (pd.to_datetime(counts["period_start"]) < pd.Timestamp(self.as_of_date)).to_numpy()
                checked = ((np.arange(len(values)) >= 2 * window) & (medians >= settings.volume_min_daily_rows)
                           & before_as_of)
                expected = medians
            else:
                counts = self._monthly_counts(name)
                window = settings.volume_window_months
                days = counts["days"].to_numpy(float)
                rates = counts["row_count"].to_numpy(float) / np.maximum(days, 1)
                medians, mads = trailing_median_and_mad(rates, window)
                sd_rate = np.maximum(MAD_TO_SD * mads, settings.volume_monthly_relative_floor * medians)
                values = counts["row_count"].to_numpy(float)
                expected, sd = medians * days, sd_rate * days
                checked = ~np.isnan(medians) & (expected >= settings.volume_min_monthly_rows)
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (values - expected) / sd
            part = pd.DataFrame({
                "table_name": name,
                "period": grain,
                "period_start": pd.to_datetime(counts["period_start"]),
                "row_count": values.astype("int64"),
                "expected_rows": np.round(expected, 1),
                "expected_low": np.round(np.maximum(expected - settings.volume_k * sd, 0), 1),
                "expected_high": np.round(expected + settings.volume_k * sd, 1),
                "robust_z": np.round(z, 2),
            })[checked]
            parts.append(part)
        columns = ["table_name", "period", "period_start", "row_count", "expected_rows", "expected_low",
                   "expected_high", "robust_z"]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts, ignore_index=True)[columns]

    def profile_frame(self, table: str) -> ProfileFrame | None:
        """Per month up to the as-of month: null shares of the nullable attribute columns and distribution measures.

        `is_recent` marks the months checked; the bounds of each measure come from the history months before
        them (those with enough rows), median ± k · robust sd.
        """
        checks = self.checks[table]
        if table not in self._dated or not (checks.nullable or checks.distributions):
            return None
        settings = self.settings
        selects, raw_columns, kinds = [], {}, {}
        for column in self._null_columns(table):
            measure = f"null_share__{column}"
            selects.append(f"sum(nulls__{column}) / sum(row_count) as {measure}")
            raw_columns[measure], kinds[measure] = column, "null_share"
        for measure, _, _ in self._distributions(table, "mean"):
            selects.append(f"sum(sum__{measure}) / nullif(sum(count__{measure}), 0) as {measure}")
            selects.append(f"sum(count__{measure}) as {measure}__rows")
        medians = self._distributions(table, "median")
        if not selects and not medians:
            return None
        frame = self.connection.execute(
            f"""
            select cast(date_trunc('month', row_date) as date) as month, sum(row_count) as row_count
                {''.join(', ' + select for select in selects)}
            from daily_{_ident(table)}
            where row_date <= ?
            group by 1
            order by 1
            """,
            [self.as_of_date],
        ).df()
        if medians:
            # Medians do not add up over days: these read the raw rows again (billing tables, a few columns).
            with self._reading(table, *self._parents(table)):
                median_frame = self.connection.execute(
                    f"""
                    select cast(date_trunc('month', row_date) as date) as month,
                        {', '.join(f"median({value}) filter (where {row_filter}) as {measure}, "
                                   f"count({value}) filter (where {row_filter}) as {measure}__rows"
                                   for measure, value, row_filter in medians)}
                    from dated_{_ident(table)}
                    where row_date <= ?
                    group by 1
                    """,
                    [self.as_of_date],
                ).df()
            frame = frame.merge(median_frame, on="month", how="left")
        for measure, column, _, _ in self.checks[table].distributions:
            if measure in frame.columns:
                raw_columns[measure], kinds[measure] = column, "distribution"
        frame["month"] = pd.to_datetime(frame["month"])
        as_of_month = pd.Timestamp(self.as_of_date).to_period("M").to_timestamp()
        recent_start = as_of_month - pd.DateOffset(months=settings.recent_months - 1)
        history_start = recent_start - pd.DateOffset(months=settings.history_months)
        frame["is_recent"] = frame["month"] >= recent_start
        is_history = (frame["month"] >= history_start) & (frame["month"] < recent_start)
        bounds: dict[str, Bounds | None] = {}
        for measure, kind in kinds.items():
            rows = frame[f"{measure}__rows"] if kind == "distribution" else frame["row_count"]
            # A month with too few rows says little: its measure is left out of history and of the check.
            frame.loc[rows < settings.profile_min_rows, measure] = np.nan
            history = frame.loc[is_history, measure].dropna().to_numpy(float)
            if history.size < settings.profile_min_history_months:
                bounds[measure] = None
                continue
            median = float(np.median(history))
            floor = (settings.null_share_floor if kind == "null_share"
                     else settings.distribution_relative_floor * abs(median))
            bounds[measure] = robust_bounds(history, settings.profile_k, floor)
        keep = ["month", "row_count", "is_recent", *kinds]
        return ProfileFrame(table=table, frame=frame[keep], bounds=bounds, raw_columns=raw_columns)


def _filter_columns(row_filter: str) -> list[str]:
    """The column a simple `column = 'value'` filter reads."""
    return [row_filter.split("=")[0].strip()]
