-- One row per e-mail sent up to the as-of date, with its campaign, whether it was opened or clicked (each
-- open or click belongs to the latest send of the same campaign to the same customer at or before it, so an
-- e-mail opened twice counts once), whether the customer was a lapsed customer on the send day (not paying,
-- but paying on some earlier day) and, for them, the first day they paid again (docs/metrics.md, Campaigns).
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

email_events as (
    select
        customer_id,
        event_name,
        coalesce(campaign, 'unknown') as campaign,
        occurred_at,
        send_number
    from {{ ref('int_customer_email_sends') }}
    where cast(occurred_at as date) <= (select as_of.as_of_date from as_of)
),

attributed as (
    select
        customer_id,
        campaign,
        event_name,
        occurred_at,
        send_number,
        max(send_number) over (
            partition by customer_id, campaign
            order by occurred_at, case when event_name = 'email_sent' then 0 else 1 end
            rows between unbounded preceding and current row
        ) as attributed_send_number
    from email_events
),

engagement as (
    select
        customer_id,
        attributed_send_number as send_number,
        1 as is_opened,
        max(case when event_name = 'email_clicked' then 1 else 0 end) as is_clicked
    from attributed
    where event_name != 'email_sent' and attributed_send_number is not null
    group by customer_id, attributed_send_number
),

sends as (
    select
        customer_id,
        campaign,
        send_number,
        occurred_at as sent_at,
        cast(occurred_at as date) as sent_date
    from email_events
    where event_name = 'email_sent'
),

paying_lines as (
    select
        customer_id,
        period_start,
        in_force_until
    from {{ ref('int_subscription_lines_in_force') }}
    where local_mrr > 0 and period_start <= (select as_of.as_of_date from as_of)
),

-- A timeline per customer of line starts (+1), line ends (-1) and sends; on one day the lines' starts and
-- ends come before the sends, so a send sees the lines in force on its day.
timeline as (
    select
        customer_id,
        period_start as on_date,
        0 as kind_order,
        1 as in_force_change,
        1 as is_start,
        cast(null as {{ dbt.type_int() }}) as send_number
    from paying_lines
    union all
    select
        customer_id,
        in_force_until as on_date,
        0 as kind_order,
        -1 as in_force_change,
        0 as is_start,
        cast(null as {{ dbt.type_int() }}) as send_number
    from paying_lines
    union all
    select
        customer_id,
        sent_date as on_date,
        1 as kind_order,
        0 as in_force_change,
        0 as is_start,
        send_number
    from sends
),

positioned as (
    select
        customer_id,
        on_date,
        send_number,
        sum(in_force_change) over (
            partition by customer_id order by on_date, kind_order
            rows between unbounded preceding and current row
        ) as lines_in_force,
        sum(is_start) over (
            partition by customer_id order by on_date, kind_order
            rows between unbounded preceding and current row
        ) as lines_started,
        min(case when is_start = 1 then on_date end) over (
            partition by customer_id order by on_date, kind_order
            rows between 1 following and unbounded following
        ) as next_line_start
    from timeline
),

final as (
    select
        sends.customer_id,
        sends.campaign,
        sends.send_number,
        sends.sent_at,
        sends.sent_date,
        {{ month_of('sends.sent_date') }} as send_month,
        coalesce(engagement.is_opened, 0) = 1 as is_opened,
        coalesce(engagement.is_clicked, 0) = 1 as is_clicked,
        positioned.lines_in_force = 0 and positioned.lines_started > 0 as is_lapsed_at_send,
        case
            when positioned.lines_in_force = 0 and positioned.lines_started > 0
                then positioned.next_line_start
        end as reactivated_on
    from sends
    inner join positioned
        on
            sends.customer_id = positioned.customer_id
            and sends.send_number = positioned.send_number
    left join engagement
        on
            sends.customer_id = engagement.customer_id
            and sends.send_number = engagement.send_number
)

select * from final
