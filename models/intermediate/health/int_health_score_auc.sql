-- Per backtest month end D and score (risk_score, weighted_score, logistic_score): the ROC AUC of the score among
-- the customers active on D against whether they churned, tied scores counting one half (Mann-Whitney): the sum
-- over churners of (non-churners scoring lower + half those scoring the same) / (churners x non-churners).
-- Incremental on DuckDB by snapshot day, as int_customer_health_outcomes: a month end's AUC reads only its own
-- outcomes and scores, and those of the month ends before the window are kept.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'snapshot_date'},
) }}
{%- set window_start = incremental_window_first_day() %}

with

scores as (
    select * from {{ ref('int_customer_health_scores') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

outcomes as (
    select * from {{ ref('int_customer_health_outcomes') }}
    {{ incremental_window_filter('snapshot_date', window_start) }}
),

scored as (
    select
        outcomes.snapshot_date,
        outcomes.churned,
        scores.risk_score,
        scores.weighted_score,
        scores.logistic_score
    from outcomes
    inner join scores
        on
            outcomes.customer_id = scores.customer_id
            and outcomes.snapshot_date = scores.snapshot_date
),

-- A score counts for a day only when every customer of that day has it (the logistic score needs a fit).
long_scores as (
    select
        snapshot_date,
        'risk_score' as score_name,
        risk_score as score,
        churned
    from scored
    union all
    select
        snapshot_date,
        'weighted_score' as score_name,
        weighted_score as score,
        churned
    from scored
    union all
    select
        snapshot_date,
        'logistic_score' as score_name,
        logistic_score as score,
        churned
    from scored
    where snapshot_date in (
        select with_fit.snapshot_date from scored as with_fit
        group by with_fit.snapshot_date
        having count(*) = count(with_fit.logistic_score)
    )
),

score_values as (
    select
        snapshot_date,
        score_name,
        score,
        sum(case when churned then 1 else 0 end) as churners,
        sum(case when churned then 0 else 1 end) as non_churners
    from long_scores
    group by snapshot_date, score_name, score
),

ranked as (
    select
        *,
        coalesce(
            sum(non_churners) over (
                partition by snapshot_date, score_name
                order by score
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as non_churners_below
    from score_values
),

final as (
    select
        snapshot_date,
        score_name,
        sum(churners) as churners,
        sum(non_churners) as non_churners,
        {{ safe_divide(
            'sum(churners * (non_churners_below + 0.5 * non_churners))',
            'sum(churners) * sum(non_churners)'
        ) }} as roc_auc
    from ranked
    group by snapshot_date, score_name
)

select * from final
