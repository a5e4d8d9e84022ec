{{ config(post_hook="{{ assert_quarantine_share('payments') }}") }}

with

checked as (
    select * from {{ ref('base_payments') }}
),

quarantined as (
    select
        quarantine_reason,
        payment_id,
        invoice_id,
        attempted_at,
        amount,
        currency,
        payment_type,
        status,
        failure_reason,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
