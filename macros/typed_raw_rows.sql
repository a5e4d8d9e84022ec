{#-
    The collapsed raw rows of `table_name` with every column cast to its contract type, plus what the
    quarantine rules need: `has_null_key`, `has_bad_type` (a value that did not cast), `key_rows`, and the
    raw values under `raw__<column>` (kept as text for the rows that end in quarantine).
    `source_relation` is the raw table itself: columns it already stores as timestamps skip text parsing.
-#}
{% macro typed_raw_rows(relation, table_name, source_relation) -%}
    {%- set spec = table_spec(table_name) -%}
    {%- set source_types = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(source_relation) -%}
            {%- do source_types.update({column.name | lower: column.data_type | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set typed_columns = spec['columns'] | rejectattr(1, 'equalto', 'text') | list -%}
    {%- set expressions = [] -%}
    {%- for column, contract_type in spec['columns'] -%}
        {%- do expressions.append(cast_raw(column, contract_type, source_types.get(column)) ~ ' as ' ~ column) -%}
    {%- endfor -%}
    {%- for column, contract_type in spec['columns'] -%}
        {%- do expressions.append(column ~ ' as raw__' ~ column) -%}
    {%- endfor -%}
    {%- set null_keys = [] -%}
    {%- for column in spec['key'] -%}
        {%- do null_keys.append(cast_raw(column, dict(spec['columns'])[column]) ~ ' is null') -%}
    {%- endfor -%}
    {%- set bad_types = ['false'] -%}
    {%- for column, contract_type in typed_columns -%}
        {%- do bad_types.append('(' ~ column ~ ' is not null and ' ~ cast_raw(column, contract_type, source_types.get(column)) ~ ' is null)') -%}
    {%- endfor -%}
    select
        {{ column_list(expressions) }},
        raw_copies,
        key_rows,
        {{ null_keys | join(' or ') }} as has_null_key,
        {{ bad_types | join(' or ') }} as has_bad_type
    from {{ relation }}
{%- endmacro %}
