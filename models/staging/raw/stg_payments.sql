with

checked as (
    select * from {{ ref('base_payments') }}
),

staged as (
    select
        payment_id,
        invoice_id,
        attempted_at,
        amount,
        currency,
        payment_type,
        status,
        failure_reason
    from checked
    where quarantine_reason is null
)

select * from staged
