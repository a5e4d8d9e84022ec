-- The health list at every past complete month end: one row per customer active on that day, with the same
-- signals, score and tier as customer_health (for trends, the backtest and the alerts).
with

snapshots as (
    select * from {{ ref('int_customer_health_snapshots') }}
    where not is_as_of_date
),

final as (
    select
        customer_id,
        month,
        snapshot_date as month_end,
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
