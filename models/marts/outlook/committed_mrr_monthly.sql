-- Committed MRR for each of the next 12 months (docs/metrics.md, Outlook): today's MRR less the cancellations
-- already scheduled on the as-of date, split into whole-customer churn and contraction.
with

runs as (
    select * from {{ ref('int_mrr_forecast_runs') }}
    where is_latest and method = 'survival'
),

final as (
    select
        as_of_month,
        cast(months_ahead as {{ dbt.type_bigint() }}) as months_ahead,
        month,
        {{ round_money('committed_mrr') }} as committed_mrr,
        {{ round_money('scheduled_churn_mrr') }} as scheduled_churn_mrr,
        {{ round_money('scheduled_contraction_mrr') }} as scheduled_contraction_mrr,
        {{ round_money(
            "scheduled_churn_mrr - coalesce(lag(scheduled_churn_mrr) over (order by months_ahead), 0)"
        ) }} as churn_mrr,
        {{ round_money(
            "scheduled_contraction_mrr - coalesce(lag(scheduled_contraction_mrr) over (order by months_ahead), 0)"
        ) }} as contraction_mrr
    from runs
)

select * from final
