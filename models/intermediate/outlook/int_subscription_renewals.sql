-- Per quarterly, semi-annual or annual subscription line in force on the as-of date: the next renewal (the
-- line's end), the line's share of the customer's local MRR (to value it in the reporting currency), and
-- whether a cancellation is scheduled by then.
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

lines as (
    select * from {{ ref('int_subscription_lines_in_force') }}
),

subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

current_lines as (
    select
        lines.subscription_id,
        lines.customer_id,
        lines.interval_months,
        lines.local_mrr,
        lines.in_force_until,
        as_of.as_of_date
    from lines
    cross join as_of
    where
        lines.period_start <= as_of.as_of_date
        and lines.in_force_until > as_of.as_of_date
),

-- One row per subscription with a quarterly or longer line: its earliest line end is its next renewal.
renewing as (
    select
        subscription_id,
        customer_id,
        as_of_date,
        max(interval_months) as interval_months,
        min(in_force_until) as renewal_date,
        sum(local_mrr) as local_mrr
    from current_lines
    where interval_months in (3, 6, 12)
    group by subscription_id, customer_id, as_of_date
),

customer_totals as (
    select
        customer_id,
        sum(local_mrr) as customer_local_mrr
    from current_lines
    group by customer_id
),

final as (
    select
        renewing.subscription_id,
        renewing.customer_id,
        renewing.as_of_date,
        renewing.renewal_date,
        {{ month_of('renewing.renewal_date') }} as renewal_month,
        {{ plan_interval_label('renewing.interval_months') }} as plan_interval,
        {{ safe_divide('renewing.local_mrr', 'customer_totals.customer_local_mrr') }} as share_of_customer_mrr,
        coalesce(subscriptions.cancel_at <= renewing.renewal_date, false) as is_cancellation_scheduled
    from renewing
    inner join customer_totals on renewing.customer_id = customer_totals.customer_id
    left join subscriptions on renewing.subscription_id = subscriptions.subscription_id
)

select * from final
