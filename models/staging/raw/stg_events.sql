with

checked as (
    select * from {{ ref('base_events') }}
),

staged as (
    select
        event_id,
        customer_id,
        user_id,
        event_name,
        occurred_at,
        properties
    from checked
    where quarantine_reason is null
)

select * from staged
