with

checked as (
    select * from {{ ref('base_invoice_lines') }}
),

staged as (
    select
        line_id,
        invoice_id,
        line_type,
        plan_id,
        quantity,
        amount,
        period_start,
        period_end,
        interval_months
    from checked
    where quarantine_reason is null
)

select * from staged
