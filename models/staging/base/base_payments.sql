-- Every raw payments row, decided: staged, quarantined with a reason, or collapsed with its exact copies.
-- Incremental on DuckDB with the contract's tables (see the staging docs, base_incremental): a daily run decides
-- again only the raw rows whose decision can have changed since the last run (the rows attempted from the latest staged
-- attempted_at less the lookback, every row of a key among those or among the quarantined rows held, every
-- row without a key, of an unstaged invoice or of a currency without rates) and replaces the rows of
-- their keys.
{{ config(
    materialized='incremental' if target.type == 'duckdb' and not reads_stripe() else 'table',
    incremental_strategy='replace_keys',
    unique_key='payment_id',
) }}
{%- set window_start = staged_window_first_day('attempted_at') %}

with

source as (
    {{ billing_rows('payments') }}
),

invoices as (
    select invoice_id from {{ ref('stg_invoices') }}
),

currencies as (
    select currency from {{ ref('iso_4217_currencies') }}
),

rated_currencies as (
    select distinct currency from {{ ref('stg_exchange_rates') }}
),

{%- if window_start %}

{{ raw_rows_to_decide_again(
    'payments', dated_in_window('attempted_at', window_start),
    [
        unstaged_reference('invoice_id', 'select invoice_id from ' ~ ref('stg_invoices')),
        unrated_currency('currency'),
    ],
) }}

{%- endif %}

collapsed as (
    {{ collapse_exact_duplicates('candidates' if window_start else 'source', 'payments') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'payments', billing_relation('payments')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            {{ source_rules('payments') }}
            when {{ money_out_of_range(['amount']) }} then 'out_of_range'
            when
                attempted_at is null or amount is null or currency is null
                or payment_type is null or status is null
                then 'missing_value'
            when payment_type not in ('charge', 'refund') or status not in ('succeeded', 'failed') then 'bad_enum'
            when currency not in (select currencies.currency from currencies) then 'unknown_currency'
            when
                currency != {{ sql_string_literal(var("reporting_currency")) }}
                and currency not in (select rated_currencies.currency from rated_currencies)
                then 'missing_rate'
            when payment_type = 'charge' and amount < 0 then 'negative_amount'
            when payment_type = 'refund' and amount > 0 then 'positive_refund'
            when attempted_at > {{ build_timestamp() }} then 'future_timestamp'
            when
                invoice_id is null
                or invoice_id not in (select invoices.invoice_id from invoices)
                then 'orphan_invoice'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('payments') }}
from checked
