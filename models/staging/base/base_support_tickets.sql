-- Every raw support_tickets row, decided: staged, quarantined with a reason, or collapsed with its exact copies.
-- Incremental on DuckDB (see the staging docs, base_incremental): a daily run decides again only the raw rows
-- whose decision can have changed since the last run (the rows opened from the latest staged opened_at less the
-- lookback, every row of a key among those or among the quarantined rows held, every row without a key or of
-- an unstaged customer) and replaces the rows of their keys.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_keys',
    unique_key='ticket_id',
) }}
{%- set window_start = staged_window_first_day('opened_at') %}

with

source as (
    select * from {{ source('raw', 'support_tickets') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

{%- if window_start %}

{{ raw_rows_to_decide_again(
    'support_tickets', dated_in_window('opened_at', window_start),
    [unstaged_reference('customer_id', 'select customer_id from ' ~ ref('stg_customers'))],
) }}

{%- endif %}

collapsed as (
    {{ collapse_exact_duplicates('candidates' if window_start else 'source', 'support_tickets') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'support_tickets', source('raw', 'support_tickets')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            when opened_at is null or is_complaint is null then 'missing_value'
            when priority not in ('low', 'normal', 'high', 'urgent') then 'bad_enum'
            when resolved_at < opened_at then 'bad_period'
            when
                opened_at > {{ build_timestamp() }}
                or resolved_at > {{ build_timestamp() }}
                then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('support_tickets') }}
from checked
