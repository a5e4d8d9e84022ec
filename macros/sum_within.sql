{#- sum(`value`) over the rows whose `day` lies in (`after`, `until`]; `until` omitted means no upper bound. -#}
{% macro sum_within(value, day, after, until=none) -%}
    sum(case when {{ day }} > {{ after }}{% if until is not none %} and {{ day }} <= {{ until }}{% endif %} then {{ value }} else 0 end)
{%- endmacro %}
