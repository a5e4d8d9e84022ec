{#- A billing interval in months as the word BI users read: monthly, quarterly, semiannual, annual; `unknown` when null. -#}
{% macro plan_interval_label(interval_months) -%}
    case {{ interval_months }}
        when 1 then 'monthly'
        when 3 then 'quarterly'
        when 6 then 'semiannual'
        when 12 then 'annual'
        else 'unknown'
    end
{%- endmacro %}
