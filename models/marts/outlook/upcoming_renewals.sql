-- Every quarterly, semi-annual or annual subscription renewing in the next 12 months, largest ARR first, with
-- the customer's current risk score and health reasons (docs/metrics.md, Outlook); the dashboard exports the
-- next 90 days as CSV.
with

renewals as (
    select * from {{ ref('int_subscription_renewals') }}
),

health as (
    select * from {{ ref('customer_health') }}
),

valued as (
    select
        renewals.subscription_id,
        renewals.customer_id,
        renewals.renewal_date,
        renewals.renewal_month,
        renewals.plan_interval,
        coalesce(health.segment, 'unknown') as segment,
        {{ round_money('12 * health.current_mrr * renewals.share_of_customer_mrr') }} as arr_renewing,
        health.risk_score,
        health.risk_tier,
        health.signals,
        renewals.is_cancellation_scheduled,
        renewals.renewal_date <= {{ dbt.dateadd('day', 90, 'renewals.as_of_date') }} as is_within_90_days
    from renewals
    inner join health on renewals.customer_id = health.customer_id
),

final as (
    select
        subscription_id,
        customer_id,
        renewal_date,
        renewal_month,
        plan_interval,
        segment,
        arr_renewing,
        risk_score,
        risk_tier,
        {{ round_money('arr_renewing * risk_score') }} as risk_weighted_arr,
        signals,
        is_cancellation_scheduled,
        is_within_90_days,
        cast(row_number() over (order by arr_renewing desc, subscription_id asc) as {{ dbt.type_bigint() }}) as arr_rank
    from valued
)

select * from final
