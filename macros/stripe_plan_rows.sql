{#-
    The rows of a Stripe `price` table, or of the legacy `plan` table (the same object under older column
    names), as raw plans rows: list_price in major units, interval_months from the recurring interval.
    Excluded: test mode, deleted, and (prices only, `price_type` given) one-time prices; an interval other
    than month or year is flagged `unsupported_interval`. No rows when the table is not read.
-#}
{% macro stripe_plan_rows(table_name, amount, interval, interval_count, price_type=none) %}
    {%- set relation = source('stripe', table_name) -%}
    {%- set types = stripe_column_types(relation) -%}
    {%- set recurring = "coalesce(source." ~ price_type ~ ", '') != 'one_time'" if price_type else "true" -%}
    {%- if not stripe_table_is_read(table_name) -%}
        {{ return(stripe_no_rows(['plan_id', 'plan_name', 'interval_months', 'currency', 'list_price',
            'source_table', 'source_reason', 'exclusion_reason'])) }}
    {%- endif -%}
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
        {{ stripe_interval_months('source.' ~ interval, 'source.' ~ interval_count) }} as interval_months,
        upper(cast(source.currency as {{ dbt.type_string() }})) as currency,
        {{ stripe_major_units('source.' ~ amount, stripe_minor_unit_digits()) }} as list_price,
        '{{ table_name }}' as source_table,
        case
            when lower(source.{{ interval }}) not in ('month', 'year') and {{ recurring }}
                then 'unsupported_interval'
        end as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            when {{ stripe_flag(types, 'is_deleted', 'true') }} then 'deleted'
            when not {{ recurring }} then 'one_time_price'
        end as exclusion_reason
    from source
    left join currencies on upper(cast(source.currency as {{ dbt.type_string() }})) = currencies.currency
)

select * from mapped
{% endmacro %}
