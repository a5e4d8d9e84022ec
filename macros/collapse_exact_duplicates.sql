{#-
    The distinct raw rows of `table_name` (its contract columns) with `raw_copies`, how many times each
    appeared, and `key_rows`, how many distinct rows share its key. Most keys appear once: those rows pass
    straight through, and only the rows of repeated (or null) keys are grouped, which keeps a large events
    table fast.
-#}
{% macro collapse_exact_duplicates(relation, table_name) -%}
    {%- set spec = table_spec(table_name) -%}
    {%- set columns = spec['columns'] | map(attribute=0) | list -%}
    {%- set source_columns = [] -%}
    {%- for column in columns -%}
        {%- do source_columns.append(relation ~ '.' ~ column) -%}
    {%- endfor -%}
    with

    key_counts as (
        select
            {{ column_list(spec['key'], 12) }},
            count(*) as raw_key_rows
        from {{ relation }}
        group by {{ spec['key'] | join(', ') }}
    ),

    repeated as (
        select
            {{ column_list(source_columns, 12) }},
            count(*) as raw_copies
        from {{ relation }}
        left join key_counts
            on
            {%- for key in spec['key'] %}
                {{ "and " if not loop.first }}{{ relation }}.{{ key }} = key_counts.{{ key }}
            {%- endfor %}
        where key_counts.raw_key_rows is null or key_counts.raw_key_rows > 1
        group by
            {{ column_list(source_columns, 12) }}
    )

    select
        {{ column_list(source_columns) }},
        1 as raw_copies,
        1 as key_rows
    from {{ relation }}
    inner join key_counts
        on
        {%- for key in spec['key'] %}
            {{ "and " if not loop.first }}{{ relation }}.{{ key }} = key_counts.{{ key }}
        {%- endfor %}
    where key_counts.raw_key_rows = 1
    union all
    select
        {{ column_list(columns) }},
        raw_copies,
        count(*) over (partition by {{ spec['key'] | join(', ') }}) as key_rows
    from repeated
{%- endmacro %}
