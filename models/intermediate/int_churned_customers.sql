-- Each churn (customer, month) with its type and its one reason (docs/metrics.md, Churn: voluntary or involuntary).
-- Incremental on DuckDB by month, as int_subscription_mrr_monthly; a churn month reads the month before it.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'month'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

customer_months as (
    select * from {{ ref('int_customer_mrr_monthly') }}
    {{ incremental_window_filter('month', window_start) }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
    {{ incremental_window_filter('month', window_start, months_before=1) }}
),

currency_months as (
    select
        customer_id,
        currency,
        month,
        rate_to_reporting
    from {{ ref('int_customer_currency_mrr_monthly') }}
    {{ incremental_window_filter('month', window_start, months_before=1) }}
),

subscriptions as (
    select
        subscription_id,
        canceled_at,
        coalesce(cancel_reason, 'unspecified') as cancel_reason
    from {{ ref('stg_subscriptions') }}
),

churns as (
    select
        customer_id,
        month,
        {{ month_end('month') }} as month_end,
        {{ add_months(-1, 'month') }} as last_month
    from customer_months
    where prev_mrr > 0 and mrr = 0
),

-- Subscriptions in force at last month's end that were cancelled by the end of the churn month.
cancelled_subscriptions as (
    select
        churns.customer_id,
        churns.month,
        subscriptions.subscription_id,
        subscriptions.cancel_reason,
        {{ convert_money('subscription_months.local_mrr', 'currency_months.rate_to_reporting') }} as last_month_mrr
    from churns
    inner join subscription_months
        on
            churns.customer_id = subscription_months.customer_id
            and churns.last_month = subscription_months.month
    inner join currency_months
        on
            subscription_months.customer_id = currency_months.customer_id
            and subscription_months.currency = currency_months.currency
            and subscription_months.month = currency_months.month
    inner join subscriptions
        on subscription_months.subscription_id = subscriptions.subscription_id
    where cast(subscriptions.canceled_at as date) <= churns.month_end
),

ranked as (
    select
        customer_id,
        month,
        cancel_reason,
        max(case when cancel_reason = 'payment_failed' then 1 else 0 end)
            over (partition by customer_id, month) as has_payment_failed,
        row_number() over (
            partition by customer_id, month
            order by last_month_mrr desc, subscription_id asc
        ) as mrr_rank
    from cancelled_subscriptions
),

final as (
    select
        churns.customer_id,
        churns.month,
        case
            when ranked.has_payment_failed = 1 then 'involuntary'
            when ranked.cancel_reason is not null then 'voluntary'
            else 'unknown'
        end as churn_type,
        case
            when ranked.has_payment_failed = 1 then 'payment_failed'
            else coalesce(ranked.cancel_reason, 'unknown')
        end as churn_reason
    from churns
    left join ranked
        on
            churns.customer_id = ranked.customer_id
            and churns.month = ranked.month
            and ranked.mrr_rank = 1
)

select * from final
