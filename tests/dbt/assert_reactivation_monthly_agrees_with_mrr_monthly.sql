-- reactivation_monthly covers the months of mrr_monthly, and the churned and reactivated customers and the
-- reactivation MRR it counts are the ones mrr_monthly counts.
with

reactivation as (
    select * from {{ ref('reactivation_monthly') }}
),

monthly as (
    select * from {{ ref('mrr_monthly') }}
)

select
    coalesce(monthly.month, reactivation.month) as month,
    monthly.churned_customers,
    reactivation.churned_customers as reactivation_churned_customers,
    monthly.reactivated_customers,
    reactivation.reactivated_customers as reactivation_reactivated_customers
from monthly
full outer join reactivation on monthly.month = reactivation.month
where
    monthly.month is null
    or reactivation.month is null
    or monthly.churned_customers != reactivation.churned_customers
    or monthly.reactivated_customers != reactivation.reactivated_customers
    or monthly.reactivation_mrr != reactivation.reactivation_mrr
    or reactivation.reactivated_customers > reactivation.former_customers
