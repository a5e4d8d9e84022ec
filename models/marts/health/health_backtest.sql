-- How well the risk score ranked customers by whether they then churned: per past month end D whose next 3 month
-- ends are complete, among the customers active on D, churned = not active at one or more of those 3 month ends.
with

outcomes as (
    select * from {{ ref('int_customer_health_outcomes') }}
),

snapshots as (
    select * from {{ ref('int_customer_health_snapshots') }}
    where not is_as_of_date
),

auc as (
    select * from {{ ref('int_health_score_auc') }}
),

scored as (
    select
        snapshots.snapshot_date,
        snapshots.month,
        outcomes.outcome_known_on,
        snapshots.risk_tier,
        snapshots.risk_model,
        case when outcomes.churned then 1 else 0 end as churned
    from snapshots
    inner join outcomes
        on
            snapshots.customer_id = outcomes.customer_id
            and snapshots.snapshot_date = outcomes.snapshot_date
),

by_day as (
    select
        snapshot_date,
        month,
        outcome_known_on,
        max(risk_model) as risk_model,
        count(*) as customers_scored,
        sum(churned) as customers_churned,
        sum(case when risk_tier = 'low' then 1 else 0 end) as low_tier_customers,
        sum(case when risk_tier = 'medium' then 1 else 0 end) as medium_tier_customers,
        sum(case when risk_tier = 'high' then 1 else 0 end) as high_tier_customers,
        sum(case when risk_tier = 'low' then churned else 0 end) as low_tier_churned,
        sum(case when risk_tier = 'medium' then churned else 0 end) as medium_tier_churned,
        sum(case when risk_tier = 'high' then churned else 0 end) as high_tier_churned
    from scored
    group by snapshot_date, month, outcome_known_on
),

final as (
    select
        by_day.month,
        by_day.snapshot_date as month_end,
        by_day.outcome_known_on,
        by_day.risk_model,
        cast(by_day.customers_scored as {{ dbt.type_bigint() }}) as customers_scored,
        cast(by_day.customers_churned as {{ dbt.type_bigint() }}) as customers_churned,
        {{ safe_divide('by_day.customers_churned', 'by_day.customers_scored') }} as churn_rate,
        cast(risk_auc.roc_auc as {{ type_rate() }}) as roc_auc,
        cast(weighted_auc.roc_auc as {{ type_rate() }}) as roc_auc_weighted,
        cast(logistic_auc.roc_auc as {{ type_rate() }}) as roc_auc_logistic,
        cast(by_day.high_tier_customers as {{ dbt.type_bigint() }}) as high_tier_customers,
        cast(by_day.high_tier_churned as {{ dbt.type_bigint() }}) as high_tier_churned,
        {{ safe_divide('by_day.high_tier_churned', 'by_day.high_tier_customers') }} as high_tier_precision,
        {{ safe_divide('by_day.high_tier_churned', 'by_day.customers_churned') }} as high_tier_recall,
        cast(by_day.low_tier_customers as {{ dbt.type_bigint() }}) as low_tier_customers,
        cast(by_day.medium_tier_customers as {{ dbt.type_bigint() }}) as medium_tier_customers,
        cast(by_day.low_tier_churned as {{ dbt.type_bigint() }}) as low_tier_churned,
        cast(by_day.medium_tier_churned as {{ dbt.type_bigint() }}) as medium_tier_churned,
        {{ safe_divide('by_day.low_tier_churned', 'by_day.low_tier_customers') }} as low_tier_churn_rate,
        {{ safe_divide('by_day.medium_tier_churned', 'by_day.medium_tier_customers') }} as medium_tier_churn_rate,
        {{ safe_divide('by_day.high_tier_churned', 'by_day.high_tier_customers') }} as high_tier_churn_rate
    from by_day
    left join auc as risk_auc
        on
            by_day.snapshot_date = risk_auc.snapshot_date
            and risk_auc.score_name = 'risk_score'
    left join auc as weighted_auc
        on
            by_day.snapshot_date = weighted_auc.snapshot_date
            and weighted_auc.score_name = 'weighted_score'
    left join auc as logistic_auc
        on
            by_day.snapshot_date = logistic_auc.snapshot_date
            and logistic_auc.score_name = 'logistic_score'
)

select * from final
