"""The Stripe layout as the raw checks see it: which tables and columns a build with `billing_source: stripe`
needs, where their files are, and the whole-table checks of each (freshness, volume, amount profiles).

The tables, their required columns and which tables stand in for one another come from the dbt macro
`stripe_tables()` (macros/stripe_tables.sql), so staging and these checks never disagree about the layout.
The Stripe tables replace the six billing tables of the contract; the four others are read as before. Row
rules (test mode, deleted rows, drafts, duplicate ids, statuses, currencies) are dbt staging's, as for the
contract; the checks here only judge each table as a whole. Table names carry the `stripe.` prefix, so every
message names the Stripe table (the file `<raw_path>/stripe/<table>.parquet`).
"""

from __future__ import annotations

from pathlib import Path

from churn_warehouse.quality.contract import TableChecks, TableContract, raw_file_pattern, render_macro

FOLDER = "stripe"

# The type family each Stripe column is judged by (raw_suites.TYPE_FITS); a column not named here is text.
# Money is in minor units, written as integers by most connectors and as decimals by some: both fit `decimal`.
COLUMN_TYPES = {
    **dict.fromkeys(("created", "start_date", "trial_start", "trial_end", "canceled_at", "ended_at", "cancel_at",
                     "period_start", "period_end"), "timestamp"),
    **dict.fromkeys(("amount", "unit_amount", "discount_amount"), "decimal"),
    **dict.fromkeys(("quantity", "recurring_interval_count", "interval_count"), "integer"),
    **dict.fromkeys(("proration", "livemode", "is_deleted", "_fivetran_active"), "boolean"),
}

# Fivetran's history tables keep one row per version of an object: a version is its id and _fivetran_start.
VERSION_KEYS = {"subscription_history": ("id", "_fivetran_start")}


def stripe_tables(raw_path: Path, raw_format: str) -> dict[str, TableContract]:
    """The Stripe tables a build reads from `raw_path`, named `stripe.<table>`, in the macro's order.

    Of tables that stand in for one another (subscription_history or subscription, price or plan) the first
    one present is the one read and checked; when none is, the first is reported absent.
    """
    spec = render_macro("stripe_tables.sql", "stripe_tables()")
    groups = {name: group for group in render_macro("stripe_tables.sql", "stripe_alternatives()") for name in group}
    tables: dict[str, TableContract] = {}
    for name, table in spec.items():
        group = groups.get(name, [name])
        read = next((n for n in group if raw_file_pattern(Path(raw_path) / FOLDER, raw_format, n)), group[0])
        if name != read:
            continue
        columns = [(column, COLUMN_TYPES.get(column, "text")) for column in table["columns"]]
        if table.get("one_of"):
            columns.append(("|".join(table["one_of"]), COLUMN_TYPES.get(table["one_of"][0], "text")))
        tables[f"{FOLDER}.{name}"] = TableContract(
            name=f"{FOLDER}.{name}", required=bool(table["required"]), key=("id",), columns=tuple(columns),
            folder=FOLDER, file_names=tuple(group) if name == group[0] else (name,),
            version_key=VERSION_KEYS.get(name, ()),
        )
    return tables


# Billing tables block publishing when their volume drops or they go stale, as the contract's do; amounts are in
# minor units, so their medians guard against a change of unit (an export switching to major units).
_SUBSCRIPTIONS = TableChecks(time_column="start_date", volume_grain="day")
STRIPE_TABLE_CHECKS: dict[str, TableChecks] = {
    "stripe.customer": TableChecks(time_column="created", volume_grain="day", nullable=("address_country",)),
    "stripe.price": TableChecks(time_column=None),
    "stripe.plan": TableChecks(time_column=None),
    "stripe.subscription_history": _SUBSCRIPTIONS,
    "stripe.subscription": _SUBSCRIPTIONS,
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
