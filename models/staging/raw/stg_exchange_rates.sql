with

checked as (
    select * from {{ ref('base_exchange_rates') }}
),

staged as (
    select
        rate_date,
        currency,
        rate_to_reporting
    from checked
    where quarantine_reason is null
)

select * from staged
