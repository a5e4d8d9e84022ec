{#- Casts one raw column to its contract type; a value that does not cast becomes null (then `bad_type`). -#}
{% macro cast_raw(column, contract_type) -%}
    {%- if contract_type == 'text' -%}
        nullif(cast({{ column }} as {{ dbt.type_string() }}), '')
    {%- elif contract_type == 'timestamp' -%}
        {{ utc_timestamp(column) }}
    {%- elif contract_type == 'date' -%}
        {{ try_cast(column, 'date') }}
    {%- elif contract_type == 'integer' -%}
        {{ try_cast(column, 'integer') }}
    {%- elif contract_type == 'decimal' -%}
        {{ try_cast(column, 'decimal(38, 10)') }}
    {%- elif contract_type == 'boolean' -%}
        {{ try_cast(column, 'boolean') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("cast_raw: unknown contract type '" ~ contract_type ~ "' for " ~ column) }}
    {%- endif -%}
{%- endmacro %}
