-- Per customer active on a snapshot day D: the counts and latest moments the signals need, over the windows of
-- docs/metrics.md ((D - n, D] by UTC date). No customer-snapshot is joined to the customer's whole history:
-- each dated row (a period of activity, a day of the other inputs) is joined, by its date, to the few snapshot
-- days whose 30- or 90-day windows hold it and to the one snapshot day whose bucket (the days after the previous
-- snapshot day, up to D) holds it; the to-date figures are running totals over the customer's buckets. The rows
-- grow with the dated rows and active customer-days, not with their product (DECISIONLOG: health windows).
-- Incremental on DuckDB: a run replaces the snapshot days on or after (the latest snapshot day held -
-- incremental_lookback_days); the first of them then has no snapshot day before it, so its bucket holds
-- everything dated up to it and the to-date figures come out as in a full build. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
) }}
{%- set running = 'over (partition by customer_id order by snapshot_date '
    ~ 'rows between unbounded preceding and current row)' %}
{%- set window_start = incremental_window_first_day() %}

with

active as (
    select
        customer_id,
        snapshot_date
    from {{ ref('int_customer_mrr_on_snapshot_dates') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

-- An import CTE per use of each large input: DuckDB copies a CTE that a query reads more than once (22 M and
-- 23 M rows at 1,000,000 customers), where a CTE read once is read straight from its table.
activity_period_ends as (
    select period_end from {{ ref('int_customer_activity_periods') }}
),

activity_periods as (
    select * from {{ ref('int_customer_activity_periods') }}
),

activity_periods_in_buckets as (
    select * from {{ ref('int_customer_activity_periods') }}
),

daily_dates as (
    select activity_date from {{ ref('int_customer_health_daily') }}
),

daily as (
    select * from {{ ref('int_customer_health_daily') }}
),

daily_in_buckets as (
    select * from {{ ref('int_customer_health_daily') }}
),

-- Distinct: the as-of date may also be a month end.
snapshot_dates as (
    select distinct snapshot_date from {{ ref('int_health_snapshot_dates') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

-- Each snapshot day with the snapshot day before it (its bucket starts after it) and the days its windows start after.
snapshot_days as (
    select
        snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date,
        cast({{ dbt.dateadd('day', -30, 'snapshot_date') }} as date) as day_30,
        cast({{ dbt.dateadd('day', -60, 'snapshot_date') }} as date) as day_60,
        cast({{ dbt.dateadd('day', -90, 'snapshot_date') }} as date) as day_90,
        cast({{ dbt.dateadd('day', -180, 'snapshot_date') }} as date) as day_180
    from snapshot_dates
),

-- The dates any input row carries (at most one per calendar day).
fact_dates as (
    select period_end as fact_date from activity_period_ends
    union
    select activity_date as fact_date from daily_dates
),

-- Each date with the snapshot day whose bucket holds it (the first snapshot day on or after it).
bucket_days as (
    select
        fact_dates.fact_date,
        snapshot_days.snapshot_date
    from fact_dates
    inner join snapshot_days
        on
            fact_dates.fact_date <= snapshot_days.snapshot_date
            and (
                snapshot_days.previous_snapshot_date is null
                or fact_dates.fact_date > snapshot_days.previous_snapshot_date
            )
),

-- Each date with the snapshot days D whose windows may hold it ((D - 180, D]), and in which of them it lies.
window_days as (
    select
        fact_dates.fact_date,
        snapshot_days.snapshot_date,
        fact_dates.fact_date > snapshot_days.day_30 as in_last_30d,
        fact_dates.fact_date > snapshot_days.day_60 as in_last_60d,
        fact_dates.fact_date > snapshot_days.day_90 as in_last_90d
    from fact_dates
    inner join snapshot_days
        on
            fact_dates.fact_date <= snapshot_days.snapshot_date
            and fact_dates.fact_date > snapshot_days.day_180
),

-- D - 30 and D - 60 are probe days, so a period lies wholly inside or outside each 30-day window.
activity_windows as (
    select
        activity_periods.customer_id,
        window_days.snapshot_date,
        sum(case when window_days.in_last_30d then activity_periods.activity_events else 0 end)
            as activity_last_30d,
        sum(case when window_days.in_last_30d then 0 else activity_periods.activity_events end)
            as activity_prev_30d
    from activity_periods
    inner join window_days on activity_periods.period_end = window_days.fact_date
    where window_days.in_last_60d
    group by activity_periods.customer_id, window_days.snapshot_date
),

-- Complaints over (D - 60, D], one-off spend over (D - 180, D]: the rows with either.
daily_windows as (
    select
        daily.customer_id,
        window_days.snapshot_date,
        sum(case when window_days.in_last_30d then daily.complaints_opened else 0 end) as complaints_last_30d,
        sum(
            case when window_days.in_last_60d and not window_days.in_last_30d then daily.complaints_opened else 0 end
        ) as complaints_prev_30d,
        sum(case when window_days.in_last_90d then daily.one_off_spend else 0 end) as one_off_spend_last_90d,
        sum(case when window_days.in_last_90d then 0 else daily.one_off_spend end) as one_off_spend_prev_90d
    from daily
    inner join window_days on daily.activity_date = window_days.fact_date
    where daily.complaints_opened != 0 or daily.one_off_spend != 0
    group by daily.customer_id, window_days.snapshot_date
),

-- Every input row in its bucket, and every active customer-day (so that each has a bucket row), in one shape.
bucket_rows as (
    select
        activity_periods_in_buckets.customer_id,
        bucket_days.snapshot_date,
        0 as is_active,
        activity_periods_in_buckets.last_activity_date,
        activity_periods_in_buckets.emails_sent,
        activity_periods_in_buckets.last_email_engaged_at,
        0 as old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from activity_periods_in_buckets
    inner join bucket_days on activity_periods_in_buckets.period_end = bucket_days.fact_date
    union all
    select
        daily_in_buckets.customer_id,
        bucket_days.snapshot_date,
        0 as is_active,
        cast(null as date) as last_activity_date,
        0 as emails_sent,
        cast(null as timestamp) as last_email_engaged_at,
        daily_in_buckets.old_unresolved_change,
        daily_in_buckets.last_failed_charge_at,
        daily_in_buckets.last_succeeded_charge_at,
        daily_in_buckets.surveys_sent,
        daily_in_buckets.nps_answers,
        daily_in_buckets.csat_answers
    from daily_in_buckets
    inner join bucket_days on daily_in_buckets.activity_date = bucket_days.fact_date
    union all
    select
        customer_id,
        snapshot_date,
        1 as is_active,
        cast(null as date) as last_activity_date,
        0 as emails_sent,
        cast(null as timestamp) as last_email_engaged_at,
        0 as old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from active
),

buckets as (
    select
        customer_id,
        snapshot_date,
        max(is_active) as is_active,
        max(last_activity_date) as last_activity_date,
        sum(emails_sent) as emails_sent,
        max(last_email_engaged_at) as last_email_engaged_at,
        sum(old_unresolved_change) as old_unresolved_change,
        max(last_failed_charge_at) as last_failed_charge_at,
        max(last_succeeded_charge_at) as last_succeeded_charge_at,
        sum(surveys_sent) as surveys_sent,
        sum(nps_answers) as nps_answers,
        sum(csat_answers) as csat_answers
    from bucket_rows
    group by customer_id, snapshot_date
),

-- Up to and including each bucket: everything dated on or before its snapshot day D.
running_totals as (
    select
        customer_id,
        snapshot_date,
        is_active,
        max(last_activity_date) {{ running }} as last_activity_date,
        sum(emails_sent) {{ running }} as emails_sent_to_date,
        max(last_email_engaged_at) {{ running }} as last_email_engaged_at,
        sum(old_unresolved_change) {{ running }} as old_unresolved_complaints,
        max(last_failed_charge_at) {{ running }} as last_failed_charge_at,
        max(last_succeeded_charge_at) {{ running }} as last_succeeded_charge_at,
        sum(surveys_sent) {{ running }} as surveys_sent_to_date,
        sum(nps_answers) {{ running }} as nps_answers_to_date,
        sum(csat_answers) {{ running }} as csat_answers_to_date
    from buckets
),

final as (
    select
        running_totals.customer_id,
        running_totals.snapshot_date,
        running_totals.last_activity_date,
        coalesce(activity_windows.activity_last_30d, 0) as activity_last_30d,
        coalesce(activity_windows.activity_prev_30d, 0) as activity_prev_30d,
        running_totals.emails_sent_to_date,
        running_totals.last_email_engaged_at,
        coalesce(daily_windows.complaints_last_30d, 0) as complaints_last_30d,
        coalesce(daily_windows.complaints_prev_30d, 0) as complaints_prev_30d,
        running_totals.old_unresolved_complaints,
        running_totals.last_failed_charge_at,
        running_totals.last_succeeded_charge_at,
        {{ as_money("coalesce(daily_windows.one_off_spend_last_90d, 0)") }} as one_off_spend_last_90d,
        {{ as_money("coalesce(daily_windows.one_off_spend_prev_90d, 0)") }} as one_off_spend_prev_90d,
        running_totals.surveys_sent_to_date,
        running_totals.nps_answers_to_date,
        running_totals.csat_answers_to_date
    from running_totals
    left join activity_windows
        on
            running_totals.customer_id = activity_windows.customer_id
            and running_totals.snapshot_date = activity_windows.snapshot_date
    left join daily_windows
        on
            running_totals.customer_id = daily_windows.customer_id
            and running_totals.snapshot_date = daily_windows.snapshot_date
    where running_totals.is_active = 1
)

select * from final
