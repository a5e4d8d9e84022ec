-- Per customer active on a snapshot day D: the signals that fire (as text, in a fixed order), the transparent
-- weighted score, the logistic score fitted on outcomes known by D, the risk score in use and its tier.
-- Incremental on DuckDB, as int_customer_health_windows: a run replaces the snapshot days on or after (the
-- latest snapshot day held - incremental_lookback_days). Server targets rebuild it in full.
{%- set signal_names = [
    'inactive', 'usage_drop', 'spend_decline', 'survey_silence',
    'detractor', 'complaints_rising', 'payment_failing', 'email_disengaged'] %}
{%- set weights = var('health_signal_weights') %}
{%- set signal_columns, weighted_terms, logistic_terms, named_signals, coefficients = [], [], [], [], [] %}
{%- for name in signal_names %}
    {%- do signal_columns.append('signals.' ~ name) %}
    {%- do weighted_terms.append('case when signals.' ~ name ~ ' then ' ~ weights[name] ~ ' else 0 end') %}
    {%- do logistic_terms.append('case when signals.' ~ name ~ ' then fits.' ~ name ~ ' else 0 end') %}
    {%- do named_signals.append("case when signals." ~ name ~ " then ', " ~ name ~ "' else '' end") %}
    {%- do coefficients.append("max(case when term = '" ~ name ~ "' then coefficient end) as " ~ name) %}
{%- endfor %}
{%- set total_weight = weights.values() | sum %}
{%- if var('health_risk_model') not in ['logistic', 'weighted'] %}
    {{ exceptions.raise_compiler_error(
        "dbt var health_risk_model must be 'logistic' or 'weighted', got '" ~ var('health_risk_model') ~ "'") }}
{%- endif %}
{%- if signal_names | reject('in', weights) | list or total_weight <= 0 %}
    {{ exceptions.raise_compiler_error(
        "dbt var health_signal_weights needs a weight (>= 0, not all 0) for each of " ~ signal_names | join(', ')) }}
{%- endif %}

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

signals as (
    select * from {{ ref('int_customer_health_signals') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

-- One row per snapshot day with a fit: its coefficients side by side.
fits as (
    select
        cast(snapshot_date as date) as snapshot_date,
        max(case when term = 'intercept' then coefficient end) as intercept,
        {{ column_list(coefficients) }},
        coalesce(max(case when term = 'log_activity_last_30d' then coefficient end), 0) as log_activity_last_30d,
        coalesce(max(case when term = 'log_activity_prev_30d' then coefficient end), 0) as log_activity_prev_30d
    from {{ ref('int_health_logistic_fits') }}
    group by cast(snapshot_date as date)
),

-- The weighted score is the firing weights over all weights; the logistic score's linear part is null without a fit.
scored as (
    select
        signals.customer_id,
        signals.snapshot_date,
        signals.mrr,
        signals.interval_months,
        signals.days_since_last_activity,
        signals.activity_last_30d,
        signals.activity_prev_30d,
        signals.activity_change_pct,
        {{ column_list(signal_columns) }},
        {{ dbt.concat(named_signals) }} as signal_list,
        cast({{ weighted_terms | join(' + ') }} as {{ type_rate() }}) / {{ total_weight }} as weighted_score,
        fits.intercept
        + {{ logistic_terms | join('\n        + ') }}
        + fits.log_activity_last_30d * ln(1 + signals.activity_last_30d)
        + fits.log_activity_prev_30d * ln(1 + signals.activity_prev_30d) as logistic_linear
    from signals
    left join fits on signals.snapshot_date = fits.snapshot_date
),

chosen as (
    select
        *,
        case when signal_list = '' then '' else substr(signal_list, 3) end as signals,
        cast(1 / (1 + exp(-logistic_linear)) as {{ type_rate() }}) as logistic_score,
        {% if var('health_risk_model') == 'logistic' -%}
            case when logistic_linear is not null then 'logistic' else 'weighted' end
        {%- else -%}
            'weighted'
        {%- endif %} as risk_model
    from scored
),

risk as (
    select
        *,
        case when risk_model = 'logistic' then logistic_score else weighted_score end as risk_score
    from chosen
),

final as (
    select
        *,
        case
            when risk_score >= {{ var('health_tier_high_min_score') }} then 'high'
            when risk_score >= {{ var('health_tier_medium_min_score') }} then 'medium'
            else 'low'
        end as risk_tier
    from risk
)

select * from final
