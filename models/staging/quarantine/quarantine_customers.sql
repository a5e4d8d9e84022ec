{{ config(post_hook="{{ assert_quarantine_share('customers') }}") }}

with

checked as (
    select * from {{ ref('base_customers') }}
),

quarantined as (
    select
        quarantine_reason,
        customer_id,
        created_at,
        country,
        segment,
        acquisition_channel,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
