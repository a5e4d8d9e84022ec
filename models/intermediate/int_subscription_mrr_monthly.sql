-- Local MRR of each subscription on each complete month end at which one of its lines is in force.
-- Incremental on DuckDB by month: a run replaces the months on or after (the latest month held -
-- incremental_lookback_days), that is the latest month held and the months completed since. Server targets
-- rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'month'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

lines as (
    select * from {{ ref('int_subscription_lines_in_force') }}
    {{ incremental_window_filter('in_force_until', window_start) }}
),

months as (
    select
        month,
        month_end
    from {{ ref('int_months') }}
    where is_complete {{ incremental_window_filter('month', window_start, 'and') }}
),

final as (
    select
        lines.subscription_key,
        lines.subscription_id,
        lines.customer_id,
        lines.currency,
        months.month,
        months.month_end,
        {{ exact_money("sum(lines.local_mrr)") }} as local_mrr,
        max(lines.interval_months) as interval_months
    from lines
    inner join months
        on
            lines.period_start <= months.month_end
            and lines.in_force_until > months.month_end
    group by
        lines.subscription_key,
        lines.subscription_id,
        lines.customer_id,
        lines.currency,
        months.month,
        months.month_end
)

select * from final
