-- One row per customer and complete month from their first active month: mrr, prev_mrr (last month at this
-- month's rates) and last month's mrr, each rounded to 6 decimals (docs/metrics.md, MRR movements).
-- Incremental on DuckDB by month, as int_subscription_mrr_monthly: a customer's first active month and the mrr of
-- the month before the first month replaced come from the row of that month the run keeps.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'month'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

currency_months as (
    select * from {{ ref('int_customer_currency_mrr_monthly') }}
    {{ incremental_window_filter('month', window_start) }}
),

months as (
    select month from {{ ref('int_months') }}
    where is_complete {{ incremental_window_filter('month', window_start, 'and') }}
),

{% if window_start %}
-- The row each customer active before the window has for the latest month kept, the month of the day before the
-- window starts (a customer has a row for every month from the first active one on).
kept_last_months as (
    select
        customer_id,
        first_active_month,
        mrr
    from {{ this }}
    where month = {{ month_of(dbt.dateadd('day', -1, "cast('" ~ window_start ~ "' as date)")) }}
),
{% endif %}

valued as (
    select
        customer_id,
        month,
        {{ round_money(
            'sum(' ~ convert_money('local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as mrr,
        {{ round_money(
            'sum(' ~ convert_money('last_month_local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as prev_mrr
    from currency_months
    group by customer_id, month
),

first_active_months as (
    {% if window_start %}
        select
            customer_id,
            first_active_month
        from kept_last_months
        union all
    {% endif %}
    select
        customer_id,
        min(month) as first_active_month
    from valued
    where
        mrr > 0
    {% if window_start %}
        and customer_id not in (select kept_last_months.customer_id from kept_last_months)
    {% endif %}
    group by customer_id
),

customer_months as (
    select
        first_active_months.customer_id,
        first_active_months.first_active_month,
        months.month
    from first_active_months
    inner join months on first_active_months.first_active_month <= months.month
),

final as (
    select
        customer_months.customer_id,
        customer_months.month,
        customer_months.first_active_month,
        {{ as_money("coalesce(valued.mrr, 0)") }} as mrr,
        {{ as_money("coalesce(valued.prev_mrr, 0)") }} as prev_mrr,
        -- Last month's mrr: the month before in the rows built here, else the kept row's (the first month replaced).
        {{ as_money(
            "coalesce(lag(coalesce(valued.mrr, 0)) over (partition by customer_months.customer_id "
            ~ "order by customer_months.month), " ~ ("kept_last_months.mrr, " if window_start else "") ~ "0)"
        ) }} as last_month_mrr
    from customer_months
    left join valued
        on
            customer_months.customer_id = valued.customer_id
            and customer_months.month = valued.month
    {% if window_start %}
        left join kept_last_months on customer_months.customer_id = kept_last_months.customer_id
    {% endif %}
)

select * from final
