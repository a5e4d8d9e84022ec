-- Per customer and UTC date up to the as-of date, what the signals count besides product events: complaints
-- opened, the change in old unresolved complaints, the last failed and succeeded charge, one-off spend, surveys
-- sent and NPS and CSAT answers.
-- Incremental on DuckDB: a run replaces the dates on or after (the latest date held - incremental_lookback_days),
-- each summed from every input row, so a complaint opened earlier that turns old or is resolved then is counted.
-- Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'activity_date'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

complaints as (
    select
        customer_id,
        cast(opened_at as date) as opened_date,
        cast(resolved_at as date) as resolved_date
    from {{ ref('stg_support_tickets') }}
    where is_complaint
),

-- A complaint is old and unresolved on D when opened_date + (complaint_unresolved_days + 1) <= D < resolved_date
-- (or it has no resolved_at): +1 on the first such day, -1 on the resolved date, nothing when that span is empty.
old_from as (
    select
        customer_id,
        resolved_date,
        cast({{ dbt.dateadd('day', var('complaint_unresolved_days') + 1, 'opened_date') }} as date) as old_from_date
    from complaints
),

old_complaint_changes as (
    select
        customer_id,
        old_from_date as activity_date,
        1 as old_unresolved_change
    from old_from
    where resolved_date is null or resolved_date > old_from_date
    union all
    select
        customer_id,
        resolved_date as activity_date,
        -1 as old_unresolved_change
    from old_from
    where resolved_date > old_from_date
),

complaint_days as (
    select
        customer_id,
        opened_date as activity_date,
        count(*) as complaints_opened,
        0 as old_unresolved_change
    from complaints
    group by customer_id, opened_date
    union all
    select
        customer_id,
        activity_date,
        0 as complaints_opened,
        sum(old_unresolved_change) as old_unresolved_change
    from old_complaint_changes
    group by customer_id, activity_date
),

charges as (
    select
        invoices.customer_id,
        payments.attempted_at,
        payments.status
    from {{ ref('stg_payments') }} as payments
    inner join {{ ref('stg_invoices') }} as invoices on payments.invoice_id = invoices.invoice_id
    where payments.payment_type = 'charge'
),

charge_days as (
    select
        customer_id,
        cast(attempted_at as date) as activity_date,
        max(case when status = 'failed' then attempted_at end) as last_failed_charge_at,
        max(case when status = 'succeeded' then attempted_at end) as last_succeeded_charge_at
    from charges
    group by customer_id, cast(attempted_at as date)
),

one_off_days as (
    select
        customer_id,
        purchase_date as activity_date,
        {{ round_money('sum(amount)') }} as one_off_spend
    from {{ ref('int_one_off_lines_converted') }}
    group by customer_id, purchase_date
),

-- Two imports of the survey responses, each read once: DuckDB copies a CTE read twice (10 M rows at 1,000,000
-- customers).
surveys as (
    select
        customer_id,
        cast(sent_at as date) as sent_date
    from {{ ref('stg_survey_responses') }}
),

answers as (
    select
        customer_id,
        survey_type,
        cast(responded_at as date) as responded_date
    from {{ ref('stg_survey_responses') }}
    where responded_at is not null
),

survey_days as (
    select
        customer_id,
        sent_date as activity_date,
        count(*) as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from surveys
    group by customer_id, sent_date
    union all
    select
        customer_id,
        responded_date as activity_date,
        0 as surveys_sent,
        sum(case when survey_type = 'nps' then 1 else 0 end) as nps_answers,
        sum(case when survey_type = 'csat' then 1 else 0 end) as csat_answers
    from answers
    group by customer_id, responded_date
),

-- One shape for every source: the columns a source does not have are 0 or null.
combined as (
    select
        customer_id,
        activity_date,
        complaints_opened,
        old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        0 as one_off_spend,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from complaint_days
    union all
    select
        customer_id,
        activity_date,
        0 as complaints_opened,
        0 as old_unresolved_change,
        last_failed_charge_at,
        last_succeeded_charge_at,
        0 as one_off_spend,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from charge_days
    union all
    select
        customer_id,
        activity_date,
        0 as complaints_opened,
        0 as old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        one_off_spend,
        0 as surveys_sent,
        0 as nps_answers,
        0 as csat_answers
    from one_off_days
    union all
    select
        customer_id,
        activity_date,
        0 as complaints_opened,
        0 as old_unresolved_change,
        cast(null as timestamp) as last_failed_charge_at,
        cast(null as timestamp) as last_succeeded_charge_at,
        0 as one_off_spend,
        surveys_sent,
        nps_answers,
        csat_answers
    from survey_days
),

final as (
    select
        customer_id,
        activity_date,
        sum(complaints_opened) as complaints_opened,
        sum(old_unresolved_change) as old_unresolved_change,
        max(last_failed_charge_at) as last_failed_charge_at,
        max(last_succeeded_charge_at) as last_succeeded_charge_at,
        {{ round_money("sum(one_off_spend)") }} as one_off_spend,
        sum(surveys_sent) as surveys_sent,
        sum(nps_answers) as nps_answers,
        sum(csat_answers) as csat_answers
    from combined
    where activity_date <= (select as_of.as_of_date from as_of)
    {{ incremental_window_filter('activity_date', window_start, 'and') }}
    group by customer_id, activity_date
)

select * from final
