{{ config(post_hook="{{ assert_quarantine_share('exchange_rates') }}") }}

with

checked as (
    select * from {{ ref('base_exchange_rates') }}
),

quarantined as (
    select
        quarantine_reason,
        rate_date,
        currency,
        rate_to_reporting,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
