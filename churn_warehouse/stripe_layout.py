"""The generator's billing tables written as a Fivetran-style Stripe connector lands them (`<raw>/stripe/`).

The six billing tables of the raw contract (customers, plans, subscriptions, invoices, invoice_lines,
payments) are turned into the Stripe objects they would have been: money in the currency's minor unit,
lower-case currencies, every subscription with its earlier versions, prorations flagged `proration`,
one-off items as `invoiceitem` lines stamped with an empty period, refunds in a table of their own. Then the
rows a real export holds besides the business data are added: a test-mode customer with its objects,
test-mode, deleted and one-time prices, draft invoices with their lines, pending charges and refunds that
did not succeed. Each of those is a row the package excludes, so the Stripe route reads the same business
rows as the contract route. The ids are the contract world's, so the marts of both routes can be compared.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from churn_warehouse.generator import CURRENCIES, CURRENCY_UNIT_CENTS, _rng
from churn_warehouse.quality.contract import BILLING_TABLES

STRIPE_TABLES: tuple[str, ...] = (
    "customer", "price", "plan", "subscription_history", "subscription_item", "invoice", "invoice_line_item",
    "charge", "refund",
)

# Shares of the live rows that get a companion which the package must exclude (drafts, pending charges and
# failed refunds: at least one each, wherever the world has an active subscription, open invoice or refund).
DRAFT_SHARE = 0.01  # active subscriptions whose next invoice is still a draft at the end of the history
PENDING_SHARE = 0.2  # open invoices with a bank payment in flight (a pending charge)
FAILED_REFUND_SHARE = 0.1  # refunds attempted besides the succeeded ones, which failed or were canceled
UNPAID_SHARE = 0.3  # past-due subscriptions that Stripe shows as `unpaid` (read as past_due)
MIDDLE_VERSION_SHARE = 0.3  # subscriptions with a third, intermediate history version
INVOICEITEM_PRORATION_SHARE = 0.5  # prorations billed as pending invoice items rather than subscription lines
DISCOUNT_SHARE = 0.03  # subscription lines with a line-level discount (amount before it, discount_amount)

# Minor-unit digits per currency of the simulated world (JPY: 0, a zero-decimal currency).
CURRENCY_DIGITS: dict[str, int] = {
    code: int(round(2 - np.log10(cents))) for code, cents in zip(CURRENCIES, CURRENCY_UNIT_CENTS)
}

_DIGITS_SQL = "(select digits from currency_digits cd where cd.currency = {0})"


def _minor(amount: str, currency: str) -> str:
    """SQL: a major-unit decimal in the currency's minor unit, as a bigint (12.50 USD → 1250, 1250 JPY → 1250)."""
    return f"cast(round({amount} * power(10, {_DIGITS_SQL.format(currency)})) as bigint)"


def _draws(connection: duckdb.DuckDBPyConnection, name: str, ids: pa.ChunkedArray, seed: int) -> None:
    """Table `name` (id, u): one uniform draw per distinct id from the seed, for the writer's random choices."""
    ids = pc.unique(ids)
    u = _rng(seed, f"stripe_{name}").random(len(ids))
    connection.register(f"{name}_arrow", pa.table({"id": ids, "u": pa.array(u)}))
    connection.execute(f"create table {name} as select * from {name}_arrow")


def _setup(connection: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], end_ts: int, seed: int) -> None:
    """Register the contract tables, the currencies' digits, the history's end and the random draws."""
    for name in BILLING_TABLES:
        connection.register(name, tables[name])
    connection.execute("create table currency_digits (currency varchar, digits integer)")
    connection.executemany("insert into currency_digits values (?, ?)", list(CURRENCY_DIGITS.items()))
    connection.execute(f"create table history_end as select make_timestamp({end_ts * 1_000_000}::bigint) as end_at")
    _draws(connection, "subscription_draws", tables["subscriptions"].column("subscription_id"), seed)
    _draws(connection, "line_draws", tables["invoice_lines"].column("line_id"), seed)
    _draws(connection, "invoice_draws", tables["invoices"].column("invoice_id"), seed)
    _draws(connection, "payment_draws", tables["payments"].column("payment_id"), seed)


# ------------------------------------------------------------------ live business rows, one query per table

CUSTOMER_SQL = """
select
    customer_id as id,
    created_at as created,
    country as address_country,
    '{' || concat_ws(', ',
        case when segment is not null then '"segment": "' || segment || '"' end,
        case when acquisition_channel is not null then '"acquisition_channel": "' || acquisition_channel || '"' end,
        '"signup_form": "web"'
    ) || '}' as metadata,
    lower(coalesce((select max(currency) from invoices i where i.customer_id = c.customer_id), 'USD')) as currency,
    true as livemode,
    false as is_deleted
from customers c
"""

