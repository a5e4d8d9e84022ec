-- Today's at-risk list: one row per customer active on the as-of date, with the signals that fire, the risk
-- score and tier, and what an account manager needs to act on it (docs/metrics.md, Silent churn and customer health).
with

snapshots as (
    select * from {{ ref('int_customer_health_snapshots') }}
    where is_as_of_date
),

final as (
    select
        customer_id,
        snapshot_date as as_of_date,
        days_since_last_activity,
        activity_last_30d,
        activity_prev_30d,
        activity_change_pct,
        inactive,
        usage_drop,
        spend_decline,
        survey_silence,
        detractor,
        complaints_rising,
        payment_failing,
        email_disengaged,
        signals,
        risk_score,
        risk_tier,
        risk_model,
        current_mrr,
        segment,
        country,
        acquisition_channel,
        plan_interval,
        tenure_months
    from snapshots
)

select * from final
