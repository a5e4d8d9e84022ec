-- Per customer and period (int_health_periods) up to the as-of date: activity events (event_name not starting
-- with `email_`), the last day with activity, e-mails sent, and the last e-mail opened or clicked. Events are read
-- once, grouped straight into periods (only the e-mails sent are read again, to number them, in the signals).
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

events as (
    select
        customer_id,
        event_name,
        occurred_at,
        cast(occurred_at as date) as event_date,
        substr(event_name, 1, 6) != 'email_' as is_activity
    from {{ ref('stg_events') }}
),

final as (
    select
        events.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period)) as period_end,
        sum(case when events.is_activity then 1 else 0 end) as activity_events,
        max(case when events.is_activity then events.event_date end) as last_activity_date,
        sum(case when events.event_name = 'email_sent' then 1 else 0 end) as emails_sent,
        max(case when events.event_name in ('email_opened', 'email_clicked') then events.occurred_at end)
            as last_email_engaged_at
    from events
    left join periods on events.event_date = periods.calendar_date
    where events.event_date <= (select as_of.as_of_date from as_of)
    group by
        events.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period))
)

select * from final
