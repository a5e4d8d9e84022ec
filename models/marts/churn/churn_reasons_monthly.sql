-- Churned customers and churned MRR per month and reason: one reason per churned customer (docs/metrics.md, Churn).
with

months as (
    select month from {{ ref('int_reporting_months') }}
),

churns as (
    select
        month,
        churn_type,
        churn_reason,
        churn_mrr
    from {{ ref('int_customer_mrr_movements') }}
    where movement = 'churn'
),

reasons as (
    select distinct
        churn_type,
        churn_reason
    from churns
),

counted as (
    select
        month,
        churn_type,
        churn_reason,
        count(*) as churned_customers,
        sum(churn_mrr) as churn_mrr
    from churns
    group by month, churn_type, churn_reason
),

-- Every reason seen has a row for every month, zeros included, so trends have no holes.
final as (
    select
        months.month,
        reasons.churn_reason,
        reasons.churn_type,
        cast(coalesce(counted.churned_customers, 0) as {{ dbt.type_bigint() }}) as churned_customers,
        {{ round_money('coalesce(counted.churn_mrr, 0)') }} as churn_mrr
    from months
    cross join reasons
    left join counted
        on
            months.month = counted.month
            and reasons.churn_type = counted.churn_type
            and reasons.churn_reason = counted.churn_reason
)

select * from final
