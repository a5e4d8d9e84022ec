{#- The first three quarantine rules, shared by every raw table: a null key, a key shared by different rows, a value that does not cast. -#}
{% macro key_and_type_rules() -%}
            when has_null_key then 'null_key'
            when key_rows > 1 then 'duplicate_key'
            when has_bad_type then 'bad_type'
{%- endmacro %}

{#- The final columns of a checked raw table: typed contract columns, copies, reason, and the raw text of quarantined rows. -#}
{% macro checked_raw_columns(table_name) -%}
    {%- set columns = table_spec(table_name)['columns'] -%}
    {%- set expressions = [] -%}
    {%- for column, contract_type in columns -%}
        {%- do expressions.append(column) -%}
    {%- endfor -%}
    {%- set raw_parts = [] -%}
    {%- for column, contract_type in columns -%}
        {%- do raw_parts.append("'" ~ ("" if loop.first else ", ") ~ column ~ "='") -%}
        {%- do raw_parts.append("coalesce(cast(raw__" ~ column ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
    {%- endfor -%}
    {%- do expressions.append('raw_copies') -%}
    {%- do expressions.append('quarantine_reason') -%}
    {%- do expressions.append('case when quarantine_reason is not null then ' ~ dbt.concat(raw_parts) ~ ' end as raw_values') -%}
    {{ column_list(expressions) }}
{%- endmacro %}
