with

source as (
    {{ billing_rows('subscriptions') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'subscriptions') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'subscriptions', billing_relation('subscriptions')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            {{ source_rules('subscriptions') }}
            when status is null then 'missing_value'
            when status not in ('trialing', 'active', 'past_due', 'paused', 'canceled') then 'bad_enum'
            when
                trial_end_at < trial_start_at
                or canceled_at < started_at
                or cancel_at < started_at
                then 'bad_period'
            when
                trial_start_at > {{ build_timestamp() }}
                or canceled_at > {{ build_timestamp() }}
                then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('subscriptions') }}
from checked
