with

checked as (
    select * from {{ ref('base_subscriptions') }}
),

staged as (
    select
        subscription_id,
        customer_id,
        plan_id,
        status,
        trial_start_at,
        trial_end_at,
        started_at,
        canceled_at,
        cancel_reason,
        cancel_at
    from checked
    where quarantine_reason is null
)

select * from staged
