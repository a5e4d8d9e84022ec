with

checked as (
    select * from {{ ref('base_invoices') }}
),

staged as (
    select
        invoice_id,
        customer_id,
        subscription_id,
        issued_at,
        currency,
        status
    from checked
    where quarantine_reason is null
)

select * from staged
