-- The days the windows of the health signals end or begin after: for each snapshot day D, D itself and D - 30,
-- D - 60 (30-day windows of activity and complaints), D - 90 and D - 180 (90-day windows of one-off spend), the
-- offsets of macros/health_probe_offsets.sql.
with

snapshot_dates as (
    select snapshot_date from {{ ref('int_health_snapshot_dates') }}
),

offsets as (
    {%- for days_before in health_probe_offsets() %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select {{ days_before }} as days_before
    {%- endfor %}
),

final as (
    select
        snapshot_dates.snapshot_date,
        offsets.days_before,
        cast({{ dbt.dateadd('day', '-1 * offsets.days_before', 'snapshot_dates.snapshot_date') }} as date)
            as probe_day
    from snapshot_dates
    cross join offsets
)

select * from final
