-- Every staged e-mail event (sent, opened, clicked) with its campaign (`properties` {"campaign": ...}, null when
-- absent). Sends are numbered per customer in time order: the k-th most recent sent by D is number
-- (sent by D) - k + 1 (email_disengaged); opens and clicks have no number (campaign_monthly attributes them to
-- their send). The one narrow table of single events.
-- Incremental on DuckDB, like int_customer_events_daily: a run re-reads only the events on or after (the day of
-- the latest event held - incremental_lookback_days) and replaces them; their sends are numbered on from the
-- customer's sends before that day, which the run keeps. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'occurred_at'},
) }}

{%- set window_start = incremental_window_first_day() %}

with

email_events as (
    select
        event_id,
        customer_id,
        event_name,
        occurred_at,
        {{ json_text_field('properties', 'campaign') }} as campaign
    from {{ ref('stg_events') }}
    where event_name in ('email_sent', 'email_opened', 'email_clicked')
    {{ incremental_window_filter('occurred_at', window_start, 'and', 'timestamp') }}
),

{%- if window_start %}
-- How many sends each customer had before the re-read days: the rows the run keeps.
earlier_sends as (
    select
        customer_id,
        max(send_number) as sends
    from {{ this }}
    where send_number is not null and occurred_at < cast('{{ window_start }}' as timestamp)
    group by customer_id
),
{%- endif %}

final as (
    select
        email_events.customer_id,
        email_events.event_name,
        email_events.campaign,
        email_events.occurred_at,
        case when email_events.event_name = 'email_sent' then email_events.occurred_at end as sent_at,
        case
            when email_events.event_name = 'email_sent'
                then {% if window_start %}coalesce(earlier_sends.sends, 0) + {% endif %}row_number() over (
                    partition by email_events.customer_id, email_events.event_name
                    order by email_events.occurred_at, email_events.event_id
                )
        end as send_number
    from email_events
    {%- if window_start %}
    left join earlier_sends on email_events.customer_id = earlier_sends.customer_id
    {%- endif %}
)

select * from final
