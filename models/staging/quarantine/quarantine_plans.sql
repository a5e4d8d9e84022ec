{{ config(post_hook="{{ assert_quarantine_share('plans') }}") }}

with

checked as (
    select * from {{ ref('base_plans') }}
),

quarantined as (
    select
        quarantine_reason,
        plan_id,
        plan_name,
        interval_months,
        currency,
        list_price,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
