-- Per subscription with a scheduled end (cancel_at) and each complete month end at which it is in force: its
-- share of the customer's local MRR that month, when the schedule became known and the month it takes effect
-- (docs/metrics.md, Outlook). The share turns the customer's MRR in the reporting currency into the part that
-- ends; a customer billed in two currencies is split by local amounts (a documented approximation).
with

subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
),

customer_months as (
    select
        customer_id,
        month,
        sum(local_mrr) as customer_local_mrr
    from subscription_months
    group by customer_id, month
),

scheduled as (
    select
        subscription_id,
        customer_id,
        -- Known since the request (canceled_at); a schedule without one is taken as known from the start.
        coalesce(canceled_at, started_at, cancel_at) as known_at,
        cancel_at,
        {{ month_of('cancel_at') }} as effective_month
    from subscriptions
    where cancel_at is not null
),

final as (
    select
        scheduled.subscription_id,
        scheduled.customer_id,
        subscription_months.month,
        cast(
            {{ safe_divide('sum(subscription_months.local_mrr)', 'max(customer_months.customer_local_mrr)') }}
            as {{ type_rate() }}
        ) as share_of_customer_mrr,
        scheduled.known_at,
        scheduled.cancel_at,
        scheduled.effective_month
    from scheduled
    inner join subscription_months on scheduled.subscription_id = subscription_months.subscription_id
    inner join customer_months
        on
            subscription_months.customer_id = customer_months.customer_id
            and subscription_months.month = customer_months.month
    group by
        scheduled.subscription_id,
        scheduled.customer_id,
        subscription_months.month,
        scheduled.known_at,
        scheduled.cancel_at,
        scheduled.effective_month
)

select * from final
