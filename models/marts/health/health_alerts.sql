-- The list a customer-success team or a CRM imports: customers active on the as-of date whose risk tier is high
-- now and was not at the previous month end (low or medium then, or not yet a customer), with every signal that
-- fires now and the ones that were not firing at the previous month end.
{%- set signal_names = [
    'inactive', 'usage_drop', 'spend_decline', 'survey_silence',
    'detractor', 'complaints_rising', 'payment_failing', 'email_disengaged'] %}
{%- set new_signals = [] %}
{%- for name in signal_names %}
    {%- do new_signals.append(
        "case when today." ~ name ~ " and not coalesce(previous." ~ name ~ ", false) then ', "
        ~ name ~ "' else '' end") %}
{%- endfor %}

with

snapshots as (
    select * from {{ ref('int_customer_health_snapshots') }}
),

-- The last complete month end before the as-of date.
previous_month_end as (
    select max(snapshot_dates.snapshot_date) as snapshot_date
    from {{ ref('int_health_snapshot_dates') }} as snapshot_dates
    where not snapshot_dates.is_as_of_date
),

today as (
    select * from snapshots
    where is_as_of_date
),

previous as (
    select snapshots.*
    from snapshots
    inner join previous_month_end on snapshots.snapshot_date = previous_month_end.snapshot_date
),

risen as (
    select
        today.customer_id,
        today.snapshot_date as as_of_date,
        (select previous_month_end.snapshot_date from previous_month_end) as previous_month_end,
        previous.risk_tier as previous_risk_tier,
        today.risk_tier,
        previous.risk_score as previous_risk_score,
        today.risk_score,
        today.signals,
        {{ dbt.concat(new_signals) }} as new_signal_list,
        today.days_since_last_activity,
        today.activity_last_30d,
        today.activity_prev_30d,
        today.current_mrr,
        today.segment,
        today.country,
        today.acquisition_channel,
        today.plan_interval,
        today.tenure_months
    from today
    left join previous on today.customer_id = previous.customer_id
    where
        today.risk_tier = 'high'
        and coalesce(previous.risk_tier, 'none') != 'high'
),

final as (
    select
        customer_id,
        as_of_date,
        previous_month_end,
        previous_risk_tier,
        risk_tier,
        previous_risk_score,
        risk_score,
        signals,
        case when new_signal_list = '' then '' else substr(new_signal_list, 3) end as new_signals,
        days_since_last_activity,
        activity_last_30d,
        activity_prev_30d,
        current_mrr,
        segment,
        country,
        acquisition_channel,
        plan_interval,
        tenure_months
    from risen
)

select * from final
