-- Every raw survey_responses row, decided: staged, quarantined with a reason, or collapsed with its exact copies.
-- Incremental on DuckDB (see the staging docs, base_incremental): a daily run decides again only the raw rows
-- whose decision can have changed since the last run (the rows sent from the latest staged sent_at less the
-- lookback, every row of a key among those or among the quarantined rows held, every row without a key or of
-- an unstaged customer) and replaces the rows of their keys.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_keys',
    unique_key='response_id',
) }}
{%- set window_start = staged_window_first_day('sent_at') %}

with

source as (
    select * from {{ source('raw', 'survey_responses') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

{%- if window_start %}

{{ raw_rows_to_decide_again(
    'survey_responses', dated_in_window('sent_at', window_start),
    [unstaged_reference('customer_id', 'select customer_id from ' ~ ref('stg_customers'))],
) }}

{%- endif %}

collapsed as (
    {{ collapse_exact_duplicates('candidates' if window_start else 'source', 'survey_responses') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'survey_responses', source('raw', 'survey_responses')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            when survey_type is null or sent_at is null then 'missing_value'
            when survey_type not in ('nps', 'csat') then 'bad_enum'
            when
                (score is null) != (responded_at is null)
                or (survey_type = 'nps' and score not between 0 and 10)
                or (survey_type = 'csat' and score not between 1 and 5)
                then 'bad_score'
            when responded_at < sent_at then 'bad_period'
            when
                sent_at > {{ build_timestamp() }}
                or responded_at > {{ build_timestamp() }}
                then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('survey_responses') }}
from checked
