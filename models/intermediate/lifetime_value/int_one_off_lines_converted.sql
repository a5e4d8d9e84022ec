-- One-off purchase lines (`one_time`, amount above 0) of non-void invoices issued by the as-of date, each in the
-- reporting currency at the rate of its invoice's issued_at date (docs/metrics.md, Conventions).
-- Incremental on DuckDB by purchase_date, as int_payments_converted. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'purchase_date'},
    post_hook="{{ assert_exchange_rates_fresh(this, 'purchase_date') }}",
) }}
{%- set window_start = incremental_window_first_day() %}

with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

invoices as (
    select
        invoice_id,
        customer_id,
        currency,
        cast(issued_at as date) as purchase_date
    from {{ ref('stg_invoices') }}
    where
        status != 'void'
        and cast(issued_at as date) <= (select as_of.as_of_date from as_of)
    {{ incremental_window_filter('cast(issued_at as date)', window_start, 'and') }}
),

lines as (
    select
        line_id,
        invoice_id,
        amount
    from {{ ref('stg_invoice_lines') }}
    where
        line_type = 'one_time'
        and amount > 0
),

rates as (
    select * from {{ ref('int_exchange_rates_daily') }}
),

rated as (
    select
        lines.line_id,
        invoices.invoice_id,
        invoices.customer_id,
        invoices.currency,
        invoices.purchase_date,
        lines.amount as local_amount,
        {{ rate_to_reporting_columns('invoices.currency', 'invoices.purchase_date') }}
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    left join rates
        on
            invoices.currency = rates.currency
            and invoices.purchase_date = rates.rate_day
),

final as (
    select
        *,
        {{ convert_money('local_amount', 'rate_to_reporting') }} as amount
    from rated
)

select * from final
