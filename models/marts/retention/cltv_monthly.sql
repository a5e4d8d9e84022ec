-- Simple customer lifetime value per complete month, overall (`all`/`all`) and by segment:
-- arpa * gross_margin / avg_churn (docs/metrics.md, Customer lifetime value).
{%- set churn_window = var('cltv_churn_window') | int %}
{%- if churn_window < 1 %}
    {{ exceptions.raise_compiler_error("dbt var cltv_churn_window must be a whole number of months >= 1, got '"
        ~ var('cltv_churn_window') ~ "'") }}
{%- endif %}
{%- set window_over = "over (partition by dimension, dimension_value order by month rows between "
    ~ (churn_window - 1) ~ " preceding and current row)" %}

with

figures as (
    select
        month,
        dimension,
        dimension_value,
        mrr,
        active_customers,
        customer_churn_rate
    from {{ ref('int_mrr_monthly_by_dimension') }}
    where dimension in ('all', 'segment')
),

-- avg_churn: the mean churn rate of the window's months, null unless all of them exist and are non-null.
averaged as (
    select
        month,
        dimension,
        dimension_value,
        {{ safe_divide('mrr', 'active_customers') }} as arpa,
        case
            when count(customer_churn_rate) {{ window_over }} = {{ churn_window }}
                then avg(customer_churn_rate) {{ window_over }}
        end as avg_customer_churn_rate,
        cast({{ var('gross_margin') }} as {{ type_rate() }}) as gross_margin
    from figures
),

final as (
    select
        month,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        {{ round_money('arpa') }} as arpa,
        cast(avg_customer_churn_rate as {{ type_rate() }}) as avg_customer_churn_rate,
        gross_margin,
        {{ round_money('arpa * gross_margin / nullif(avg_customer_churn_rate, 0)') }} as cltv_simple
    from averaged
)

select * from final
