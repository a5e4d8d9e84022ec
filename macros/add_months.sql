{#- `date_expression` plus `months` months, as a date (day of month clamped to the month's end). -#}
{% macro add_months(months, date_expression) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}
