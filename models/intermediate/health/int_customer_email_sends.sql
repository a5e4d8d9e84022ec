-- Every staged e-mail event (sent, opened, clicked) with its campaign (`properties` {"campaign": ...}, null when
-- absent). Sends are numbered per customer in time order: the k-th most recent sent by D is number
-- (sent by D) - k + 1 (email_disengaged); opens and clicks have no number (campaign_monthly attributes them to
-- their send). The one narrow table of single events.
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
),

final as (
    select
        customer_id,
        event_name,
        campaign,
        occurred_at,
        case when event_name = 'email_sent' then occurred_at end as sent_at,
        case
            when event_name = 'email_sent'
                then row_number() over (partition by customer_id, event_name order by occurred_at, event_id)
        end as send_number
    from email_events
)

select * from final
