-- Logo and revenue retention of each cohort (customers by first active month) at each age, overall (`all`/`all`)
-- and for each value of each dimension (docs/metrics.md, Cohort retention).
{%- set dimensions = ['segment', 'country', 'acquisition_channel', 'plan_interval'] %}
{%- set qualified_dimensions = [] %}
{%- for dimension in dimensions %}{% do qualified_dimensions.append('dimensions.' ~ dimension) %}{% endfor %}

with

cohort_months as (
    select * from {{ ref('int_customer_cohort_months') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

-- Totals per cohort, age and combination of dimension values: small, so each dimension re-aggregates it cheaply.
-- Every cohort customer has a row at every age, so the row count is the cohort size.
combinations as (
    select
        cohort_months.cohort_month,
        cohort_months.months_since_start,
        {{ column_list(qualified_dimensions) }},
        count(*) as cohort_customers,
        sum(case when cohort_months.is_active then 1 else 0 end) as retained_customers,
        sum(cohort_months.cohort_starting_mrr) as cohort_starting_mrr,
        sum(cohort_months.mrr) as mrr
    from cohort_months
    inner join dimensions on cohort_months.customer_id = dimensions.customer_id
    group by
        cohort_months.cohort_month,
        cohort_months.months_since_start,
        {{ qualified_dimensions | join(', ') }}
),

by_dimension as (
    {% for dimension in ['all'] + dimensions %}
        select
            '{{ dimension }}' as dimension,
            {{ "'all'" if dimension == 'all' else dimension }} as dimension_value,
            cohort_month,
            months_since_start,
            sum(cohort_customers) as cohort_customers,
            sum(retained_customers) as retained_customers,
            sum(cohort_starting_mrr) as cohort_starting_mrr,
            sum(mrr) as mrr
        from combinations
        group by cohort_month, months_since_start{{ "" if dimension == 'all' else ", " ~ dimension }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        cohort_month,
        cast(months_since_start as {{ dbt.type_bigint() }}) as months_since_start,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(cohort_customers as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(retained_customers as {{ dbt.type_bigint() }}) as retained_customers,
        {{ safe_divide('retained_customers', 'cohort_customers') }} as logo_retention,
        cast(cohort_starting_mrr as {{ dbt.type_numeric() }}) as cohort_starting_mrr,
        cast(mrr as {{ dbt.type_numeric() }}) as mrr,
        {{ safe_divide('mrr', 'cohort_starting_mrr') }} as revenue_retention
    from by_dimension
)

select * from final
