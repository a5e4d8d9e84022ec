-- Per customer and period (int_health_periods) up to the as-of date: activity events (event_name not starting
-- with `email_`), the last day with activity, e-mails sent, and the last e-mail opened or clicked, summed from the
-- per-customer-day aggregate of the events (int_customer_events_daily).
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
),

final as (
    select
        days.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period)) as period_end,
        sum(days.activity_events) as activity_events,
        max(case when days.activity_events > 0 then days.event_date end) as last_activity_date,
        sum(days.emails_sent) as emails_sent,
        max(days.last_email_engaged_at) as last_email_engaged_at
    from days
    left join periods on days.event_date = periods.calendar_date
    where days.event_date <= (select as_of.as_of_date from as_of)
    group by
        days.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period))
)

select * from final
