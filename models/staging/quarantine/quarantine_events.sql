{{ config(post_hook="{{ assert_quarantine_share('events') }}") }}

with

checked as (
    select * from {{ ref('base_events') }}
),

quarantined as (
    select
        quarantine_reason,
        event_id,
        customer_id,
        user_id,
        event_name,
        occurred_at,
        properties,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
