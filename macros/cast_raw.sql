{#-
    Casts one raw column to its contract type; a value that does not cast becomes null (then `bad_type`).
    `source_type`, when known, is the column's type in the raw relation: a column already stored as a
    timestamp without time zone (UTC by the contract) is taken as it is, without parsing text.
-#}
{% macro cast_raw(column, contract_type, source_type=none) -%}
    {%- if contract_type == 'text' -%}
        nullif(cast({{ column }} as {{ dbt.type_string() }}), '')
    {%- elif contract_type == 'timestamp' and source_type in ('timestamp', 'timestamp without time zone') -%}
        {{ column }}
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
