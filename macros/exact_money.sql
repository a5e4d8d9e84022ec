{#-
    An unrounded money amount (a line's monthly share, a sum of them) typed as decimal(38, 12) on every
    engine, so intermediate figures carry the same digits everywhere until round_money rounds the figure.
-#}
{% macro exact_money(expression) -%}
    cast({{ expression }} as decimal(38, 12))
{%- endmacro %}
