-- How did MRR get from a year ago to today? The MRR bridge of the last 12 complete months:
-- opening MRR, each movement, and closing MRR (compile with `dbt compile`, run in any DuckDB client).
with

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

latest as (
    select max(month) as month from monthly
),

last_12_months as (
    select monthly.*
    from monthly
    cross join latest
    where monthly.month > {{ add_months(-12, 'latest.month') }}
),

bridge as (
    select
        min(month) as first_month,
        max(month) as last_month,
        sum(fx_adjustment_mrr) as fx_adjustment_mrr,
        sum(new_mrr) as new_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churn_mrr) as churn_mrr
    from last_12_months
),

final as (
    select
        bridge.*,
        opening.mrr as mrr_before_first_month,
        closing.mrr as closing_mrr
    from bridge
    left join monthly as opening on {{ add_months(-1, 'bridge.first_month') }} = opening.month
    left join monthly as closing on bridge.last_month = closing.month
)

select * from final
