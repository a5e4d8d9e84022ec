-- Each customer-month classified into one MRR movement, with the amounts that make the MRR identity hold.
-- Incremental on DuckDB by month, as int_subscription_mrr_monthly (each row reads only its own customer-month).
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

churned as (
    select * from {{ ref('int_churned_customers') }}
    {{ incremental_window_filter('month', window_start) }}
),

classified as (
    select
        customer_id,
        month,
        mrr,
        prev_mrr,
        {{ as_money('prev_mrr - last_month_mrr') }} as fx_adjustment_mrr,
        case
            when prev_mrr = 0 and mrr > 0 and month = first_active_month then 'new'
            when prev_mrr = 0 and mrr > 0 then 'reactivation'
            when prev_mrr > 0 and mrr > prev_mrr then 'expansion'
            when prev_mrr > 0 and mrr > 0 and mrr < prev_mrr then 'contraction'
            when prev_mrr > 0 and mrr = 0 then 'churn'
            when prev_mrr > 0 then 'unchanged'
            else 'inactive'
        end as movement
    from customer_months
),

final as (
    select
        classified.customer_id,
        classified.month,
        classified.mrr,
        classified.prev_mrr,
        classified.movement,
        {{ as_money("case when classified.movement = 'new' then classified.mrr else 0 end") }} as new_mrr,
        {{ as_money(
            "case when classified.movement = 'expansion' then classified.mrr - classified.prev_mrr else 0 end"
        ) }} as expansion_mrr,
        {{ as_money(
            "case when classified.movement = 'contraction' then classified.prev_mrr - classified.mrr else 0 end"
        ) }} as contraction_mrr,
        {{ as_money("case when classified.movement = 'churn' then classified.prev_mrr else 0 end") }} as churn_mrr,
        {{ as_money("case when classified.movement = 'reactivation' then classified.mrr else 0 end") }}
            as reactivation_mrr,
        classified.fx_adjustment_mrr,
        churned.churn_type,
        churned.churn_reason
    from classified
    left join churned
        on
            classified.customer_id = churned.customer_id
            and classified.month = churned.month
)

select * from final
