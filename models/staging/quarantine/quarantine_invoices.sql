{{ config(post_hook="{{ assert_quarantine_share('invoices') }}") }}

with

checked as (
    select * from {{ ref('base_invoices') }}
),

quarantined as (
    select
        quarantine_reason,
        invoice_id,
        customer_id,
        subscription_id,
        issued_at,
        currency,
        status,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
