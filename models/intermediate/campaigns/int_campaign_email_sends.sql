-- One row per e-mail sent up to the as-of date, with its campaign, whether it was opened or clicked (each
-- open or click belongs to the latest send of the same campaign to the same customer at or before it, so an
-- e-mail opened twice counts once), whether the customer was a lapsed customer on the send day (not paying,
-- but paying on some earlier day) and, for them, the first day they paid again (docs/metrics.md, Campaigns).
-- Incremental on DuckDB by customer: a run works out again every row of each customer with an e-mail event, a
-- paying line issued or a paying line starting on or after (the latest sent_date held - incremental_lookback_days),
-- and replaces that customer's rows (delete+insert). A send's flags read only its own customer's e-mail events and
-- paying lines, and the events and lines re-read by the models before it all lie after that day (their windows
-- start from days no earlier than the latest send held). Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    meta={'window_column': 'sent_date'},
) }}
{%- set window_start = incremental_window_first_day() %}
{%- set recomputed_customers_and = (
    'customer_id in (select recomputed_customers.customer_id from recomputed_customers) and ' if window_start else ''
) %}

with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

{% if window_start %}
recomputed_customers as (
    select customer_id from {{ ref('int_customer_email_sends') }}
    where occurred_at >= cast('{{ window_start }}' as timestamp)
    union
    select customer_id from {{ ref('int_subscription_lines_in_force') }}
    where issued_date >= cast('{{ window_start }}' as date) or period_start >= cast('{{ window_start }}' as date)
),
{% endif %}

-- Each send opened (or clicked) by the as-of date; int_customer_email_sends gives each open and click the send it
-- belongs to.
engagement as (
    select
        customer_id,
        attributed_send_number as send_number,
        1 as is_opened,
        max(case when event_name = 'email_clicked' then 1 else 0 end) as is_clicked
    from {{ ref('int_customer_email_sends') }}
    where
        {{ recomputed_customers_and }}attributed_send_number is not null
        and cast(occurred_at as date) <= (select as_of.as_of_date from as_of)
    group by customer_id, attributed_send_number
),

sends as (
    select
        customer_id,
        coalesce(campaign, 'unknown') as campaign,
        send_number,
        occurred_at as sent_at,
        cast(occurred_at as date) as sent_date
    from {{ ref('int_customer_email_sends') }}
    where
        {{ recomputed_customers_and }}event_name = 'email_sent'
        and cast(occurred_at as date) <= (select as_of.as_of_date from as_of)
),

paying_lines as (
    select
        customer_id,
        period_start,
        in_force_until
    from {{ ref('int_subscription_lines_in_force') }}
    where
        {{ recomputed_customers_and }}local_mrr > 0 and period_start <= (select as_of.as_of_date from as_of)
),

last_paying_lines as (
    select
        customer_id,
        max(in_force_until) as in_force_until
    from {{ ref('int_subscription_lines_in_force') }}
    where
        {{ recomputed_customers_and }}local_mrr > 0 and period_start <= (select as_of.as_of_date from as_of)
    group by customer_id
),

-- Each paying line with the latest day a line that comes before it (by start) stops being in force.
ordered_lines as (
    select
        customer_id,
        period_start,
        max(in_force_until) over (
            partition by customer_id order by period_start, in_force_until
            rows between unbounded preceding and 1 preceding
        ) as earlier_lines_until
    from paying_lines
),

-- The spans in which a customer who paid before has no paying line in force: from the day every earlier line
-- has stopped to the start of the next line (reactivated_on), and from the day the last line stops, with no
-- end. They do not overlap, so a send falls in at most one.
lapses as (
    select
        customer_id,
        earlier_lines_until as lapsed_from,
        period_start as reactivated_on
    from ordered_lines
    where period_start > earlier_lines_until
    union all
    select
        customer_id,
        in_force_until as lapsed_from,
        cast(null as date) as reactivated_on
    from last_paying_lines
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
        lapses.customer_id is not null as is_lapsed_at_send,
        lapses.reactivated_on
    from sends
    left join lapses
        on
            sends.customer_id = lapses.customer_id
            and sends.sent_date >= lapses.lapsed_from
            and (lapses.reactivated_on is null or sends.sent_date < lapses.reactivated_on)
    left join engagement
        on
            sends.customer_id = engagement.customer_id
            and sends.send_number = engagement.send_number
)

select * from final
