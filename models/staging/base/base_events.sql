-- Only the events that need a decision: every distinct raw row whose key is null or repeated (exact copies
-- collapsed, `raw_copies` counts them) and every single row that breaks a quarantine rule. A well-formed event
-- seen once is not copied here: stg_events reads it straight from the raw table.
with

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

collapsed as (
    {{ collapse_exact_duplicates(source('raw', 'events'), 'events') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'events', source('raw', 'events')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            when event_name is null or occurred_at is null then 'missing_value'
            when occurred_at > {{ build_timestamp() }} then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
),

needing_a_decision as (
    select * from checked
    where quarantine_reason is not null or raw_copies > 1
)

select {{ checked_raw_columns('events') }}
from needing_a_decision
