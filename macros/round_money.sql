{#-
    A money amount rounded to 6 decimals and typed as the package's money type (docs/metrics.md: customer-month
    MRR is rounded to 6 decimals). The value goes through a wide decimal first because some engines
    (PostgreSQL) round only exact numerics.
-#}
{% macro round_money(expression) -%}
    cast(round(cast({{ expression }} as decimal(38, 12)), 6) as {{ dbt.type_numeric() }})
{%- endmacro %}
