{#-
    A money amount that already has at most 6 decimals (a rounded amount, or a sum or difference of them) typed
    as the package's money type, without rounding it again as round_money would: the result is the same, and
    the rounding of a wide decimal costs seconds on tens of millions of customer-months.
-#}
{% macro as_money(expression) -%}
    cast({{ expression }} as {{ dbt.type_numeric() }})
{%- endmacro %}
