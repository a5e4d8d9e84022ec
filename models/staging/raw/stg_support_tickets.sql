with

checked as (
    select * from {{ ref('base_support_tickets') }}
),

staged as (
    select
        ticket_id,
        customer_id,
        opened_at,
        resolved_at,
        category,
        priority,
        is_complaint
    from checked
    where quarantine_reason is null
)

select * from staged
