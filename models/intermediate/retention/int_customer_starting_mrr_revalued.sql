-- Each customer's local MRR of their first active month, per currency, valued at the rate of every complete
-- month end from then on: the parts of cohort_starting_mrr(k, a) (docs/metrics.md, Cohort retention). Its post-hook
-- stops the build when a rate needed here is missing or too old.
-- Incremental on DuckDB by month, as int_customer_mrr_monthly: a run values every customer's first month at the
-- month ends of the months it replaces.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'month'},
    post_hook="{{ assert_exchange_rates_fresh(this) }}",
) }}
{%- set window_start = incremental_window_first_day() %}
with

customer_months as (
    select * from {{ ref('int_customer_mrr_monthly') }}
),

currency_months as (
    select * from {{ ref('int_customer_currency_mrr_monthly') }}
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

first_months as (
    select
        customer_id,
        first_active_month
    from customer_months
    where month = first_active_month
),

-- local_mrr(c, cur, k) for the cohort month k of each customer.
first_month_currencies as (
    select
        currency_months.customer_id,
        currency_months.currency,
        currency_months.month as cohort_month,
        currency_months.local_mrr as starting_local_mrr
    from currency_months
    inner join first_months
        on
            currency_months.customer_id = first_months.customer_id
            and currency_months.month = first_months.first_active_month
    where currency_months.local_mrr != 0
),

final as (
    select
        first_month_currencies.customer_id,
        first_month_currencies.currency,
        first_month_currencies.cohort_month,
        months.month,
        months.month_end,
        first_month_currencies.starting_local_mrr,
        {{ rate_to_reporting_columns('first_month_currencies.currency', 'months.month_end') }}
    from first_month_currencies
    inner join months on first_month_currencies.cohort_month <= months.month
    left join rates
        on
            first_month_currencies.currency = rates.currency
            and months.month_end = rates.rate_day
)

select * from final
