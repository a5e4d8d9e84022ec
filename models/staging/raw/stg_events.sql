-- Staged events: a view, read once by each model that aggregates events. A raw row whose key base_events does
-- not hold (the key appears once and the row breaks no rule) is typed straight from the raw table; the
-- collapsed exact copies that broke no rule come from base_events.
with

source as (
    select * from {{ source('raw', 'events') }}
),

decided as (
    select * from {{ ref('base_events') }}
),

typed as (
    {{ typed_raw_rows('source', 'events', source('raw', 'events'), with_checks=false) }}
),

single as (
    select
        typed.event_id,
        typed.customer_id,
        typed.user_id,
        typed.event_name,
        typed.occurred_at,
        typed.properties
    from typed
    left join decided on typed.event_id = decided.event_id
    where typed.event_id is not null and decided.event_id is null
),

collapsed as (
    select
        event_id,
        customer_id,
        user_id,
        event_name,
        occurred_at,
        properties
    from decided
    where quarantine_reason is null
),

staged as (
    select * from single
    union all
    select * from collapsed
)

select * from staged
