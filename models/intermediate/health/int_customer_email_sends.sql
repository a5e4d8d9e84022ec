-- Every staged e-mail sent, numbered per customer in time order: the k-th most recent sent by D is number
-- (sent by D) - k + 1 (email_disengaged). The one narrow table of single events.
with

sends as (
    select
        event_id,
        customer_id,
        occurred_at as sent_at
    from {{ ref('stg_events') }}
    where event_name = 'email_sent'
),

final as (
    select
        customer_id,
        sent_at,
        row_number() over (partition by customer_id order by sent_at, event_id) as send_number
    from sends
)

select * from final
