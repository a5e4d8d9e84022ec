-- Every raw invoice_lines row, decided: staged, quarantined with a reason, or collapsed with its exact copies.
-- Incremental on DuckDB with the contract's tables (see the staging docs, base_incremental): a daily run decides
-- again only the raw rows whose decision can have changed since the last run (the lines of invoices issued from the
-- latest issued_at of the staged lines' invoices less the lookback, every row of a key among those or among
-- the quarantined rows held, every row without a key or of an unstaged invoice) and replaces the rows of
-- their keys.
{{ config(
    materialized='incremental' if target.type == 'duckdb' and not reads_stripe() else 'table',
    incremental_strategy='replace_keys',
    unique_key='line_id',
) }}
{%- set window_start = staged_window_first_day('issued_at', 'select invoices.issued_at from ' ~ this ~ ' as lines'
    ~ ' inner join ' ~ ref('base_invoices') ~ ' as invoices on lines.invoice_id = invoices.invoice_id'
    ~ ' where lines.quarantine_reason is null and invoices.quarantine_reason is null') %}

with

source as (
    {{ billing_rows('invoice_lines') }}
),

invoices as (
    select invoice_id from {{ ref('stg_invoices') }}
),

-- Lines of an invoice quarantined for its currency carry that reason rather than `orphan_invoice`.
invoices_with_bad_currency as (
    select
        invoice_id,
        min(quarantine_reason) as quarantine_reason
    from {{ ref('base_invoices') }}
    where quarantine_reason in ('unknown_currency', 'missing_rate')
    group by invoice_id
),

{%- if window_start %}

{{ raw_rows_to_decide_again(
    'invoice_lines',
    'invoice_id in (select window_invoices.invoice_id from ' ~ ref('base_invoices') ~ ' as window_invoices where '
    ~ dated_in_window('window_invoices.issued_at', window_start) ~ ')',
    [unstaged_reference('invoice_id', 'select invoice_id from ' ~ ref('stg_invoices'))],
) }}

{%- endif %}

collapsed as (
    {{ collapse_exact_duplicates('candidates' if window_start else 'source', 'invoice_lines') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'invoice_lines', billing_relation('invoice_lines')) }}
),

checked as (
    select
        typed.*,
        case
            {{ key_and_type_rules() }}
            {{ source_rules('invoice_lines') }}
            when {{ money_out_of_range(['typed.amount']) }} then 'out_of_range'
            when typed.line_type is null or typed.amount is null then 'missing_value'
            when typed.line_type not in ('subscription', 'proration', 'one_time') then 'bad_enum'
            when
                typed.line_type = 'subscription'
                and (typed.interval_months is null or typed.interval_months not in (1, 3, 6, 12))
                then 'bad_enum'
            when invoices_with_bad_currency.quarantine_reason is not null
                then invoices_with_bad_currency.quarantine_reason
            when typed.line_type in ('subscription', 'one_time') and typed.amount < 0 then 'negative_amount'
            when
                typed.line_type in ('subscription', 'proration')
                and (
                    typed.period_start is null
                    or typed.period_end is null
                    or typed.period_end <= typed.period_start
                )
                then 'bad_period'
            when
                typed.invoice_id is null
                or typed.invoice_id not in (select invoices.invoice_id from invoices)
                then 'orphan_invoice'
        end as quarantine_reason
    from typed
    left join invoices_with_bad_currency
        on typed.invoice_id = invoices_with_bad_currency.invoice_id
)

select {{ checked_raw_columns('invoice_lines') }}
from checked
