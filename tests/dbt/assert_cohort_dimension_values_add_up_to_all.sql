-- Every customer sits in exactly one value of each dimension, so for each cohort and age the values of a
-- dimension add up to the overall (`all`) row: customers, retained customers, starting MRR and MRR.
with

retention as (
    select * from {{ ref('cohort_retention') }}
),

overall as (
    select * from retention
    where dimension = 'all'
),

by_dimension as (
    select
        dimension,
        cohort_month,
        months_since_start,
        sum(cohort_customers) as cohort_customers,
        sum(retained_customers) as retained_customers,
        sum(cohort_starting_mrr) as cohort_starting_mrr,
        sum(mrr) as mrr
    from retention
    where dimension != 'all'
    group by dimension, cohort_month, months_since_start
),

dimensions as (
    select distinct dimension from by_dimension
),

-- Each dimension must cover every overall row, and no more.
expected as (
    select
        dimensions.dimension,
        overall.cohort_month,
        overall.months_since_start,
        overall.cohort_customers,
        overall.retained_customers,
        overall.cohort_starting_mrr,
        overall.mrr
    from overall
    cross join dimensions
)

select
    coalesce(expected.dimension, by_dimension.dimension) as dimension,
    coalesce(expected.cohort_month, by_dimension.cohort_month) as cohort_month,
    coalesce(expected.months_since_start, by_dimension.months_since_start) as months_since_start
from expected
full outer join by_dimension
    on
        expected.dimension = by_dimension.dimension
        and expected.cohort_month = by_dimension.cohort_month
        and expected.months_since_start = by_dimension.months_since_start
where
    expected.dimension is null
    or by_dimension.dimension is null
    or expected.cohort_customers != by_dimension.cohort_customers
    or expected.retained_customers != by_dimension.retained_customers
    or expected.cohort_starting_mrr != by_dimension.cohort_starting_mrr
    or expected.mrr != by_dimension.mrr
