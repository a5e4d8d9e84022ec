with

source as (
    select * from {{ source('raw', 'events') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'events') }}
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
)

select {{ checked_raw_columns('events') }}
from checked
