{#- The integers 0 .. 10^digits - 1 as a column `n`, built from cross-joined digits so that every engine accepts it. -#}
{% macro integers(digits) -%}
    select
        {% for position in range(digits) -%}
        d{{ position }}.n * {{ 10 ** position }}{{ " +" if not loop.last }}
        {% endfor -%} as n
    from
        {% for position in range(digits) -%}
        (
            select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
            union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
        ) as d{{ position }}{{ "," if not loop.last }}
        {% endfor %}
{%- endmacro %}
