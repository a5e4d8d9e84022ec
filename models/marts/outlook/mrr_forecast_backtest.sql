-- How wrong past forecasts were (docs/metrics.md, Outlook): each method run as of every month end with 12
-- months of history, against the MRR 1, 3, 6 and 12 months later.
with

runs as (
    select * from {{ ref('int_mrr_forecast_runs') }}
    where
        not is_latest
        and months_ahead in (1, 3, 6, 12)
        and actual_mrr > 0
),

errors as (
    select
        method,
        months_ahead,
        as_of_month,
        (forecast_mrr - actual_mrr) / actual_mrr as relative_error,
        case
            when low_mrr is null then null
            when actual_mrr between low_mrr and high_mrr then 1.0
            else 0.0
        end as is_inside_band
    from runs
),

final as (
    select
        method,
        cast(months_ahead as {{ dbt.type_bigint() }}) as months_ahead,
        cast(count(*) as {{ dbt.type_bigint() }}) as forecasts,
        min(as_of_month) as first_as_of_month,
        max(as_of_month) as last_as_of_month,
        cast(avg(abs(relative_error)) as {{ type_rate() }}) as mape,
        cast(avg(relative_error) as {{ type_rate() }}) as bias,
        avg(cast(is_inside_band as {{ type_rate() }})) as band_coverage
    from errors
    group by method, months_ahead
)

select * from final
