-- Only the events that need a decision: every distinct raw row whose key is null or repeated (exact copies
-- collapsed, `raw_copies` counts them) and every single row that breaks a quarantine rule. A well-formed event
-- seen once is not copied here: stg_events reads it straight from the raw table.
-- Incremental on DuckDB (see the staging docs, events_incremental): a daily run decides again only the raw rows
-- whose decision can have changed since the last run: the rows dated from the first day the event models
-- re-read (or undated), every row of a key they hold or of a key held here, and every row of an unstaged
-- customer. It replaces the table with the result, which is a full build's when the new rows are on time.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_all',
) }}
{%- set window_start = none %}
{%- if is_incremental() %}
    {%- set window_start = earliest_window_first_day(['int_customer_events_daily', 'int_customer_email_sends']) %}
{%- endif %}

with

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

{%- if window_start %}

{{ raw_rows_to_decide_again(
    'events', dated_in_window('occurred_at', window_start),
    [unstaged_reference('customer_id', 'select customer_id from ' ~ ref('stg_customers'))],
    every_key_held=true,
) }}

{%- endif %}

collapsed as (
    {{ collapse_exact_duplicates('candidates' if window_start else source('raw', 'events'), 'events') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'events', source('raw', 'events')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            when event_name is null or occurred_at is null then 'missing_value'
            when occurred_at > {{ build_timestamp() }} then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
),

needing_a_decision as (
    select * from checked
    where quarantine_reason is not null or raw_copies > 1
)

select {{ checked_raw_columns('events') }}
from needing_a_decision