PRICE_SQL = f"""
select
    plan_id as id,
    plan_name as nickname,
    lower(currency) as currency,
    {_minor('p.list_price', 'p.currency')} as unit_amount,
    case when interval_months % 12 = 0 then 'year' else 'month' end as recurring_interval,
    case when interval_months % 12 = 0 then interval_months // 12 else interval_months end
        as recurring_interval_count,
    'recurring' as type,
    true as active,
    true as livemode,
    false as is_deleted
from plans p
"""

# Every subscription's current version, as the contract world states it.
CURRENT_SUBSCRIPTION_SQL = """
select
    s.subscription_id as id,
    s.customer_id,
    case when s.status = 'past_due' and d.u < {unpaid} then 'unpaid' else s.status end as status,
    s.trial_start_at as trial_start,
    s.trial_end_at as trial_end,
    coalesce(s.trial_start_at, s.started_at) as start_date,
    coalesce(s.trial_start_at, s.started_at) as created,
    s.canceled_at,
    s.canceled_at as ended_at,
    s.cancel_at,
    case
        when s.cancel_reason = 'payment_failed' then 'payment_failed'
        when s.canceled_at is not null and s.trial_end_at is distinct from s.canceled_at
            then 'cancellation_requested'
    end as cancellation_details_reason,
    case when s.cancel_reason <> 'payment_failed' then s.cancel_reason end as cancellation_details_feedback,
    true as livemode,
    d.u as draw
from subscriptions s
join subscription_draws d on d.id = s.subscription_id
"""

# The current version plus the earlier ones Fivetran keeps: created (trialing or active, nothing cancelled) and,
# for some, one in between (past due before a payment failure ended it, else active).
SUBSCRIPTION_HISTORY_SQL = f"""
with current_versions as ({CURRENT_SUBSCRIPTION_SQL.format(unpaid=UNPAID_SHARE)}),
timed as (
    select *, greatest(coalesce(canceled_at, start_date), start_date) + interval 1 second as active_from
    from current_versions
),
versions as (
    select * exclude (draw, active_from), active_from as _fivetran_start, true as _fivetran_active
    from timed
    union all by name
    select * exclude (draw, active_from, status, canceled_at, ended_at, cancel_at, cancellation_details_reason,
                      cancellation_details_feedback),
        case when trial_start is not null then 'trialing' else 'active' end as status,
        null::timestamp as canceled_at, null::timestamp as ended_at, null::timestamp as cancel_at,
        null::varchar as cancellation_details_reason, null::varchar as cancellation_details_feedback,
        start_date as _fivetran_start, false as _fivetran_active
    from timed
    union all by name
    select * exclude (draw, active_from, status, canceled_at, ended_at, cancel_at, cancellation_details_reason,
                      cancellation_details_feedback),
        case when cancellation_details_reason = 'payment_failed' then 'past_due' else 'active' end as status,
        null::timestamp as canceled_at, null::timestamp as ended_at, null::timestamp as cancel_at,
        null::varchar as cancellation_details_reason, null::varchar as cancellation_details_feedback,
        start_date + (active_from - start_date) / 2 as _fivetran_start, false as _fivetran_active
    from timed
    where draw < {MIDDLE_VERSION_SHARE}
)
select
    id, customer_id, status, trial_start, trial_end, start_date, created, canceled_at, ended_at, cancel_at,
    cancellation_details_reason, cancellation_details_feedback, livemode,
    _fivetran_start,
    coalesce(
        lead(_fivetran_start) over (partition by id order by _fivetran_start) - interval 1 microsecond,
        timestamp '9999-12-31 23:59:59'
    ) as _fivetran_end,
    _fivetran_active
from versions
"""

# The plan item (created with the subscription) and, for subscriptions billed an add-on, the add-on item.
SUBSCRIPTION_ITEM_SQL = """
with addons as (
    select i.subscription_id, min(l.plan_id) as plan_id
    from invoice_lines l
    join invoices i using (invoice_id)
    where l.line_type = 'subscription' and l.plan_id like 'analytics_addon%' and i.subscription_id is not null
    group by 1
)
select
    'si_' || s.subscription_id || '_1' as id,
    s.subscription_id,
    s.plan_id as price_id,
    s.plan_id,
    coalesce(s.trial_start_at, s.started_at) as created
from subscriptions s
union all
select
    'si_' || s.subscription_id || '_2' as id,
    s.subscription_id,
    a.plan_id as price_id,
    a.plan_id,
    coalesce(s.trial_start_at, s.started_at) + interval 1 hour as created
from subscriptions s
join addons a using (subscription_id)
"""

