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

collapsed as (
    {{ collapse_exact_duplicates('source', 'payments') }}
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
