-- Per customer active on a snapshot day D: the counts and latest moments the signals need, over the windows of
-- docs/metrics.md ((D - n, D] by UTC date). Every window starts and ends on a probe day, so it is exactly a set of the
-- customer's periods (int_health_periods): each active customer-day is joined to the customer's periods up to D
-- (a few dozen rows per customer, never a customer x day grid) and the windows are conditional sums over them.
{%- set day_before = {} %}
{%- for days in [30, 60, 90, 180] %}
    {%- do day_before.update({days: 'cast(' ~ dbt.dateadd('day', -days, 'active.snapshot_date') ~ ' as date)'}) %}
{%- endfor %}

with

active as (
    select
        customer_id,
        snapshot_date
    from {{ ref('int_customer_mrr_on_snapshot_dates') }}
),

periods as (
    select * from {{ ref('int_health_periods') }}
),

first_period as (
    select min(period_end) as period_end from periods
),

activity_periods as (
    select * from {{ ref('int_customer_activity_periods') }}
),

-- The other inputs, from days into periods.
account_periods as (
    select
        daily.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period)) as period_end,
        sum(daily.complaints_opened) as complaints_opened,
        sum(daily.old_unresolved_change) as old_unresolved_change,
        max(daily.last_failed_charge_at) as last_failed_charge_at,
        max(daily.last_succeeded_charge_at) as last_succeeded_charge_at,
        sum(daily.one_off_spend) as one_off_spend,
        sum(daily.surveys_sent) as surveys_sent,
        sum(daily.nps_answers) as nps_answers,
        sum(daily.csat_answers) as csat_answers
    from {{ ref('int_customer_health_daily') }} as daily
    left join periods on daily.activity_date = periods.calendar_date
    group by
        daily.customer_id,
        coalesce(periods.period_end, (select first_period.period_end from first_period))
),

activity_windows as (
    select
        active.customer_id,
        active.snapshot_date,
        max(activity_periods.last_activity_date) as last_activity_date,
        {{ sum_within(
            'activity_periods.activity_events', 'activity_periods.period_end', day_before[30]
        ) }} as activity_last_30d,
        {{ sum_within(
            'activity_periods.activity_events', 'activity_periods.period_end', day_before[60], day_before[30]
        ) }} as activity_prev_30d,
        sum(activity_periods.emails_sent) as emails_sent_to_date,
        max(activity_periods.last_email_engaged_at) as last_email_engaged_at
    from active
    inner join activity_periods
        on
            active.customer_id = activity_periods.customer_id
            and active.snapshot_date >= activity_periods.period_end
    group by active.customer_id, active.snapshot_date
),

account_windows as (
    select
        active.customer_id,
        active.snapshot_date,
        {{ sum_within(
            'account_periods.complaints_opened', 'account_periods.period_end', day_before[30]
        ) }} as complaints_last_30d,
        {{ sum_within(
            'account_periods.complaints_opened', 'account_periods.period_end', day_before[60], day_before[30]
        ) }} as complaints_prev_30d,
        sum(account_periods.old_unresolved_change) as old_unresolved_complaints,
        max(account_periods.last_failed_charge_at) as last_failed_charge_at,
        max(account_periods.last_succeeded_charge_at) as last_succeeded_charge_at,
        {{ sum_within(
            'account_periods.one_off_spend', 'account_periods.period_end', day_before[90]
        ) }} as one_off_spend_last_90d,
        {{ sum_within(
            'account_periods.one_off_spend', 'account_periods.period_end', day_before[180], day_before[90]
        ) }} as one_off_spend_prev_90d,
        sum(account_periods.surveys_sent) as surveys_sent_to_date,
        sum(account_periods.nps_answers) as nps_answers_to_date,
        sum(account_periods.csat_answers) as csat_answers_to_date
    from active
    inner join account_periods
        on
            active.customer_id = account_periods.customer_id
            and active.snapshot_date >= account_periods.period_end
    group by active.customer_id, active.snapshot_date
),

final as (
    select
        active.customer_id,
        active.snapshot_date,
        activity_windows.last_activity_date,
        coalesce(activity_windows.activity_last_30d, 0) as activity_last_30d,
        coalesce(activity_windows.activity_prev_30d, 0) as activity_prev_30d,
        coalesce(activity_windows.emails_sent_to_date, 0) as emails_sent_to_date,
        activity_windows.last_email_engaged_at,
        coalesce(account_windows.complaints_last_30d, 0) as complaints_last_30d,
        coalesce(account_windows.complaints_prev_30d, 0) as complaints_prev_30d,
        coalesce(account_windows.old_unresolved_complaints, 0) as old_unresolved_complaints,
        account_windows.last_failed_charge_at,
        account_windows.last_succeeded_charge_at,
        {{ round_money("coalesce(account_windows.one_off_spend_last_90d, 0)") }} as one_off_spend_last_90d,
        {{ round_money("coalesce(account_windows.one_off_spend_prev_90d, 0)") }} as one_off_spend_prev_90d,
        coalesce(account_windows.surveys_sent_to_date, 0) as surveys_sent_to_date,
        coalesce(account_windows.nps_answers_to_date, 0) as nps_answers_to_date,
        coalesce(account_windows.csat_answers_to_date, 0) as csat_answers_to_date
    from active
    left join activity_windows
        on
            active.customer_id = activity_windows.customer_id
            and active.snapshot_date = activity_windows.snapshot_date
    left join account_windows
        on
            active.customer_id = account_windows.customer_id
            and active.snapshot_date = account_windows.snapshot_date
)

select * from final
