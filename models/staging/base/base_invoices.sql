-- Every raw invoices row, decided: staged, quarantined with a reason, or collapsed with its exact copies.
-- Incremental on DuckDB with the contract's tables (see the staging docs, base_incremental): a daily run decides
-- again only the raw rows whose decision can have changed since the last run (the rows issued from the latest staged
-- issued_at less the lookback, every row of a key among those or among the quarantined rows held, every row
-- without a key, of an unstaged customer or subscription or of a currency without rates) and replaces the rows of
-- their keys.
{{ config(
    materialized='incremental' if target.type == 'duckdb' and not reads_stripe() else 'table',
    incremental_strategy='replace_keys',
    unique_key='invoice_id',
) }}
{%- set window_start = staged_window_first_day('issued_at') %}

with

source as (
    {{ billing_rows('invoices') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

subscriptions as (
    select subscription_id from {{ ref('stg_subscriptions') }}
),

currencies as (
    select currency from {{ ref('iso_4217_currencies') }}
),

rated_currencies as (
    select distinct currency from {{ ref('stg_exchange_rates') }}
),

{%- if window_start %}

{{ raw_rows_to_decide_again(
    'invoices', dated_in_window('issued_at', window_start),
    [
        unstaged_reference('customer_id', 'select customer_id from ' ~ ref('stg_customers')),
        unstaged_reference(
            'subscription_id', 'select subscription_id from ' ~ ref('stg_subscriptions'), null_counts=false
        ),
        unrated_currency('currency'),
    ],
) }}

{%- endif %}

collapsed as (
    {{ collapse_exact_duplicates('candidates' if window_start else 'source', 'invoices') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'invoices', billing_relation('invoices')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            {{ source_rules('invoices') }}
            when issued_at is null or currency is null or status is null then 'missing_value'
            when status not in ('paid', 'open', 'uncollectible', 'void') then 'bad_enum'
            when currency not in (select currencies.currency from currencies) then 'unknown_currency'
            when
                currency != {{ sql_string_literal(var("reporting_currency")) }}
                and currency not in (select rated_currencies.currency from rated_currencies)
                then 'missing_rate'
            when issued_at > {{ build_timestamp() }} then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
            when
                subscription_id not in (select subscriptions.subscription_id from subscriptions)
                then 'orphan_subscription'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('invoices') }}
from checked
