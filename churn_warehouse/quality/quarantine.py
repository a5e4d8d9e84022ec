"""What quarantine held in a build file: per table and reason, the count, the column the rule reads and sample rows.

Used for messages only: when the dbt build stops on `max_quarantine_share`, or when a published build
quarantined rows, the summary names the table, the column and the rule, with a sample of raw values.
The rules themselves live in dbt (models/staging/base); this map only says which column each reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from churn_warehouse.quality.contract import TABLE_CHECKS, load_raw_contract

_PERIODS = {
    "invoice_lines": "period_start/period_end",
    "subscriptions": "trial_start_at/trial_end_at, started_at/canceled_at or started_at/cancel_at",
    "support_tickets": "opened_at/resolved_at",
    "survey_responses": "sent_at/responded_at",
}
_MONEY = {
    "invoice_lines": "amount",
    "payments": "amount",
    "plans": "list_price",
    "exchange_rates": "rate_to_reporting",
}
_FIXED = {
    "orphan_customer": "customer_id",
    "orphan_invoice": "invoice_id",
    "orphan_subscription": "subscription_id",
    "negative_amount": "amount",
    "positive_refund": "amount",
    "non_positive_rate": "rate_to_reporting",
    "unknown_currency": "currency",
    "missing_rate": "currency",
    "bad_score": "score",
    "bad_type": "a column whose value does not cast to its contract type (see the raw values)",
    "bad_enum": "a column outside its allowed values (see the raw values)",
    "missing_value": "a required column that is null (see the raw values)",
}


def reason_column(table: str, reason: str) -> str:
    """The column (or columns) the quarantine rule `reason` reads in `table`, for messages."""
    if reason in ("null_key", "duplicate_key"):
        return "/".join(load_raw_contract()[table].key)
    if reason == "bad_period":
        return _PERIODS.get(table, "its start/end columns")
    if reason == "out_of_range":
        return _MONEY.get(table, "its money columns")
    if reason == "future_timestamp":
        return TABLE_CHECKS[table].time_column or "its timestamps"
    return _FIXED.get(reason, "(see the raw values)")


@dataclass(frozen=True)
class QuarantineGroup:
    """Quarantined rows of one table for one reason."""

    table: str
    reason: str
    rows: int
    column: str
    sample: list[str]

    def message(self) -> str:
        sample = f"; e.g. {' | '.join(self.sample)}" if self.sample else ""
        return (f"quarantine_{self.table}: table {self.table}, column {self.column}: rule {self.reason}: "
                f"{self.rows} rows{sample}")


def quarantine_groups(db_path: Path, sample_size: int = 3) -> list[QuarantineGroup]:
    """Every (table, reason) quarantined in the build file, with sample raw values; [] when none or unreadable."""
    if not Path(db_path).exists():
        return []
    groups = []
    try:
        with duckdb.connect(str(db_path), read_only=True) as connection:
            tables = [row[0] for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'quarantine' "
                "and table_name like 'quarantine_%' order by 1"
            ).fetchall()]
            for relation in tables:
                table = relation.removeprefix("quarantine_")
                if table not in TABLE_CHECKS:
                    continue
                for reason, rows, sample in connection.execute(
                    f"select quarantine_reason, count(*), list(raw_values order by raw_values)[1:{int(sample_size)}] "
                    f"from quarantine.{relation} group by 1 order by 2 desc, 1"
                ).fetchall():
                    shortened = [value if len(value) <= 240 else value[:237] + "..." for value in sample]
                    groups.append(QuarantineGroup(table, reason, rows, reason_column(table, reason), shortened))
    except duckdb.Error:
        return groups
    return groups