INVOICE_SQL = f"""
with totals as (
    select invoice_id, sum(amount) as total
    from invoice_lines
    group by 1
)
select
    i.invoice_id as id,
    i.customer_id,
    i.subscription_id,
    i.issued_at as created,
    lower(i.currency) as currency,
    i.status,
    {_minor('coalesce(t.total, 0)', 'i.currency')} as total,
    true as livemode
from invoices i
left join totals t using (invoice_id)
"""

# Stripe stamps a subscription line with its period (timestamps at the billing anchor's time of day; the end is
# the next period's start) and a one-off item with an empty period at the invoice's time.
INVOICE_LINE_ITEM_SQL = f"""
select
    case when l.line_type = 'subscription'
        then 'sli_' || i.subscription_id || case when l.plan_id like 'analytics_addon%' then '_2' else '_1' end
        else 'ii_' || l.line_id
    end as id,
    l.line_id as unique_id,
    l.invoice_id,
    i.subscription_id,
    case
        when l.line_type = 'one_time' then 'invoiceitem'
        when l.line_type = 'proration' and d.u < {INVOICEITEM_PRORATION_SHARE} then 'invoiceitem'
        else 'subscription'
    end as type,
    l.line_type = 'proration' as proration,
    l.plan_id as price_id,
    l.plan_id,
    l.quantity,
    {_minor('l.amount', 'i.currency')} + discount_amount as amount,
    discount_amount,
    lower(i.currency) as currency,
    coalesce(l.period_start + (i.issued_at - date_trunc('day', i.issued_at)), i.issued_at) as period_start,
    coalesce(l.period_end + (i.issued_at - date_trunc('day', i.issued_at)), i.issued_at) as period_end,
    true as livemode
from (
    select l.*, case when l.line_type = 'subscription' and d.u < {DISCOUNT_SHARE}
        then cast(round(0.25 * {_minor('l.amount', 'i.currency')}) as bigint) else 0 end as discount_amount
    from invoice_lines l
    join invoices i using (invoice_id)
    join line_draws d on d.id = l.line_id
) l
join invoices i using (invoice_id)
join line_draws d on d.id = l.line_id
"""

CHARGE_SQL = f"""
select
    p.payment_id as id,
    p.invoice_id,
    i.customer_id,
    p.attempted_at as created,
    {_minor('p.amount', 'p.currency')} as amount,
    lower(p.currency) as currency,
    p.status,
    p.failure_reason as failure_code,
    true as livemode
from payments p
left join invoices i using (invoice_id)
where p.payment_type = 'charge'
"""

# A refund points at the invoice's succeeded charge (dunning stops at the first success, so there is one).
REFUND_SQL = f"""
with paid_by as (
    select distinct invoice_id, payment_id as charge_id
    from payments
    where payment_type = 'charge' and status = 'succeeded'
)
select
    r.payment_id as id,
    c.charge_id,
    -{_minor('r.amount', 'r.currency')} as amount,
    lower(r.currency) as currency,
    r.attempted_at as created,
    'succeeded' as status
from payments r
left join paid_by c using (invoice_id)
where r.payment_type = 'refund'
"""

# ------------------------------------------------------------------ rows a real export holds besides the business

