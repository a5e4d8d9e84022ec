-- Every monthly MRR and churn figure of docs/metrics.md, overall (`all`/`all`) and for each value of each dimension.
{%- set dimensions = ['segment', 'country', 'acquisition_channel', 'plan_interval'] %}
{%- set amounts = [
    'mrr', 'opening_mrr', 'fx_adjustment_mrr', 'new_mrr', 'expansion_mrr',
    'contraction_mrr', 'churn_mrr', 'reactivation_mrr', 'voluntary_churn_mrr', 'involuntary_churn_mrr',
    'unknown_churn_mrr'] %}
{%- set counts = [
    'active_customers', 'new_customers', 'churned_customers',
    'reactivated_customers', 'voluntary_churned_customers', 'involuntary_churned_customers',
    'unknown_churned_customers'] %}
{%- set qualified_dimensions, sums, zero_filled, typed_figures = [], [], [], [] %}
{%- for dimension in dimensions %}
    {%- do qualified_dimensions.append('dimensions.' ~ dimension) %}
{%- endfor %}
{%- for measure in amounts + counts %}
    {%- do sums.append('sum(' ~ measure ~ ') as ' ~ measure) %}
    {%- do zero_filled.append('coalesce(by_dimension.' ~ measure ~ ', 0) as ' ~ measure) %}
{%- endfor %}
{%- for column, kind in mrr_monthly_figures() %}
    {%- do typed_figures.append(cast_figure(column, kind) ~ ' as ' ~ column) %}
{%- endfor %}

with

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

months as (
    select month from {{ ref('int_reporting_months') }}
),

customer_months as (
    select
        movements.month,
        {{ column_list(qualified_dimensions) }},
        movements.mrr,
        movements.prev_mrr as opening_mrr,
        movements.fx_adjustment_mrr,
        movements.new_mrr,
        movements.expansion_mrr,
        movements.contraction_mrr,
        movements.churn_mrr,
        movements.reactivation_mrr,
        case when movements.churn_type = 'voluntary' then movements.churn_mrr else 0 end as voluntary_churn_mrr,
        case when movements.churn_type = 'involuntary' then movements.churn_mrr else 0 end as involuntary_churn_mrr,
        case when movements.churn_type = 'unknown' then movements.churn_mrr else 0 end as unknown_churn_mrr,
        case when movements.mrr > 0 then 1 else 0 end as active_customers,
        case when movements.movement = 'new' then 1 else 0 end as new_customers,
        case when movements.movement = 'churn' then 1 else 0 end as churned_customers,
        case when movements.movement = 'reactivation' then 1 else 0 end as reactivated_customers,
        case when movements.churn_type = 'voluntary' then 1 else 0 end as voluntary_churned_customers,
        case when movements.churn_type = 'involuntary' then 1 else 0 end as involuntary_churned_customers,
        case when movements.churn_type = 'unknown' then 1 else 0 end as unknown_churned_customers
    from movements
    inner join dimensions on movements.customer_id = dimensions.customer_id
),

-- Totals per month and combination of dimension values: small, so each dimension re-aggregates it cheaply.
combinations as (
    select
        month,
        {{ column_list(dimensions) }},
        {{ column_list(sums) }}
    from customer_months
    group by
        month,
        {{ dimensions | join(', ') }}
),

by_dimension as (
    {% for dimension in ['all'] + dimensions %}
        select
            '{{ dimension }}' as dimension,
            {{ "'all'" if dimension == 'all' else dimension }} as dimension_value,
            month,
            {{ column_list(sums, 12) }}
        from combinations
        group by month{{ "" if dimension == 'all' else ", " ~ dimension }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

dimension_values as (
    select distinct
        dimension,
        dimension_value
    from by_dimension
),

-- Every dimension value has a row for every month, zeros included.
grid as (
    select
        dimension_values.dimension,
        dimension_values.dimension_value,
        months.month,
        {{ column_list(zero_filled) }}
    from dimension_values
    cross join months
    left join by_dimension
        on
            dimension_values.dimension = by_dimension.dimension
            and dimension_values.dimension_value = by_dimension.dimension_value
            and months.month = by_dimension.month
),

previous_month as (
    select
        *,
        lag(active_customers) over (partition by dimension, dimension_value order by month)
            as last_month_active_customers
    from grid
),

rates as (
    select
        *,
        12 * mrr as arr,
        {{ safe_divide('mrr', 'active_customers') }} as arpa,
        {{ safe_divide('churned_customers', 'last_month_active_customers') }} as customer_churn_rate,
        {{ safe_divide('churn_mrr + contraction_mrr', 'opening_mrr') }} as gross_revenue_churn_rate,
        {{ safe_divide('churn_mrr + contraction_mrr - expansion_mrr', 'opening_mrr') }} as net_revenue_churn_rate,
        {{ safe_divide('churn_mrr + contraction_mrr - expansion_mrr - reactivation_mrr', 'opening_mrr') }}
            as net_revenue_churn_rate_incl_reactivation,
        {{ safe_divide('expansion_mrr', 'new_mrr + expansion_mrr + reactivation_mrr') }} as expansion_share,
        {{ safe_divide('new_mrr + reactivation_mrr + expansion_mrr', 'churn_mrr + contraction_mrr') }} as quick_ratio
    from previous_month
),

retention as (
    select
        *,
        1 - net_revenue_churn_rate as nrr,
        1 - gross_revenue_churn_rate as grr,
        net_revenue_churn_rate < 0 as is_negative_churn
    from rates
),

trailing_retention as (
    select
        *,
        {{ trailing_product('nrr', 12, 'dimension, dimension_value', 'month') }} as nrr_t12m,
        {{ trailing_product('grr', 12, 'dimension, dimension_value', 'month') }} as grr_t12m
    from retention
),

final as (
    select
        dimension,
        dimension_value,
        month,
        {{ column_list(typed_figures) }}
    from trailing_retention
)

select * from final
