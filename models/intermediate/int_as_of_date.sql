-- One row: the as-of date of this build: the dbt var `as_of_date`, or else the latest event or invoice date not
-- after today (UTC). The events' date comes from one cheap scan of the raw events (stg_latest_event_date), so
-- this model and the billing marts do not wait for the events models.
with

events as (
    select latest_event_date as activity_date from {{ ref('stg_latest_event_date') }}
),

invoices as (
    select cast(issued_at as date) as activity_date from {{ ref('stg_invoices') }}
),

dated as (
    select activity_date from events
    union all
    select activity_date from invoices
),

latest as (
    select max(activity_date) as latest_date
    from dated
    where activity_date <= cast({{ build_timestamp() }} as date)
),

final as (
    select
        {% if var('as_of_date') -%}
            cast({{ sql_string_literal(var("as_of_date")) }} as date)
        {%- else %}latest_date{% endif %} as as_of_date,
        {{ build_timestamp() }} as built_at
    from latest
)

select * from final
