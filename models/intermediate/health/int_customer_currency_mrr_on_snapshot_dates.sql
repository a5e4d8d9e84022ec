-- Per customer, currency and snapshot day D: the local MRR of the lines in force on D and on the same day three
-- months before, with the rate of D that values both (docs/metrics.md: mrr(c, d) at the rates of day d).
-- Incremental on DuckDB, as int_customer_health_windows: a run replaces the snapshot days on or after (the
-- latest snapshot day held - incremental_lookback_days). Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
    post_hook="{{ assert_exchange_rates_fresh(this, 'snapshot_date') }}",
) }}
{%- set window_start = incremental_window_first_day() %}

with

snapshot_dates as (
    select
        snapshot_date,
        three_months_before
    from {{ ref('int_health_snapshot_dates') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

lines as (
    select
        customer_id,
        currency,
        local_mrr,
        interval_months,
        period_start,
        in_force_until
    from {{ ref('int_subscription_lines_in_force') }}
),

rates as (
    select * from {{ ref('int_exchange_rates_daily') }}
),

-- Each snapshot needs two days: D itself and D - 3 months (same day of month, clamped to the month's end).
valuation_days as (
    select
        snapshot_date,
        snapshot_date as valuation_day,
        1 as is_snapshot_day
    from snapshot_dates
    union all
    select
        snapshot_date,
        three_months_before as valuation_day,
        0 as is_snapshot_day
    from snapshot_dates
),

lines_in_force as (
    select
        lines.customer_id,
        lines.currency,
        valuation_days.snapshot_date,
        {{ exact_money("sum(case when valuation_days.is_snapshot_day = 1 then lines.local_mrr else 0 end)") }}
            as local_mrr,
        {{ exact_money("sum(case when valuation_days.is_snapshot_day = 0 then lines.local_mrr else 0 end)") }}
            as three_months_before_local_mrr,
        max(case when valuation_days.is_snapshot_day = 1 then lines.interval_months end) as interval_months
    from lines
    inner join valuation_days
        on
            lines.period_start <= valuation_days.valuation_day
            and lines.in_force_until > valuation_days.valuation_day
    group by
        lines.customer_id,
        lines.currency,
        valuation_days.snapshot_date
),

final as (
    select
        lines_in_force.customer_id,
        lines_in_force.currency,
        lines_in_force.snapshot_date,
        lines_in_force.local_mrr,
        lines_in_force.three_months_before_local_mrr,
        lines_in_force.interval_months,
        {{ rate_to_reporting_columns('lines_in_force.currency', 'lines_in_force.snapshot_date') }}
    from lines_in_force
    left join rates
        on
            lines_in_force.currency = rates.currency
            and lines_in_force.snapshot_date = rates.rate_day
)

select * from final
