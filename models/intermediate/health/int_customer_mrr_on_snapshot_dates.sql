-- Per customer active on a snapshot day D (mrr(c, D) > 0): mrr(c, D) and the MRR of the same day three months
-- before valued at the rates of D, both rounded to 6 decimals, and the longest billing interval in force on D.
-- Incremental on DuckDB, as int_customer_health_windows: a run replaces the snapshot days on or after (the
-- latest snapshot day held - incremental_lookback_days). Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

currency_mrr as (
    select * from {{ ref('int_customer_currency_mrr_on_snapshot_dates') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

valued as (
    select
        customer_id,
        snapshot_date,
        {{ round_money(
            'sum(' ~ convert_money('local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as mrr,
        {{ round_money(
            'sum(' ~ convert_money('three_months_before_local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as three_months_before_mrr,
        max(interval_months) as interval_months
    from currency_mrr
    group by customer_id, snapshot_date
),

final as (
    select * from valued
    where mrr > 0
)

select * from final
