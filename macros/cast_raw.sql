{#- Casts one raw column to its contract type; a value that does not cast becomes null (then `bad_type`). -#}
{% macro cast_raw(column, contract_type) %}
    {{ return(adapter.dispatch('cast_raw', 'churn_warehouse')(column, contract_type)) }}
{% endmacro %}

{% macro default__cast_raw(column, contract_type) -%}
    {%- if contract_type == 'text' -%}
        nullif(cast({{ column }} as {{ dbt.type_string() }}), '')
    {%- elif contract_type == 'timestamp' -%}
        {{ utc_timestamp(column) }}
    {%- elif contract_type == 'date' -%}
        {{ dbt.safe_cast(column, 'date') }}
    {%- elif contract_type == 'integer' -%}
        {{ dbt.safe_cast(column, 'integer') }}
    {%- elif contract_type == 'decimal' -%}
        {{ dbt.safe_cast(column, 'decimal(38, 10)') }}
    {%- elif contract_type == 'boolean' -%}
        {{ dbt.safe_cast(column, 'boolean') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("cast_raw: unknown contract type '" ~ contract_type ~ "' for " ~ column) }}
    {%- endif -%}
{%- endmacro %}
