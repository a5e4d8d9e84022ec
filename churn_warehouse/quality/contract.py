"""The raw contract as the quality checks see it, and how DuckDB reads the raw files.

The tables, columns, types and keys come from the dbt macro `raw_contract()` (macros/raw_contract.sql),
so the dbt staging models and these checks can never disagree about the contract. Files are found the
way the dbt hook `register_raw_tables` finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TableContract:
    """One raw table of docs/raw_contract.md: whether it is required, its key and its (column, contract type) list.

    A table of another billing source (the Stripe layout) also says where its files are: `folder` under the
    raw path and the `file_names` it may have (the first found is read); a column written `a|b` is present
    when either is; `version_key` is the key of a table that keeps every version of a row (Fivetran history).
    """

    name: str
    required: bool
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    folder: str = ""
    file_names: tuple[str, ...] = ()
    version_key: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def contract_type(self, column: str) -> str:
        types = {name: kind for names, kind in self.columns for name in (names, *names.split("|"))}
        return types[column]

    def locate(self, raw_path: Path, raw_format: str) -> str | None:
        """The file or glob the build reads for this table (the first of its names found), or None."""
        for name in self.file_names or (self.name,):
            pattern = raw_file_pattern(Path(raw_path) / self.folder, raw_format, name)
            if pattern is not None:
                return pattern
        return None

    def absent_source(self, raw_path: Path, raw_format: str) -> str:
        """Where the table was looked for, as a reader would write it."""
        names = " or ".join(f"{name}.{raw_format}" for name in self.file_names or (self.name,))
        return f"{Path(raw_path) / self.folder if self.folder else raw_path}/{names} (absent)"


class _Returned(Exception):
    """Carries the value a macro passes to `return(...)` out of the jinja render."""

    def __init__(self, value: object) -> None:
        super().__init__("macro returned")
        self.value = value


def _jinja_return(value: object) -> None:
    raise _Returned(value)


def render_macro(file_name: str, call: str, project_dir: Path = PROJECT_DIR) -> object:
    """What a dbt macro of `macros/<file_name>` passes to `return(...)`, rendered with plain jinja (`call`)."""
    source = (project_dir / "macros" / file_name).read_text(encoding="utf-8")
    environment = jinja2.Environment()
    environment.globals["return"] = _jinja_return
    try:
        environment.from_string(source + "{{ " + call + " }}").render()
    except _Returned as returned:
        return returned.value
    raise RuntimeError(f"macros/{file_name}: {call} returned nothing")


@lru_cache(maxsize=None)
def load_raw_contract(project_dir: Path = PROJECT_DIR) -> dict[str, TableContract]:
    """Render the dbt macro `raw_contract()` with plain jinja and return its tables in contract order."""
    tables = render_macro("raw_contract.sql", "raw_contract()", project_dir)
    return {
        name: TableContract(
            name=name,
            required=bool(spec["required"]),
            key=tuple(spec["key"]),
            columns=tuple((column, contract_type) for column, contract_type in spec["columns"]),
            optional_columns=tuple(spec.get("optional_columns", ())),
        )
        for name, spec in tables.items()
    }


def raw_file_pattern(raw_path: Path, raw_format: str, table: str) -> str | None:
    """The file or glob the dbt hook would read for `table`, or None when the table is absent."""
    if raw_format == "csv":
        candidates = [raw_path / f"{table}.csv"]
    elif raw_format == "parquet":
        candidates = [raw_path / f"{table}.parquet", raw_path / table / "*.parquet"]
    else:
        raise ValueError(f"raw_format must be 'parquet' or 'csv', got {raw_format!r}")
    for candidate in candidates:
        if "*" in candidate.name:
            if any(candidate.parent.glob(candidate.name)):
                return str(candidate)
        elif candidate.is_file():
            return str(candidate)
    return None


def raw_reader_sql(pattern: str, raw_format: str) -> str:
    """A DuckDB table function reading the raw file(s) exactly as the dbt hook does (CSV: every column as text)."""
    quoted = pattern.replace("'", "''")
    if raw_format == "csv":
        return f"read_csv('{quoted}', header = true, all_varchar = true)"
    return f"read_parquet('{quoted}')"


# ------------------------------------------------------------------ what the suites check, per table
# Only the data as a whole: keys, enums, ranges, periods and currencies are quarantine rules (dbt).


@dataclass(frozen=True)
class TableChecks:
    """The whole-table checks of one raw table.

    `time_column` dates its rows (freshness, volume, monthly profiles); `volume_grain` is `day` (rows a
    day against the trailing days) or `month` (rows a day averaged over each complete month, for billing
    tables whose days follow billing anniversaries); `nullable` lists the columns the contract allows to be
    null as an attribute (not the ones null until something happens, like `canceled_at`), whose null
    share is compared with history; `distributions` names (measure, column, SQL filter) compared with
    history; the severities say whether a volume drop or a stale table blocks publishing. `dated_by`
    (parent table, parent key, this table's column) dates a table by its parent's time column.
    """

    time_column: str | None
    volume_grain: str | None = None
    volume_severity: str = "warning"
    freshness_kind: str = "other"
    freshness_severity: str = "warning"
    nullable: tuple[str, ...] = ()
    distributions: tuple[tuple[str, str, str, str], ...] = ()
    dated_by: tuple[str, str, str] | None = None


# Distribution measures: (measure column in the profile frame, raw column, aggregate, row filter).
TABLE_CHECKS: dict[str, TableChecks] = {
    "customers": TableChecks(
        time_column="created_at", volume_grain="day",
        nullable=("country", "segment", "acquisition_channel"),
    ),
    "plans": TableChecks(time_column=None),
    "subscriptions": TableChecks(time_column="started_at", volume_grain="day", nullable=("plan_id",)),
    "invoices": TableChecks(
        time_column="issued_at", volume_grain="month", volume_severity="blocking",
        freshness_kind="billing", freshness_severity="blocking", nullable=("subscription_id",),
    ),
    "invoice_lines": TableChecks(
        time_column="issued_at", volume_grain="month", volume_severity="blocking", nullable=("plan_id",),
        dated_by=("invoices", "invoice_id", "invoice_id"),
        distributions=(("median_subscription_amount", "amount", "median", "line_type = 'subscription'"),),
    ),
    "payments": TableChecks(
        time_column="attempted_at", volume_grain="month", volume_severity="blocking",
        freshness_kind="billing",
        distributions=(("median_charge_amount", "amount", "median", "payment_type = 'charge'"),),
    ),
    "exchange_rates": TableChecks(time_column="rate_date"),
    "events": TableChecks(
        time_column="occurred_at", volume_grain="day", volume_severity="blocking",
        freshness_kind="activity", nullable=("user_id", "properties"),
    ),
    "survey_responses": TableChecks(
        time_column="sent_at", volume_grain="day", nullable=("comment",),
        distributions=(
            ("mean_nps_score", "score", "mean", "survey_type = 'nps'"),
            ("mean_csat_score", "score", "mean", "survey_type = 'csat'"),
        ),
    ),
    "support_tickets": TableChecks(time_column="opened_at", volume_grain="day"),
}

# Distributions that block publishing when they leave their history's bounds (a change of unit or scale in
# money makes every figure wrong); score distributions only warn.
BLOCKING_DISTRIBUTIONS = {"median_subscription_amount", "median_charge_amount"}

# The contract tables a billing source other than the contract replaces (read from its own layout instead).
BILLING_TABLES = ("customers", "plans", "subscriptions", "invoices", "invoice_lines", "payments")


def source_tables(
    billing_source: str, raw_path: Path, raw_format: str
) -> tuple[dict[str, TableContract], dict[str, TableChecks]]:
    """The raw tables a build with dbt var `billing_source` reads from `raw_path`, and their whole-table checks."""
    if billing_source == "contract":
        return load_raw_contract(), TABLE_CHECKS
    if billing_source != "stripe":
        raise ValueError(f"the dbt var billing_source must be 'contract' or 'stripe', got {billing_source!r}")
    from churn_warehouse.quality.stripe_contract import STRIPE_TABLE_CHECKS, stripe_tables

    stripe = stripe_tables(raw_path, raw_format)
    kept = {name: table for name, table in load_raw_contract().items() if name not in BILLING_TABLES}
    checks = {name: TABLE_CHECKS[name] for name in kept}
    return {**stripe, **kept}, {**{name: STRIPE_TABLE_CHECKS[name] for name in stripe}, **checks}
