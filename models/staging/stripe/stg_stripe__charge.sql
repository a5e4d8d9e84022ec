{%- set relation = source('stripe', 'charge') -%}
{%- set types = stripe_column_types(relation) -%}

with

source as (
    select * from {{ relation }}
),

currencies as (
    select * from {{ ref('iso_4217_currencies') }}
),

mapped as (
    select
        cast(source.id as {{ dbt.type_string() }}) as payment_id,
        cast(source.invoice_id as {{ dbt.type_string() }}) as invoice_id,
        {{ stripe_timestamp_text(types, 'source.created') }} as attempted_at,
        {{ stripe_major_units('source.amount', stripe_minor_unit_digits()) }} as amount,
        upper(cast(source.currency as {{ dbt.type_string() }})) as currency,
        'charge' as payment_type,
        cast(source.status as {{ dbt.type_string() }}) as status,
        cast(source.failure_code as {{ dbt.type_string() }}) as failure_reason,
        'charge' as source_table,
        cast(null as {{ dbt.type_string() }}) as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            when source.status = 'pending' then 'pending'
        end as exclusion_reason
    from source
    left join currencies on upper(cast(source.currency as {{ dbt.type_string() }})) = currencies.currency
)

select * from mapped
