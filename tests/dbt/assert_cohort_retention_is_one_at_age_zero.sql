-- docs/metrics.md, Cohort retention: at age 0 every cohort customer is active and the starting MRR is the cohort's
-- MRR, so logo and revenue retention are 1 in every dimension value.
select
    cohort_month,
    dimension,
    dimension_value,
    retained_customers,
    cohort_customers,
    logo_retention,
    revenue_retention
from {{ ref('cohort_retention') }}
where
    months_since_start = 0
    and (
        retained_customers != cohort_customers
        or cohort_starting_mrr != mrr
        or logo_retention is null
        or logo_retention != 1
        or revenue_retention is null
        or abs(revenue_retention - 1) > 1e-12
    )
