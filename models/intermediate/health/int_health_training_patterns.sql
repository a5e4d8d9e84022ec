-- What the logistic risk model is fitted on, and nothing more: the customer-month ends with a known outcome,
-- grouped into distinct patterns (the eight signals, the two activity counts, churned and the day the outcome
-- became known) with how many customer-month ends share each. Far fewer rows and columns than the signals.
{%- set pattern_columns = [
    'outcome_known_on', 'churned', 'inactive', 'usage_drop', 'spend_decline', 'survey_silence', 'detractor',
    'complaints_rising', 'payment_failing', 'email_disengaged', 'activity_last_30d', 'activity_prev_30d'] %}

with

signals as (
    select * from {{ ref('int_customer_health_signals') }}
),

outcomes as (
    select * from {{ ref('int_customer_health_outcomes') }}
),

training_rows as (
    select
        outcomes.outcome_known_on,
        outcomes.churned,
        signals.inactive,
        signals.usage_drop,
        signals.spend_decline,
        signals.survey_silence,
        signals.detractor,
        signals.complaints_rising,
        signals.payment_failing,
        signals.email_disengaged,
        cast(signals.activity_last_30d as {{ dbt.type_bigint() }}) as activity_last_30d,
        cast(signals.activity_prev_30d as {{ dbt.type_bigint() }}) as activity_prev_30d
    from signals
    inner join outcomes
        on
            signals.customer_id = outcomes.customer_id
            and signals.snapshot_date = outcomes.snapshot_date
),

final as (
    select
        {{ column_list(pattern_columns) }},
        count(*) as customer_snapshots
    from training_rows
    group by
        {{ column_list(pattern_columns) }}
)

select * from final
