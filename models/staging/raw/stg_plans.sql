with

checked as (
    select * from {{ ref('base_plans') }}
),

staged as (
    select
        plan_id,
        plan_name,
        interval_months,
        currency,
        list_price
    from checked
    where quarantine_reason is null
)

select * from staged
