with

checked as (
    select * from {{ ref('base_customers') }}
),

staged as (
    select
        customer_id,
        created_at,
        country,
        segment,
        acquisition_channel
    from checked
    where quarantine_reason is null
)

select * from staged
