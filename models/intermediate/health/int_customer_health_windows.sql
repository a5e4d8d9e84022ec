-- Per customer active on a snapshot day D: the counts and latest moments the signals need, over the windows of
-- METRICS.md ((D - n, D] by UTC date). Every window starts and ends on a probe day, so it is exactly a set of the
-- customer's periods (int_health_periods). Each customer's periods are put in date order with the probe days
-- the customer is looked up on (D, D - 30, D - 60, D - 90 and D - 180 for every D the customer is active) and
-- running totals and latest moments are read on those days: a window (D - n, D] is the total on D minus the
-- total on D - n. The cost grows with the customer's periods and snapshot days, not with their product.
{%- set running = 'over (partition by customer_id order by period_end, is_lookup '
    ~ 'rows between unbounded preceding and current row)' %}
{#- The running value of `column` on the probe day `days_before` days before D. #}
{%- set on_day = 'max(case when lookups.days_before = %d then to_date.%s end)' %}

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

-- The probe days a window of D starts or ends on: D itself, D - 30, D - 60, D - 90 and D - 180.
offsets as (
    select 0 as days_before
    union all
    select 30 as days_before
    union all
    select 60 as days_before
    union all
    select 90 as days_before
    union all
    select 180 as days_before
),

-- Each active customer-day with the probe days it is looked up on.
lookups as (
    select
        active.customer_id,
        active.snapshot_date,
        offsets.days_before,
        cast({{ dbt.dateadd('day', '-1 * offsets.days_before', 'active.snapshot_date') }} as date) as probe_day
    from active
    cross join offsets
),

-- The days each customer is looked up on (a day shared by two snapshot days once).
lookup_days as (
    select distinct
        customer_id,
        probe_day as period_end
    from lookups
),

-- Periods with inputs and days looked up, in one shape: the columns a row does not have are 0 or null. A day
-- looked up sorts after a period ending on it (is_lookup), so its running totals include that period.
combined as (
    select
        customer_id,
        period_end,
        0 as is_lookup,
        activity_events,
        last_activity_date,
        emails_sent,
        last_email_engaged_at,
        0 as complaints_opened,
        0 as old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        0 as one_off_spend,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from activity_periods
    union all
    select
        customer_id,
        period_end,
        0 as is_lookup,
        0 as activity_events,
        cast(null as date) as last_activity_date,
        0 as emails_sent,
        cast(null as timestamp) as last_email_engaged_at,
        complaints_opened,
        old_unresolved_change,
        last_failed_charge_at,
        last_succeeded_charge_at,
        one_off_spend,
        surveys_sent,
        nps_answers,
        csat_answers
    from account_periods
    union all
    select
        customer_id,
        period_end,
        1 as is_lookup,
        0 as activity_events,
        cast(null as date) as last_activity_date,
        0 as emails_sent,
        cast(null as timestamp) as last_email_engaged_at,
        0 as complaints_opened,
        0 as old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        0 as one_off_spend,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from lookup_days
),

-- Counts are summed as 64-bit integers (on DuckDB the periods' counts are 128-bit, slower to add up).
running as (
    select
        customer_id,
        period_end,
        is_lookup,
        sum(cast(activity_events as {{ dbt.type_bigint() }})) {{ running }} as activity_events,
        max(last_activity_date) {{ running }} as last_activity_date,
        sum(cast(emails_sent as {{ dbt.type_bigint() }})) {{ running }} as emails_sent,
        max(last_email_engaged_at) {{ running }} as last_email_engaged_at,
        sum(cast(complaints_opened as {{ dbt.type_bigint() }})) {{ running }} as complaints_opened,
        sum(cast(old_unresolved_change as {{ dbt.type_bigint() }})) {{ running }} as old_unresolved_change,
        max(last_failed_charge_at) {{ running }} as last_failed_charge_at,
        max(last_succeeded_charge_at) {{ running }} as last_succeeded_charge_at,
        sum(one_off_spend) {{ running }} as one_off_spend,
        sum(cast(surveys_sent as {{ dbt.type_bigint() }})) {{ running }} as surveys_sent,
        sum(cast(nps_answers as {{ dbt.type_bigint() }})) {{ running }} as nps_answers,
        sum(cast(csat_answers as {{ dbt.type_bigint() }})) {{ running }} as csat_answers
    from combined
),

-- The running totals up to and including each day looked up.
to_date as (
    select * from running
    where is_lookup = 1
),

final as (
    select
        lookups.customer_id,
        lookups.snapshot_date,
        {{ on_day % (0, 'last_activity_date') }} as last_activity_date,
        {{ on_day % (0, 'activity_events') }} - {{ on_day % (30, 'activity_events') }} as activity_last_30d,
        {{ on_day % (30, 'activity_events') }} - {{ on_day % (60, 'activity_events') }} as activity_prev_30d,
        {{ on_day % (0, 'emails_sent') }} as emails_sent_to_date,
        {{ on_day % (0, 'last_email_engaged_at') }} as last_email_engaged_at,
        {{ on_day % (0, 'complaints_opened') }} - {{ on_day % (30, 'complaints_opened') }} as complaints_last_30d,
        {{ on_day % (30, 'complaints_opened') }} - {{ on_day % (60, 'complaints_opened') }} as complaints_prev_30d,
        {{ on_day % (0, 'old_unresolved_change') }} as old_unresolved_complaints,
        {{ on_day % (0, 'last_failed_charge_at') }} as last_failed_charge_at,
        {{ on_day % (0, 'last_succeeded_charge_at') }} as last_succeeded_charge_at,
        {{ round_money(on_day % (0, 'one_off_spend') ~ ' - ' ~ on_day % (90, 'one_off_spend')) }}
            as one_off_spend_last_90d,
        {{ round_money(on_day % (90, 'one_off_spend') ~ ' - ' ~ on_day % (180, 'one_off_spend')) }}
            as one_off_spend_prev_90d,
        {{ on_day % (0, 'surveys_sent') }} as surveys_sent_to_date,
        {{ on_day % (0, 'nps_answers') }} as nps_answers_to_date,
        {{ on_day % (0, 'csat_answers') }} as csat_answers_to_date
    from lookups
    inner join to_date
        on
            lookups.customer_id = to_date.customer_id
            and lookups.probe_day = to_date.period_end
    group by lookups.customer_id, lookups.snapshot_date
)

select * from final