# A test-mode customer with a price, a subscription (two versions), its item, an invoice with a line, a charge
# and a refund: every row is excluded as test_mode (the item and refund inherit it from what they point to).
TEST_MODE_ROWS = {
    "customer": """
        select 'cus_test_0001' as id, (select min(created_at) from customers) + interval 3 day as created,
            'US' as address_country, '{"segment": "smb"}' as metadata, 'usd' as currency,
            false as livemode, false as is_deleted""",
    "price": """
        select 'price_test_0001' as id, 'Test plan' as nickname, 'usd' as currency, 100::bigint as unit_amount,
            'month' as recurring_interval, 1 as recurring_interval_count, 'recurring' as type, true as active,
            false as livemode, false as is_deleted""",
    "subscription_history": """
        select 'sub_test_0001' as id, 'cus_test_0001' as customer_id, v.status, null::timestamp as trial_start,
            null::timestamp as trial_end, t.at as start_date, t.at as created, null::timestamp as canceled_at,
            null::timestamp as ended_at, null::varchar as cancellation_details_reason,
            null::varchar as cancellation_details_feedback, false as livemode,
            t.at + v.shift as _fivetran_start,
            case when v.active then timestamp '9999-12-31 23:59:59'
                else t.at + interval 1 day - interval 1 microsecond end as _fivetran_end,
            v.active as _fivetran_active
        from (select (select min(created_at) from customers) + interval 4 day as at) t,
            (values ('incomplete', interval 0 day, false), ('active', interval 1 day, true)) v(status, shift, active)""",
    "subscription_item": """
        select 'si_test_0001' as id, 'sub_test_0001' as subscription_id, 'price_test_0001' as price_id,
            'price_test_0001' as plan_id, (select min(created_at) from customers) + interval 4 day as created""",
    "invoice": """
        select 'in_test_0001' as id, 'cus_test_0001' as customer_id, 'sub_test_0001' as subscription_id,
            (select min(created_at) from customers) + interval 4 day as created, 'usd' as currency,
            'paid' as status, 100::bigint as total, false as livemode""",
    "invoice_line_item": """
        select 'sli_sub_test_0001_1' as id, 'il_test_0001' as unique_id, 'in_test_0001' as invoice_id,
            'sub_test_0001' as subscription_id, 'subscription' as type, false as proration,
            'price_test_0001' as price_id, 'price_test_0001' as plan_id, 1::bigint as quantity,
            100::bigint as amount, 0::bigint as discount_amount, 'usd' as currency, t.at as period_start,
            t.at + interval 1 month as period_end, false as livemode
        from (select (select min(created_at) from customers) + interval 4 day as at) t""",
    "charge": """
        select 'ch_test_0001' as id, 'in_test_0001' as invoice_id, 'cus_test_0001' as customer_id,
            (select min(created_at) from customers) + interval 4 day + interval 1 minute as created,
            100::bigint as amount, 'usd' as currency, 'succeeded' as status, null::varchar as failure_code,
            false as livemode""",
    "refund": """
        select 're_test_0001' as id, 'ch_test_0001' as charge_id, 100::bigint as amount, 'usd' as currency,
            (select min(created_at) from customers) + interval 5 day as created, 'succeeded' as status""",
}

# Prices no plan comes from: a one-time setup fee (type one_time), and a deleted legacy price.
OTHER_PRICE_ROWS = """
select 'price_setup_fee_usd' as id, 'Onboarding fee' as nickname, 'usd' as currency, 50000::bigint as unit_amount,
    null::varchar as recurring_interval, null::integer as recurring_interval_count, 'one_time' as type,
    true as active, true as livemode, false as is_deleted
union all
select 'price_legacy_starter_usd', 'Starter (legacy)', 'usd', 1200::bigint, 'month', 1, 'recurring', false, true, true
"""

DELETED_CUSTOMER_ROWS = """
select 'cus_deleted_0001' as id, (select min(created_at) from customers) + interval 6 day as created,
    'GB' as address_country, '{}' as metadata, 'gbp' as currency, true as livemode, true as is_deleted
"""

# Next invoices still in draft at the end of the history, for some active subscriptions: a copy of the last
# invoice's subscription lines, one period on.
DRAFT_INVOICE_SQL = f"""
with last_invoice as (
    select i.subscription_id, d.u, arg_max(i.invoice_id, i.issued_at) as invoice_id
    from invoices i
    join subscriptions s using (subscription_id)
    join subscription_draws d on d.id = s.subscription_id
    where s.status = 'active' and i.status = 'paid'
    group by 1, 2
    qualify d.u < {DRAFT_SHARE} or d.u = min(d.u) over ()
),
numbered as (
    select *, row_number() over (order by subscription_id) as n
    from last_invoice
)
select
    'in_draft_' || lpad(n::varchar, 6, '0') as id,
    i.customer_id,
    i.subscription_id,
    (select end_at from history_end) - interval 2 hour - to_minutes(n) as created,
    lower(i.currency) as currency,
    'draft' as status,
    0::bigint as total,
    true as livemode,
    i.invoice_id as copied_from
from numbered
join invoices i using (invoice_id)
"""

DRAFT_LINE_SQL = """
select
    l.id, 'il_draft_' || lpad(cast(row_number() over (order by d.id, l.unique_id) as varchar), 6, '0') as unique_id,
    d.id as invoice_id, l.subscription_id, l.type, l.proration, l.price_id, l.plan_id, l.quantity, l.amount,
    l.discount_amount, l.currency,
    l.period_end as period_start,
    l.period_end + (l.period_end - l.period_start) as period_end,
    l.livemode
from stripe_draft_invoice d
join stripe_invoice_line_item l on l.invoice_id = d.copied_from and l.type = 'subscription' and not l.proration
"""

