-- The days D the health signals are taken on (docs/metrics.md, Silent churn and customer health): every complete
-- month end (history and backtest) and the as-of date (today's list).
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

month_ends as (
    select
        month_end as snapshot_date,
        month
    from {{ ref('int_months') }}
    where is_complete
),

snapshot_dates as (
    select
        snapshot_date,
        month,
        false as is_as_of_date
    from month_ends
    union all
    select
        as_of_date as snapshot_date,
        {{ month_of('as_of_date') }} as month,
        true as is_as_of_date
    from as_of
),

final as (
    select
        snapshot_date,
        month,
        is_as_of_date,
        {{ add_months(-3, 'snapshot_date') }} as three_months_before
    from snapshot_dates
)

select * from final
