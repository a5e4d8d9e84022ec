-- One row: the latest UTC date, not after the day the build started, of a raw event that breaks none of the
-- row rules (key present, occurred_at casts, event_name present, not in the future, a staged customer). One scan
-- of four columns, without waiting for base_events: whether a key is repeated is not checked (see
-- DECISIONLOG.md, The as-of date does not wait for the events).
-- On a copy of the published file (a daily run) the scan starts at the first day int_customer_events_daily will
-- re-read: the latest day it holds was staged by the last run, so the latest date cannot lie before it, and the
-- Parquet reader skips what is older. An empty file or --full-refresh scans every event.
{%- set since = earliest_window_first_day(['int_customer_events_daily']) %}

with

source as (
    select * from {{ source('raw', 'events') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

typed as (
    {{ typed_raw_rows('source', 'events', source('raw', 'events'), with_checks=false) }}
),

latest as (
    select max(cast(typed.occurred_at as date)) as latest_event_date
    from typed
    inner join customers on typed.customer_id = customers.customer_id
    where
        typed.event_id is not null
        and typed.event_name is not null
        and typed.occurred_at <= {{ build_timestamp() }}
    {{ incremental_window_filter('typed.occurred_at', since, 'and', 'timestamp') }}
)

select * from latest
