{{ config(post_hook="{{ assert_quarantine_share('support_tickets') }}") }}

with

checked as (
    select * from {{ ref('base_support_tickets') }}
),

quarantined as (
    select
        quarantine_reason,
        ticket_id,
        customer_id,
        opened_at,
        resolved_at,
        category,
        priority,
        is_complaint,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
