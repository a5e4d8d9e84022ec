-- Per customer, currency and complete month: this month's and last month's local MRR, with this month-end's rate.
-- Incremental on DuckDB by month, as int_subscription_mrr_monthly; the first month replaced reads its last month.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'month'},
    post_hook="{{ assert_exchange_rates_fresh(this) }}",
) }}
{%- set window_start = incremental_window_first_day() %}

with

-- The subscription-months twice, as this month's and as next month's last month: two imports read once each,
-- rather than one CTE read twice, which DuckDB would copy (10.6 M rows at 1,000,000 customers).
this_month as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
    {{ incremental_window_filter('month', window_start) }}
),

last_month as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
    {{ incremental_window_filter('month', window_start, months_before=1) }}
),

months as (
    select
        month,
        month_end
    from {{ ref('int_months') }}
    where is_complete {{ incremental_window_filter('month', window_start, 'and') }}
),

rates as (
    select * from {{ ref('int_exchange_rates_daily') }}
),

-- Last month's local MRR moves to this month, to be revalued at this month's rate.
this_and_last_month as (
    select
        customer_id,
        currency,
        month,
        local_mrr,
        0 as last_month_local_mrr
    from this_month
    union all
    select
        customer_id,
        currency,
        {{ add_months(1, 'month') }} as month,
        0 as local_mrr,
        local_mrr as last_month_local_mrr
    from last_month
),

combined as (
    select
        customer_id,
        currency,
        month,
        {{ exact_money("sum(local_mrr)") }} as local_mrr,
        {{ exact_money("sum(last_month_local_mrr)") }} as last_month_local_mrr
    from this_and_last_month
    group by customer_id, currency, month
),

final as (
    select
        combined.customer_id,
        combined.currency,
        combined.month,
        months.month_end,
        combined.local_mrr,
        combined.last_month_local_mrr,
        {{ rate_to_reporting_columns('combined.currency', 'months.month_end') }}
    from combined
    inner join months on combined.month = months.month
    left join rates
        on
            combined.currency = rates.currency
            and months.month_end = rates.rate_day
)

select * from final
