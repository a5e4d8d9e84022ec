-- Every calendar day from the first probe day to the last (the as-of date), with the period it falls in: the
-- first probe day on or after it. Every window (D - n, D] of the signals is bounded by probe days, so counting
-- per period instead of per day loses nothing and leaves far fewer rows. Days before the first probe day belong
-- to the first period.
with

probe_days as (
    select distinct probe_day from {{ ref('int_health_probe_days') }}
),

bounds as (
    select
        min(probe_day) as first_day,
        max(probe_day) as last_day
    from probe_days
),

integers as (
    {{ integers(5) }}
),

days as (
    select cast({{ dbt.dateadd('day', 'integers.n', 'bounds.first_day') }} as date) as calendar_date
    from integers
    cross join bounds
    where integers.n <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
),

final as (
    select
        days.calendar_date,
        min(probe_days.probe_day) as period_end
    from days
    inner join probe_days on days.calendar_date <= probe_days.probe_day
    group by days.calendar_date
)

select * from final
