-- The health row of each customer active on a snapshot day D, ready for the marts: signals, scores and tier, plus
-- MRR, the dimensions (fixed at the first active month, as in every mart) and tenure, so the list can be acted on.
with

scores as (
    select * from {{ ref('int_customer_health_scores') }}
),

snapshot_dates as (
    select * from {{ ref('int_health_snapshot_dates') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

final as (
    select
        scores.customer_id,
        scores.snapshot_date,
        snapshot_dates.month,
        snapshot_dates.is_as_of_date,
        cast(scores.days_since_last_activity as {{ dbt.type_bigint() }}) as days_since_last_activity,
        cast(scores.activity_last_30d as {{ dbt.type_bigint() }}) as activity_last_30d,
        cast(scores.activity_prev_30d as {{ dbt.type_bigint() }}) as activity_prev_30d,
        cast(scores.activity_change_pct as {{ type_rate() }}) as activity_change_pct,
        scores.inactive,
        scores.usage_drop,
        scores.spend_decline,
        scores.survey_silence,
        scores.detractor,
        scores.complaints_rising,
        scores.payment_failing,
        scores.email_disengaged,
        scores.signals,
        scores.weighted_score,
        scores.logistic_score,
        scores.risk_score,
        scores.risk_tier,
        scores.risk_model,
        cast(scores.mrr as {{ dbt.type_numeric() }}) as current_mrr,
        coalesce(dimensions.segment, customers.segment, 'unknown') as segment,
        coalesce(dimensions.country, customers.country, 'unknown') as country,
        coalesce(dimensions.acquisition_channel, customers.acquisition_channel, 'unknown') as acquisition_channel,
        -- A customer whose first active month is not complete yet has no dimension row: their interval on D.
        coalesce(dimensions.plan_interval, {{ plan_interval_label('scores.interval_months') }}) as plan_interval,
        cast(
            coalesce({{ dbt.datediff('dimensions.first_active_month', 'snapshot_dates.month', 'month') }}, 0)
            as {{ dbt.type_bigint() }}
        ) as tenure_months
    from scores
    inner join snapshot_dates on scores.snapshot_date = snapshot_dates.snapshot_date
    inner join customers on scores.customer_id = customers.customer_id
    left join dimensions on scores.customer_id = dimensions.customer_id
)

select * from final
