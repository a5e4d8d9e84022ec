-- Per customer and period (int_health_periods) up to the as-of date: activity events (event_name not starting
-- with `email_`), the last day with activity, e-mails sent, and the last e-mail opened or clicked, summed from the
-- per-customer-day aggregate of the events (int_customer_events_daily).
-- Incremental on DuckDB: a run replaces the periods ending on or after (the latest period end held -
-- incremental_lookback_days - 180 days). The periods are cut by the probe days, and those that follow the as-of
-- date (D - 180 the earliest) move with it, so every period that ends before that bound is the same as in a full
-- build; the events re-read by int_customer_events_daily all lie after it. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'period_end', 'window_extra_days': health_probe_offsets() | max},
) }}

{%- set window_start = incremental_window_first_day() %}
{%- set first_day = none %}
{%- if window_start %}
    {#- The first day of the periods re-read, so that only the days from it are joined; none when the first
        period, which also holds every day before the first probe day, is re-read. -#}
    {%- set first_day_sql -%}
        select
            case
                when min(period_end) < cast('{{ window_start }}' as date)
                    then min(case when period_end >= cast('{{ window_start }}' as date) then calendar_date end)
            end
        from {{ ref('int_health_periods') }}
    {%- endset %}
    {%- set first_day = run_query(first_day_sql).columns[0].values()[0] %}
{%- endif %}

with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

periods as (
    select * from {{ ref('int_health_periods') }}
),

first_period as (
    select min(period_end) as period_end from periods
),

days as (
    select * from {{ ref('int_customer_events_daily') }}
    {{ incremental_window_filter('event_date', first_day) }}
),

dated as (
    select
        days.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period)) as period_end,
        days.event_date,
        days.activity_events,
        days.emails_sent,
        days.last_email_engaged_at
    from days
    left join periods on days.event_date = periods.calendar_date
    where days.event_date <= (select as_of.as_of_date from as_of)
),

final as (
    select
        customer_id,
        period_end,
        sum(activity_events) as activity_events,
        max(case when activity_events > 0 then event_date end) as last_activity_date,
        sum(emails_sent) as emails_sent,
        max(last_email_engaged_at) as last_email_engaged_at
    from dated
    {{ incremental_window_filter('period_end', window_start) }}
    group by customer_id, period_end
)

select * from final
