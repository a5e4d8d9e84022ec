-- Summed over reasons, churn_reasons_monthly has the churned customers and churn MRR of mrr_monthly.
with

reasons as (
    select
        month,
        sum(churned_customers) as churned_customers,
        sum(churn_mrr) as churn_mrr
    from {{ ref('churn_reasons_monthly') }}
    group by month
),

monthly as (
    select
        month,
        churned_customers,
        churn_mrr
    from {{ ref('mrr_monthly') }}
)

select
    monthly.month,
    monthly.churned_customers,
    reasons.churned_customers as churned_customers_by_reason,
    monthly.churn_mrr,
    reasons.churn_mrr as churn_mrr_by_reason
from monthly
left join reasons on monthly.month = reasons.month
where
    coalesce(reasons.churned_customers, 0) != monthly.churned_customers
    or coalesce(reasons.churn_mrr, 0) != monthly.churn_mrr
