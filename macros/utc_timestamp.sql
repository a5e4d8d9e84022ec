{#- A raw timestamp (typed, or ISO-8601 text with or without an offset) as a UTC timestamp without time zone; null when it does not parse. -#}
{% macro utc_timestamp(column) %}
    {{ return(adapter.dispatch('utc_timestamp', 'churn_warehouse')(column)) }}
{% endmacro %}

{% macro default__utc_timestamp(column) -%}
    cast({{ try_cast(column, 'timestamp with time zone') }} at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__utc_timestamp(column) -%}
    timezone('UTC', try_cast({{ column }} as timestamptz))
{%- endmacro %}
