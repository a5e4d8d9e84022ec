-- Per customer active on a snapshot day D: the activity figures and the eight signals of docs/metrics.md (Silent churn
-- and customer health), each a boolean, with the thresholds of the dbt vars. Nothing dated after D is read.
-- Incremental on DuckDB, as int_customer_health_windows: a run replaces the snapshot days on or after (the
-- latest snapshot day held - incremental_lookback_days). Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

active as (
    select * from {{ ref('int_customer_mrr_on_snapshot_dates') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

windows as (
    select * from {{ ref('int_customer_health_windows') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

-- A second import of the windows, for the surveys: DuckDB copies a CTE that a query reads twice (11 M
-- customer-snapshots at 1,000,000 customers).
survey_windows as (
    select
        customer_id,
        snapshot_date,
        surveys_sent_to_date
    from {{ ref('int_customer_health_windows') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

customers as (
    select
        customer_id,
        cast(created_at as date) as created_date
    from {{ ref('stg_customers') }}
),

-- E-mails sent, numbered per customer in time order: the k-th most recent on D is number (sent by D) - k + 1.
emails_sent as (
    select
        customer_id,
        send_number,
        sent_at
    from {{ ref('int_customer_email_sends') }}
    where send_number is not null
),

surveys as (
    select
        customer_id,
        responded_at,
        row_number() over (partition by customer_id order by sent_at, response_id) as survey_number
    from {{ ref('stg_survey_responses') }}
),

-- NPS and CSAT answers (nps_answers, csat_answers), each numbered per customer in time order.
{%- for survey_type in ['nps', 'csat'] %}

    {{ survey_type }}_answers as (
        select
            customer_id,
            score,
            row_number() over (partition by customer_id order by responded_at, response_id) as answer_number
        from {{ ref('stg_survey_responses') }}
        where responded_at is not null and survey_type = '{{ survey_type }}'
    ),
{%- endfor %}

-- The most recent surveys sent by D (as many as survey_silence_surveys), with how many were answered by D.
recent_surveys as (
    select
        survey_windows.customer_id,
        survey_windows.snapshot_date,
        sum(
            case when cast(surveys.responded_at as date) <= survey_windows.snapshot_date then 1 else 0 end
        ) as answered_by_snapshot
    from survey_windows
    inner join surveys
        on
            survey_windows.customer_id = surveys.customer_id
            and survey_windows.surveys_sent_to_date - {{ var('survey_silence_surveys') }} < surveys.survey_number
            and survey_windows.surveys_sent_to_date >= surveys.survey_number
    group by survey_windows.customer_id, survey_windows.snapshot_date
),

measured as (
    select
        active.customer_id,
        active.snapshot_date,
        active.mrr,
        active.three_months_before_mrr,
        active.interval_months,
        {{ dbt.datediff(
            'coalesce(windows.last_activity_date, customers.created_date)', 'active.snapshot_date', 'day'
        ) }} as days_since_last_activity,
        coalesce(windows.activity_last_30d, 0) as activity_last_30d,
        coalesce(windows.activity_prev_30d, 0) as activity_prev_30d,
        coalesce(windows.emails_sent_to_date, 0) as emails_sent_to_date,
        windows.last_email_engaged_at,
        nth_email.sent_at as nth_last_email_sent_at,
        coalesce(windows.complaints_last_30d, 0) as complaints_last_30d,
        coalesce(windows.complaints_prev_30d, 0) as complaints_prev_30d,
        coalesce(windows.old_unresolved_complaints, 0) as old_unresolved_complaints,
        windows.last_failed_charge_at,
        windows.last_succeeded_charge_at,
        coalesce(windows.one_off_spend_last_90d, 0) as one_off_spend_last_90d,
        coalesce(windows.one_off_spend_prev_90d, 0) as one_off_spend_prev_90d,
        coalesce(windows.surveys_sent_to_date, 0) as surveys_sent_to_date,
        coalesce(recent_surveys.answered_by_snapshot, 0) as recent_surveys_answered,
        latest_nps.score as latest_nps_score,
        latest_csat.score as latest_csat_score
    from active
    inner join customers on active.customer_id = customers.customer_id
    left join windows
        on
            active.customer_id = windows.customer_id
            and active.snapshot_date = windows.snapshot_date
    left join emails_sent as nth_email
        on
            windows.customer_id = nth_email.customer_id
            and nth_email.send_number
            = cast(windows.emails_sent_to_date - {{ var('email_disengaged_emails') }} + 1 as {{ dbt.type_bigint() }})
    left join recent_surveys
        on
            active.customer_id = recent_surveys.customer_id
            and active.snapshot_date = recent_surveys.snapshot_date
    {%- for survey_type in ['nps', 'csat'] %}
        left join {{ survey_type }}_answers as latest_{{ survey_type }}
            on
                windows.customer_id = latest_{{ survey_type }}.customer_id
                and cast(windows.{{ survey_type }}_answers_to_date as {{ dbt.type_bigint() }})
                = latest_{{ survey_type }}.answer_number
    {%- endfor %}
),

signals as (
    select
        *,
        days_since_last_activity >= {{ var('inactive_days') }} as inactive,
        (
            activity_prev_30d >= {{ var('usage_drop_min_events') }}
            and 100 * activity_last_30d <= (100 - {{ var('usage_drop_pct') }}) * activity_prev_30d
        ) as usage_drop,
        (
            mrr < three_months_before_mrr
            or (
                one_off_spend_prev_90d > 0
                and one_off_spend_last_90d < {{ var('spend_decline_one_off_ratio') }} * one_off_spend_prev_90d
            )
        ) as spend_decline,
        (
            surveys_sent_to_date >= {{ var('survey_silence_surveys') }}
            and recent_surveys_answered = 0
        ) as survey_silence,
        (
            coalesce(latest_nps_score <= {{ var('detractor_max_nps') }}, false)
            or coalesce(latest_csat_score <= {{ var('detractor_max_csat') }}, false)
        ) as detractor,
        (
            (
                complaints_last_30d >= {{ var('complaints_rising_min_complaints') }}
                and complaints_last_30d > complaints_prev_30d
            )
            or old_unresolved_complaints > 0
        ) as complaints_rising,
        (
            coalesce(
                cast(last_failed_charge_at as date)
                > cast({{ dbt.dateadd('day', -1 * var('payment_failing_days'), 'snapshot_date') }} as date),
                false
            )
            and coalesce(last_succeeded_charge_at <= last_failed_charge_at, true)
        ) as payment_failing,
        (
            emails_sent_to_date >= {{ var('email_disengaged_emails') }}
            and coalesce(last_email_engaged_at < nth_last_email_sent_at, true)
        ) as email_disengaged
    from measured
),

final as (
    select
        customer_id,
        snapshot_date,
        mrr,
        three_months_before_mrr,
        interval_months,
        days_since_last_activity,
        activity_last_30d,
        activity_prev_30d,
        {{ safe_divide('activity_last_30d', 'activity_prev_30d') }} - 1 as activity_change_pct,
        emails_sent_to_date,
        surveys_sent_to_date,
        complaints_last_30d,
        complaints_prev_30d,
        one_off_spend_last_90d,
        one_off_spend_prev_90d,
        latest_nps_score,
        latest_csat_score,
        inactive,
        usage_drop,
        spend_decline,
        survey_silence,
        detractor,
        complaints_rising,
        payment_failing,
        email_disengaged
    from signals
)

select * from final
