{%- set relation = source('stripe', 'invoice') -%}
{%- set types = stripe_column_types(relation) -%}

with

source as (
    select * from {{ relation }}
),

mapped as (
    select
        cast(id as {{ dbt.type_string() }}) as invoice_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        {{ stripe_timestamp_text(types, 'created') }} as issued_at,
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(status as {{ dbt.type_string() }}) as status,
        'invoice' as source_table,
        cast(null as {{ dbt.type_string() }}) as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            when {{ stripe_flag(types, 'is_deleted', 'true') }} then 'deleted'
            when status = 'draft' then 'draft'
        end as exclusion_reason
    from source
)

select * from mapped
