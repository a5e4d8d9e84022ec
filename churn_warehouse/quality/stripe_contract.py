"""The Stripe layout as the raw checks see it: which tables and columns a build with `billing_source: stripe`
needs, where their files are, and the whole-table checks of each (freshness, volume, amount profiles).

The Stripe tables replace the six billing tables of the contract; the four others are read as before. Row
rules (test mode, deleted rows, drafts, duplicate ids, statuses, currencies) are dbt staging's, as for the
contract; the checks here only judge each table as a whole. Table names carry the `stripe.` prefix, so every
message names the Stripe table (the file `<raw_path>/stripe/<table>.parquet`, or the relation
`<stripe_schema>.<table>` on a server).
"""

from __future__ import annotations

from churn_warehouse.quality.contract import TableChecks, TableContract

FOLDER = "stripe"

# name, required, key, (column, contract type) ...; `a|b`: either column; names: the file names accepted.
_TABLES: tuple[tuple[str, bool, tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]], ...] = (
    ("customer", True, ("id",), (
        ("id", "text"), ("created", "timestamp"), ("address_country", "text"), ("metadata", "text")), ()),
    ("price", False, ("id",), (
        ("id", "text"), ("nickname", "text"), ("currency", "text"), ("unit_amount", "decimal"),
        ("recurring_interval", "text"), ("recurring_interval_count", "integer"), ("type", "text")), ()),
    ("plan", False, ("id",), (
        ("id", "text"), ("nickname", "text"), ("currency", "text"), ("amount", "decimal"), ("interval", "text"),
        ("interval_count", "integer")), ()),
    ("subscription_history", True, ("id",), (
        ("id", "text"), ("customer_id", "text"), ("status", "text"), ("trial_start", "timestamp"),
        ("trial_end", "timestamp"), ("start_date", "timestamp"), ("canceled_at", "timestamp"),
        ("ended_at", "timestamp")), ("subscription_history", "subscription")),
    ("subscription_item", True, ("id",), (
        ("id", "text"), ("subscription_id", "text"), ("price_id|plan_id", "text"), ("created", "timestamp")), ()),
    ("invoice", True, ("id",), (
        ("id", "text"), ("customer_id", "text"), ("subscription_id", "text"), ("created", "timestamp"),
        ("currency", "text"), ("status", "text")), ()),
    ("invoice_line_item", True, ("unique_id|id",), (
        ("unique_id|id", "text"), ("invoice_id", "text"), ("type", "text"), ("proration", "boolean"),
        ("price_id|plan_id", "text"), ("quantity", "integer"), ("amount", "decimal"),
        ("period_start", "timestamp"), ("period_end", "timestamp")), ()),
    ("charge", True, ("id",), (
        ("id", "text"), ("invoice_id", "text"), ("created", "timestamp"), ("amount", "decimal"),
        ("currency", "text"), ("status", "text"), ("failure_code", "text")), ()),
    ("refund", False, ("id",), (
        ("id", "text"), ("charge_id", "text"), ("amount", "decimal"), ("currency", "text"),
        ("created", "timestamp"), ("status", "text")), ()),
)

# Fivetran's history tables keep one row per version of an object: a version is its id and _fivetran_start.
VERSION_KEYS = {"subscription_history": ("id", "_fivetran_start")}


def stripe_tables() -> dict[str, TableContract]:
    """The Stripe tables, named `stripe.<table>`, in the order the checks list them."""
    return {
        f"{FOLDER}.{name}": TableContract(
            name=f"{FOLDER}.{name}", required=required, key=key, columns=columns, folder=FOLDER,
            file_names=names or (name,), version_key=VERSION_KEYS.get(name, ()),
        )
        for name, required, key, columns, names in _TABLES
    }


# Billing tables block publishing when their volume drops or they go stale, as the contract's do; amounts are in
# minor units, so their medians guard against a change of unit (an export switching to major units).
STRIPE_TABLE_CHECKS: dict[str, TableChecks] = {
    "stripe.customer": TableChecks(time_column="created", volume_grain="day", nullable=("address_country",)),
    "stripe.price": TableChecks(time_column=None),
    "stripe.plan": TableChecks(time_column=None),
    "stripe.subscription_history": TableChecks(time_column="start_date", volume_grain="day"),
    "stripe.subscription_item": TableChecks(time_column=None),
    "stripe.invoice": TableChecks(
        time_column="created", volume_grain="month", volume_severity="blocking",
        freshness_kind="billing", freshness_severity="blocking",
    ),
    "stripe.invoice_line_item": TableChecks(
        time_column="created", volume_grain="month", volume_severity="blocking",
        distributions=(("median_subscription_amount", "amount", "median", "type = 'subscription'"),),
        dated_by=("stripe.invoice", "id", "invoice_id"),
    ),
    "stripe.charge": TableChecks(
        time_column="created", volume_grain="month", volume_severity="blocking", freshness_kind="billing",
        distributions=(("median_charge_amount", "amount", "median", "status = 'succeeded'"),),
    ),
    "stripe.refund": TableChecks(time_column=None),
}
