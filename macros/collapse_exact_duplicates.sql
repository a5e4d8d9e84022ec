{#-
    The distinct raw rows of `table_name` (its contract columns) with `raw_copies`, how many times each
    appeared, and `key_rows`, how many distinct rows share its key. Most keys appear once: those rows pass
    straight through (an anti-join against the few repeated keys, never the table against itself), and only
    the rows of repeated (or null) keys are grouped, which keeps a large events table fast.
-#}
{% macro collapse_exact_duplicates(relation, table_name) -%}
    {%- set spec = raw_contract()[table_name] -%}
    {%- set columns = spec['columns'] | map(attribute=0) | list -%}
    {%- set source_columns = [] -%}
    {%- for column in columns -%}
        {%- do source_columns.append(relation ~ '.' ~ column) -%}
    {%- endfor -%}
    {%- set null_key = [] -%}
    {%- for key in spec['key'] -%}
        {%- do null_key.append(relation ~ '.' ~ key ~ ' is null') -%}
    {%- endfor -%}
    with

    repeated_keys as (
        select {{ spec['key'] | join(', ') }}
        from {{ relation }}
        group by {{ spec['key'] | join(', ') }}
        having count(*) > 1
    ),

    keyed as (
        select
            {{ column_list(source_columns, 12) }},
            repeated_keys.{{ spec['key'][0] }} is not null or {{ null_key | join(' or ') }} as is_repeated
        from {{ relation }}
        left join repeated_keys
            on
            {%- for key in spec['key'] %}
                {{ "and " if not loop.first }}{{ relation }}.{{ key }} = repeated_keys.{{ key }}
            {%- endfor %}
    ),

    repeated as (
        select
            {{ column_list(columns, 12) }},
            count(*) as raw_copies
        from keyed
        where is_repeated
        group by
            {{ column_list(columns, 12) }}
    )

    select
        {{ column_list(columns) }},
        1 as raw_copies,
        1 as key_rows
    from keyed
    where not is_repeated
    union all
    select
        {{ column_list(columns) }},
        raw_copies,
        count(*) over (partition by {{ spec['key'] | join(', ') }}) as key_rows
    from repeated
{%- endmacro %}
