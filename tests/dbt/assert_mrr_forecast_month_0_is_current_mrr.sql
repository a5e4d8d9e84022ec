-- docs/metrics.md, Outlook: month 0 of the forecast and of committed MRR is the MRR of the last complete month, and
-- the forecast is made of its existing and new-business parts.
with

forecast as (
    select * from {{ ref('mrr_forecast') }}
),

committed as (
    select * from {{ ref('committed_mrr_monthly') }}
),

actual as (
    select * from {{ ref('mrr_monthly') }}
)

select
    forecast.months_ahead,
    forecast.forecast_mrr,
    committed.committed_mrr,
    actual.mrr
from forecast
left join committed on forecast.months_ahead = committed.months_ahead
left join actual on forecast.as_of_month = actual.month
where
    abs(forecast.forecast_mrr - forecast.existing_mrr - forecast.new_business_mrr) > 0.00001
    or (
        forecast.months_ahead = 0
        and (
            actual.mrr is null
            or abs(forecast.forecast_mrr - actual.mrr) > 0.0001
            or abs(committed.committed_mrr - actual.mrr) > 0.0001
            or forecast.new_business_mrr != 0
        )
    )
