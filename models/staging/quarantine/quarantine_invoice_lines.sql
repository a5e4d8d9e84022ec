{{ config(post_hook="{{ assert_quarantine_share('invoice_lines') }}") }}

with

checked as (
    select * from {{ ref('base_invoice_lines') }}
),

quarantined as (
    select
        quarantine_reason,
        line_id,
        invoice_id,
        line_type,
        plan_id,
        quantity,
        amount,
        period_start,
        period_end,
        interval_months,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
