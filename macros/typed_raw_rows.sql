{#-
    The distinct raw rows of `table_name` with every column cast to its contract type, plus what the
    quarantine rules need: `has_bad_type` (a value that did not cast), `key_rows` (distinct rows sharing
    the key), `has_null_key`, and `raw_values` (the raw row as text, kept for rows that are quarantined).
-#}
{% macro typed_raw_rows(relation, table_name) -%}
    {%- set spec = raw_contract()[table_name] -%}
    {%- set typed_columns = spec['columns'] | rejectattr(1, 'equalto', 'text') | list -%}
    select
        {% for column, contract_type in spec['columns'] -%}
        {{ cast_raw(column, contract_type) }} as {{ column }},
        {% endfor -%}
        raw_copies,
        {% for column in spec['key'] -%}
        {{ cast_raw(column, dict(spec['columns'])[column]) }} is null {{ "or" if not loop.last }}
        {% endfor -%} as has_null_key,
        count(*) over (partition by {{ spec['key'] | join(', ') }}) as key_rows,
        {% if typed_columns -%}
        (
            {% for column, contract_type in typed_columns -%}
            ({{ column }} is not null and {{ cast_raw(column, contract_type) }} is null)
            {{ "or" if not loop.last }}
            {% endfor -%}
        ) as has_bad_type,
        {%- else -%}
        false as has_bad_type,
        {%- endif %}
        {{ dbt.concat(raw_values_parts(spec['columns'])) }} as raw_values
    from {{ relation }}
{%- endmacro %}

{% macro raw_values_parts(columns) -%}
    {%- set parts = [] -%}
    {%- for column, contract_type in columns -%}
        {%- do parts.append("'" ~ ("" if loop.first else ", ") ~ column ~ "='") -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}
