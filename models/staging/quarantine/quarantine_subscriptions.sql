{{ config(post_hook="{{ assert_quarantine_share('subscriptions') }}") }}

with

checked as (
    select * from {{ ref('base_subscriptions') }}
),

quarantined as (
    select
        quarantine_reason,
        subscription_id,
        customer_id,
        plan_id,
        status,
        trial_start_at,
        trial_end_at,
        started_at,
        canceled_at,
        cancel_reason,
        cancel_at,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
