-- Staged MRR against cohort MRR: in each month, the cohorts' MRR and retained customers add up to
-- mrr_monthly's MRR and active customers, and each cohort's size is the new customers of its month.
with

cohorts as (
    select
        {{ add_months('months_since_start', 'cohort_month') }} as month,
        cohort_month,
        months_since_start,
        cohort_customers,
        retained_customers,
        mrr
    from {{ ref('cohort_retention') }}
    where dimension = 'all'
),

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

summed as (
    select
        month,
        sum(mrr) as mrr,
        sum(retained_customers) as active_customers,
        sum(case when months_since_start = 0 then cohort_customers else 0 end) as new_customers
    from cohorts
    group by month
)

select
    monthly.month,
    monthly.mrr,
    summed.mrr as cohort_mrr,
    monthly.active_customers,
    summed.active_customers as cohort_active_customers,
    monthly.new_customers,
    summed.new_customers as cohort_new_customers
from monthly
left join summed on monthly.month = summed.month
where
    coalesce(summed.mrr, 0) != monthly.mrr
    or coalesce(summed.active_customers, 0) != monthly.active_customers
    or coalesce(summed.new_customers, 0) != monthly.new_customers