# A bank payment in flight on some open invoices: a pending charge, shortly before the history ends.
PENDING_CHARGE_SQL = f"""
select
    'py_pending_' || lpad(row_number() over (order by i.invoice_id)::varchar, 6, '0') as id,
    i.invoice_id, i.customer_id,
    (select end_at from history_end) - interval 1 hour - to_minutes(row_number() over (order by i.invoice_id))
        as created,
    {_minor('coalesce(t.total, 0)', 'i.currency')} as amount,
    lower(i.currency) as currency, 'pending' as status, null::varchar as failure_code, true as livemode
from invoices i
join invoice_draws d on d.id = i.invoice_id
left join (select invoice_id, sum(amount) as total from invoice_lines group by 1) t using (invoice_id)
where i.status = 'open'
qualify d.u < {PENDING_SHARE} or d.u = min(d.u) over ()
"""

# Refund attempts that did not go through (a failed bank refund, a canceled one), on charges refunded for real.
FAILED_REFUND_SQL = f"""
select
    're_failed_' || lpad(row_number() over (order by r.id)::varchar, 6, '0') as id,
    r.charge_id, r.amount, r.currency, r.created - interval 1 hour as created,
    case when d.u < {FAILED_REFUND_SHARE} / 2 then 'failed' else 'canceled' end as status
from stripe_refund r
join payment_draws d on d.id = r.id
qualify d.u < {FAILED_REFUND_SHARE} or d.u = min(d.u) over ()
"""


def _stripe_tables(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Create `stripe_<table>` for each Stripe table; returns the order-by of each for writing."""
    live = {
        "customer": CUSTOMER_SQL, "price": PRICE_SQL, "subscription_history": SUBSCRIPTION_HISTORY_SQL,
        "subscription_item": SUBSCRIPTION_ITEM_SQL, "invoice": INVOICE_SQL,
        "invoice_line_item": INVOICE_LINE_ITEM_SQL, "charge": CHARGE_SQL, "refund": REFUND_SQL,
    }
    for table, sql in live.items():
        connection.execute(f"create table stripe_{table} as {sql} union all by name {TEST_MODE_ROWS[table]}")
    connection.execute(f"insert into stripe_price by name {OTHER_PRICE_ROWS}")
    connection.execute(f"insert into stripe_customer by name {DELETED_CUSTOMER_ROWS}")
    connection.execute(f"create table stripe_draft_invoice as {DRAFT_INVOICE_SQL}")
    connection.execute(f"insert into stripe_invoice_line_item by name {DRAFT_LINE_SQL}")
    connection.execute("insert into stripe_invoice by name select * exclude (copied_from) from stripe_draft_invoice")
    connection.execute(f"insert into stripe_charge by name {PENDING_CHARGE_SQL}")
    connection.execute(f"insert into stripe_refund by name {FAILED_REFUND_SQL}")
    # The legacy plan objects Stripe keeps beside prices (same ids): read only when `price` is absent.
    connection.execute(
        "create table stripe_plan as select id, nickname, currency, unit_amount as amount, "
        "recurring_interval as interval, recurring_interval_count as interval_count, active, livemode, is_deleted "
        "from stripe_price where type = 'recurring'"
    )
    return {
        "customer": "id", "price": "id", "plan": "id", "subscription_history": "id, _fivetran_start",
        "subscription_item": "id", "invoice": "created, id", "invoice_line_item": "invoice_id, unique_id",
        "charge": "created, id", "refund": "created, id",
    }


def write_stripe_tables(tables: dict[str, pa.Table], out_dir: Path, end_ts: int, seed: int) -> dict[str, int]:
    """Write the billing tables of one simulated world as `<out_dir>/<stripe table>.parquet`; rows per table.

    `tables` holds the six billing tables of the contract (as the generator writes them, bad rows included);
    `end_ts` is the first second after the history (epoch seconds): every added row happens before it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute("set threads = 1")  # one thread: the same rows in the same order on every run
        _setup(connection, tables, end_ts, seed)
        order = _stripe_tables(connection)
        for table in STRIPE_TABLES:
            arrow = connection.sql(f"select * from stripe_{table} order by {order[table]}").to_arrow_table()
            pq.write_table(arrow, out_dir / f"{table}.parquet", compression="zstd")
            written[table] = arrow.num_rows
    return written
