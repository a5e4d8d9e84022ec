-- One row per customer and complete month from their cohort (first active) month: the customer's MRR, whether
-- they are active and their first-month MRR at this month's rates (their part of cohort_starting_mrr)
-- (docs/metrics.md, Cohort retention). cohort_retention joins the dimensions, which a later customers file may
-- change, so a month kept here holds nothing that can go stale.
-- Incremental on DuckDB by month, as int_customer_mrr_monthly (each row reads only its own customer-month).
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

starting_parts as (
    select * from {{ ref('int_customer_starting_mrr_revalued') }}
    {{ incremental_window_filter('month', window_start) }}
),

-- Rounded per customer and month like every customer-month MRR figure, so that at age 0 it equals mrr exactly.
starting_mrr as (
    select
        customer_id,
        month,
        {{ round_money(
            'sum(' ~ convert_money('starting_local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as cohort_starting_mrr
    from starting_parts
    group by customer_id, month
),

final as (
    select
        customer_months.customer_id,
        customer_months.first_active_month as cohort_month,
        customer_months.month,
        {{ dbt.datediff('customer_months.first_active_month', 'customer_months.month', 'month') }}
            as months_since_start,
        customer_months.mrr,
        customer_months.mrr > 0 as is_active,
        {{ as_money('coalesce(starting_mrr.cohort_starting_mrr, 0)') }} as cohort_starting_mrr
    from customer_months
    left join starting_mrr
        on
            customer_months.customer_id = starting_mrr.customer_id
            and customer_months.month = starting_mrr.month
)

select * from final
