{%- set relation = source('stripe', 'customer') -%}
{%- set types = stripe_column_types(relation) -%}

with

source as (
    select * from {{ relation }}
),

mapped as (
    select
        cast(id as {{ dbt.type_string() }}) as customer_id,
        {{ stripe_timestamp_text(types, 'created') }} as created_at,
        cast(address_country as {{ dbt.type_string() }}) as country,
        {{ json_text_field('metadata', 'segment') }} as segment,
        {{ json_text_field('metadata', 'acquisition_channel') }} as acquisition_channel,
        'customer' as source_table,
        cast(null as {{ dbt.type_string() }}) as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            when {{ stripe_flag(types, 'is_deleted', 'true') }} then 'deleted'
        end as exclusion_reason
    from source
)

select * from mapped
