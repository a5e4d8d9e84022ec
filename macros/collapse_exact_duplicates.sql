{#-
    The distinct raw rows of `table_name` (its contract columns) with `raw_copies`, how many times each
    appeared, and `key_rows`, how many distinct rows share its key. Most keys appear once: those rows pass
    straight through (an anti-join against the few repeated keys, never the table against itself), and only
    the rows of repeated (or null) keys are grouped, which keeps a large events table fast. `relation` is read
    three times: pass the raw relation itself for a large table, since an engine may copy a CTE read twice.
-#}
{% macro collapse_exact_duplicates(relation, table_name) -%}
    {%- set spec = table_spec(table_name) -%}
    {%- set columns = spec['columns'] | map(attribute=0) | list -%}
    {%- set key_matches = [] -%}
    {%- set null_key = [] -%}
    {%- for key in spec['key'] -%}
        {%- do key_matches.append('raw_rows.' ~ key ~ ' = repeated_keys.' ~ key) -%}
        {%- do null_key.append('raw_rows.' ~ key ~ ' is null') -%}
    {%- endfor -%}
    {%- set is_repeated -%}
        {{ null_key | join(' or ') }}
        or exists (select 1 from repeated_keys where {{ key_matches | join(' and ') }})
    {%- endset -%}
    with

    repeated_keys as (
        select {{ spec['key'] | join(', ') }}
        from {{ relation }}
        group by {{ spec['key'] | join(', ') }}
        having count(*) > 1
    ),

    repeated as (
        select
            {{ column_list(columns, 12) }},
            count(*) as raw_copies
        from {{ relation }} as raw_rows
        where {{ is_repeated }}
        group by
            {{ column_list(columns, 12) }}
    )

    select
        {{ column_list(columns) }},
        1 as raw_copies,
        1 as key_rows
    from {{ relation }} as raw_rows
    where not ({{ is_repeated }})
    union all
    select
        {{ column_list(columns) }},
        raw_copies,
        count(*) over (partition by {{ spec['key'] | join(', ') }}) as key_rows
    from repeated
{%- endmacro %}
