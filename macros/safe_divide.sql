{#- numerator / denominator as a rate; null when the denominator is 0 or null (docs/metrics.md, Conventions). -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_rate() }}) / nullif(cast({{ denominator }} as {{ type_rate() }}), 0)
{%- endmacro %}
