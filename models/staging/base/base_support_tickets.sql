with

source as (
    select * from {{ source('raw', 'support_tickets') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'support_tickets') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'support_tickets', source('raw', 'support_tickets')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            when opened_at is null or is_complaint is null then 'missing_value'
            when priority not in ('low', 'normal', 'high', 'urgent') then 'bad_enum'
            when resolved_at < opened_at then 'bad_period'
            when
                opened_at > {{ build_timestamp() }}
                or resolved_at > {{ build_timestamp() }}
                then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('support_tickets') }}
from checked
