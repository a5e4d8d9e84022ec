with

source as (
    {{ billing_rows('customers') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'customers') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'customers', billing_relation('customers')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            {{ source_rules('customers') }}
            when created_at is null then 'missing_value'
            when created_at > {{ build_timestamp() }} then 'future_timestamp'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('customers') }}
from checked
