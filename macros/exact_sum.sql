{#-
    The sum of a float expression that is the same whatever order the rows arrive in: each term rounded to 18
    decimals and summed as a decimal (exact), then cast back to a rate. A float sum depends on the order its
    terms are added, which a parallel engine does not fix (win_back_uplift's interval moved by 3e-17 from one
    build of the same data to the next).
-#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 18))) as {{ type_rate() }})
{%- endmacro %}
