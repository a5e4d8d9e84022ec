{#-
    The product of the last `periods` values of `column` (window ordered by `order_by` within `partition_by`),
    null while fewer than `periods` non-null values exist. Values must be >= 0 (a 0 makes the product 0).
-#}
{% macro trailing_product(column, periods, partition_by, order_by) -%}
    {%- set window = "over (partition by " ~ partition_by ~ " order by " ~ order_by
        ~ " rows between " ~ (periods - 1) ~ " preceding and current row)" -%}
    case
        when count({{ column }}) {{ window }} < {{ periods }} then null
        when min({{ column }}) {{ window }} = 0 then 0
        else exp(sum(ln(nullif({{ column }}, 0))) {{ window }})
    end
{%- endmacro %}
