-- Row by row in mrr_movements: mrr = prev_mrr + new + reactivation + expansion - contraction - churn,
-- and the monthly mart's totals equal the sums of the customer rows.
with

movements as (
    select * from {{ ref('mrr_movements') }}
),

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

broken_rows as (
    select
        customer_id,
        month,
        'row identity' as failure
    from movements
    where mrr != prev_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr
),

summed as (
    select
        month,
        sum(mrr) as mrr,
        sum(prev_mrr) as opening_mrr,
        sum(churn_mrr) as churn_mrr,
        sum(case when mrr > 0 then 1 else 0 end) as active_customers
    from movements
    group by month
),

broken_months as (
    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        monthly.month,
        'monthly totals' as failure
    from monthly
    left join summed on monthly.month = summed.month
    where
        summed.month is null
        or monthly.mrr != summed.mrr
        or monthly.opening_mrr != summed.opening_mrr
        or monthly.churn_mrr != summed.churn_mrr
        or monthly.active_customers != summed.active_customers
)

select * from broken_rows
union all
select * from broken_months
