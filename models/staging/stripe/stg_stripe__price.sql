{%- set relation = source('stripe', 'price') -%}
{%- set types = stripe_column_types(relation) -%}
{%- set columns = ['plan_id', 'plan_name', 'interval_months', 'currency', 'list_price', 'source_table',
    'source_reason', 'exclusion_reason'] -%}

{% if stripe_table_is_read('price') -%}

with

source as (
    select * from {{ relation }}
),

currencies as (
    select * from {{ ref('iso_4217_currencies') }}
),

mapped as (
    select
        cast(source.id as {{ dbt.type_string() }}) as plan_id,
        cast(source.nickname as {{ dbt.type_string() }}) as plan_name,
        {{ stripe_interval_months('source.recurring_interval', 'source.recurring_interval_count') }} as interval_months,
        upper(cast(source.currency as {{ dbt.type_string() }})) as currency,
        {{ stripe_major_units('source.unit_amount', stripe_minor_unit_digits()) }} as list_price,
        'price' as source_table,
        case
            when
                lower(source.recurring_interval) not in ('month', 'year')
                and coalesce(source.type, '') != 'one_time'
                then 'unsupported_interval'
        end as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            when {{ stripe_flag(types, 'is_deleted', 'true') }} then 'deleted'
            when source.type = 'one_time' then 'one_time_price'
        end as exclusion_reason
    from source
    left join currencies on upper(cast(source.currency as {{ dbt.type_string() }})) = currencies.currency
)

select * from mapped

{%- else -%}

{{ stripe_no_rows(columns) }}

{%- endif %}
