{#-
    A money amount converted to the reporting currency at `rate`, typed as exact_money (decimal(38, 12)), so
    sums of converted amounts are decimal sums: exact, and the same whatever order the rows arrive in.
    Rates are 8-byte floats (type_rate); the product is taken in decimals, the rate back at the ten decimals
    the raw contract reads. A decimal product keeps at most 38 digits: below 9e15 (every realistic row) the
    amount keeps its 12 decimals and the product is exact; above, the amount is rounded to 4 decimals first,
    which leaves room for the largest product the staging bounds allow (|amount| < 1e15, rate < 1e7).
    The same SQL on every engine (Spark too: its decimal products keep their scale, see DECISIONLOG.md).
-#}
{% macro convert_money(amount, rate) -%}
    {%- set exact_rate = 'cast(' ~ rate ~ ' as decimal(38, 10))' -%}
    case
        when abs({{ amount }}) * {{ rate }} < 9000000000000000
            then {{ exact_money('cast(' ~ amount ~ ' as decimal(38, 12)) * ' ~ exact_rate) }}
        else {{ exact_money('cast(' ~ amount ~ ' as decimal(38, 4)) * ' ~ exact_rate) }}
    end
{%- endmacro %}
