-- One row per calendar day: the time spine MetricFlow joins metrics to (models/semantic/_semantic__models.yml).
-- A fixed range wide enough for any as-of date the package reads; about 18,000 rows.
with

days as (
    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2051-01-01' as date)") }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
