{#- The figures of `mrr_monthly` and `mrr_monthly_by_dimension`, in column order, with their kind (money, count, rate, flag). -#}
{% macro mrr_monthly_figures() %}
    {{ return([
        ('mrr', 'money'),
        ('arr', 'money'),
        ('active_customers', 'count'),
        ('arpa', 'money'),
        ('opening_mrr', 'money'),
        ('fx_adjustment_mrr', 'money'),
        ('new_mrr', 'money'),
        ('expansion_mrr', 'money'),
        ('contraction_mrr', 'money'),
        ('churn_mrr', 'money'),
        ('reactivation_mrr', 'money'),
        ('new_customers', 'count'),
        ('churned_customers', 'count'),
        ('reactivated_customers', 'count'),
        ('voluntary_churned_customers', 'count'),
        ('involuntary_churned_customers', 'count'),
        ('unknown_churned_customers', 'count'),
        ('voluntary_churn_mrr', 'money'),
        ('involuntary_churn_mrr', 'money'),
        ('unknown_churn_mrr', 'money'),
        ('customer_churn_rate', 'rate'),
        ('gross_revenue_churn_rate', 'rate'),
        ('net_revenue_churn_rate', 'rate'),
        ('net_revenue_churn_rate_incl_reactivation', 'rate'),
        ('nrr', 'rate'),
        ('grr', 'rate'),
        ('nrr_t12m', 'rate'),
        ('grr_t12m', 'rate'),
        ('is_negative_churn', 'flag'),
        ('expansion_share', 'rate'),
        ('quick_ratio', 'rate')
    ]) }}
{% endmacro %}

{#- A figure cast to the column type of its kind: money to 6 decimals, counts as bigint, rates as double. -#}
{% macro cast_figure(column, kind) -%}
    {%- if kind == 'money' -%}
        {{ round_money(column) }}
    {%- elif kind == 'count' -%}
        cast({{ column }} as {{ dbt.type_bigint() }})
    {%- elif kind == 'rate' -%}
        cast({{ column }} as {{ type_rate() }})
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}
