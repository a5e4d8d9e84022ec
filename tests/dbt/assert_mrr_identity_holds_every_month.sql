-- docs/metrics.md identity, for every month overall and in every dimension value:
-- mrr(m) = mrr(m-1) + fx_adjustment + new + reactivation + expansion - contraction - churn.
with

overall as (
    select
        'all' as dimension,
        'all' as dimension_value,
        month,
        mrr,
        fx_adjustment_mrr,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churn_mrr
    from {{ ref('mrr_monthly') }}
),

by_dimension as (
    select
        dimension,
        dimension_value,
        month,
        mrr,
        fx_adjustment_mrr,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churn_mrr
    from {{ ref('mrr_monthly_by_dimension') }}
),

figures as (
    select * from overall
    union all
    select * from by_dimension
),

checked as (
    select
        *,
        coalesce(lag(mrr) over (partition by dimension, dimension_value order by month), 0)
        + fx_adjustment_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr
            as expected_mrr
    from figures
)

select *
from checked
where mrr != expected_mrr
