-- Every staged e-mail event (sent, opened, clicked) with its campaign (`properties` {"campaign": ...}, null when
-- absent). Sends are numbered per customer in time order: the k-th most recent sent by D is number
-- (sent by D) - k + 1 (email_disengaged). An open or click carries the number of the send it belongs to, the
-- latest send of the same campaign to the same customer at or before it (campaign_monthly). The one narrow table
-- of single events.
-- Incremental on DuckDB, like int_customer_events_daily: a run re-reads only the events on or after (the day of
-- the latest event held - incremental_lookback_days) and replaces them; their sends are numbered on from the
-- customer's sends before that day, which the run keeps, and an open re-read whose send is older takes the
-- latest kept send of its campaign. Server targets rebuild it in full.
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

-- The latest send of each campaign before the re-read days, to the customers with an open or click re-read.
-- (A second read of the re-read e-mail events, which DuckDB then keeps: a few days' worth.)
reread_engagers as (
    select distinct customer_id from email_events
    where event_name != 'email_sent'
),

earlier_campaign_sends as (
    select
        customer_id,
        coalesce(campaign, 'unknown') as campaign_key,
        max(send_number) as send_number
    from {{ this }}
    where
        send_number is not null
        and occurred_at < cast('{{ window_start }}' as timestamp)
        and customer_id in (select reread_engagers.customer_id from reread_engagers)
    group by customer_id, coalesce(campaign, 'unknown')
),
{%- endif %}

numbered as (
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
),

-- A send sorts before an open or click at the same moment, so that they belong to it. Send numbers grow with
-- time, so the largest number among the campaign's sends so far is the latest send.
final as (
    select
        numbered.customer_id,
        numbered.event_name,
        numbered.campaign,
        numbered.occurred_at,
        numbered.sent_at,
        numbered.send_number,
        case
            when numbered.event_name != 'email_sent'
                then {% if window_start %}coalesce({% endif %}max(numbered.send_number) over (
                    partition by numbered.customer_id, coalesce(numbered.campaign, 'unknown')
                    order by numbered.occurred_at, case when numbered.event_name = 'email_sent' then 0 else 1 end
                    rows between unbounded preceding and current row
                ){% if window_start %}, earlier_campaign_sends.send_number){% endif %}
        end as attributed_send_number
    from numbered
    {%- if window_start %}
    left join earlier_campaign_sends
        on
            numbered.customer_id = earlier_campaign_sends.customer_id
            and coalesce(numbered.campaign, 'unknown') = earlier_campaign_sends.campaign_key
    {%- endif %}
)

select * from final
