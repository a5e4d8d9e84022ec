{#- The last day of the month that starts on `month` (a date), as a date. -#}
{% macro month_end(month) -%}
    cast({{ dbt.last_day(month, 'month') }} as date)
{%- endmacro %}
