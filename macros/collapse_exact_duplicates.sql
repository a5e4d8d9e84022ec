{#- One row per distinct raw row of `table_name` (its contract columns), with `raw_copies` = how many times it appeared. -#}
{% macro collapse_exact_duplicates(relation, table_name) -%}
    {%- set columns = raw_contract()[table_name]['columns'] | map(attribute=0) | list -%}
    select
        {% for column in columns -%}
        {{ column }},
        {% endfor -%}
        count(*) as raw_copies
    from {{ relation }}
    group by
        {% for column in columns -%}
        {{ column }}{{ "," if not loop.last }}
        {% endfor %}
{%- endmacro %}
