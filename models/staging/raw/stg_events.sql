-- Staged events: a view, read once by each model that aggregates events. A raw row whose key base_events does
-- not hold (the key appears once and the row breaks no rule) is typed straight from the raw table; the
-- collapsed exact copies that broke no rule come from base_events.
-- Every CTE is read once: DuckDB materialises a CTE read twice, and a materialised CTE under the anti-join kept
-- the events aggregate of a large build from spilling to disk (out of memory at 1,000,000 customers), so
-- base_events has two import CTEs, its keys and its rows.
with

source as (
    select * from {{ source('raw', 'events') }}
),

decided_keys as (
    select event_id from {{ ref('base_events') }}
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
    left join decided_keys on typed.event_id = decided_keys.event_id
    where typed.event_id is not null and decided_keys.event_id is null
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
