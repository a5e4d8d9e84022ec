-- Per customer active on a complete month end D: whether they churned in the sense of the health backtest (not
-- active at one or more of the next 3 month ends) and the day that became known, the third month end after D.
-- Only month ends whose next 3 month ends are complete have an outcome.
-- Incremental on DuckDB by snapshot day: a run replaces the month ends on or after (the latest one with an outcome -
-- incremental_lookback_days), whose outcome reads the latest complete month (the one the monthly MRR chain
-- replaces) or a month completed since, and the month ends that got their third complete month since. An earlier
-- month end's outcome reads only months the chain keeps. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

active as (
    select
        customer_id,
        snapshot_date
    from {{ ref('int_customer_mrr_on_snapshot_dates') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

snapshot_dates as (
    select
        snapshot_date,
        month
    from {{ ref('int_health_snapshot_dates') }}
    where not is_as_of_date {{ incremental_window_filter('snapshot_date', window_start, 'and') }}
),

complete_months as (
    select
        month,
        month_end
    from {{ ref('int_months') }}
    where is_complete
),

customer_months as (
    select
        customer_id,
        month,
        mrr
    from {{ ref('int_customer_mrr_monthly') }}
    -- The months after those of the snapshots read.
    {{ incremental_window_filter('month', window_start) }}
),

-- The next 3 months of each month-end snapshot that are complete.
next_months as (
    select
        snapshot_dates.snapshot_date,
        complete_months.month,
        complete_months.month_end
    from snapshot_dates
    inner join complete_months
        on
            snapshot_dates.month < complete_months.month
            and {{ add_months(3, 'snapshot_dates.month') }} >= complete_months.month
),

observable as (
    select
        snapshot_date,
        max(month_end) as outcome_known_on
    from next_months
    group by snapshot_date
    having count(*) = 3
),

active_next as (
    select
        active.customer_id,
        active.snapshot_date,
        sum(case when customer_months.mrr > 0 then 1 else 0 end) as active_month_ends
    from active
    inner join observable on active.snapshot_date = observable.snapshot_date
    inner join next_months on active.snapshot_date = next_months.snapshot_date
    left join customer_months
        on
            active.customer_id = customer_months.customer_id
            and next_months.month = customer_months.month
    group by active.customer_id, active.snapshot_date
),

final as (
    select
        active_next.customer_id,
        active_next.snapshot_date,
        observable.outcome_known_on,
        active_next.active_month_ends < 3 as churned
    from active_next
    inner join observable on active_next.snapshot_date = observable.snapshot_date
)

select * from final
