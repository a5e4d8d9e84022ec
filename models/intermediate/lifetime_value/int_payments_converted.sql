-- Succeeded payments attempted by the as-of date, each in the reporting currency at the rate of its own date
-- (docs/metrics.md, Customer lifetime value: revenue to date). Refunds are negative amounts.
-- Incremental on DuckDB by paid_date: a run replaces the days on or after (the latest day held -
-- incremental_lookback_days), as the events' daily aggregate does. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='replace_window',
    meta={'window_column': 'paid_date'},
    post_hook="{{ assert_exchange_rates_fresh(this, 'paid_date') }}",
) }}
{%- set window_start = incremental_window_first_day() %}

with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

payments as (
    select
        payment_id,
        invoice_id,
        currency,
        amount,
        cast(attempted_at as date) as paid_date
    from {{ ref('stg_payments') }}
    where
        status = 'succeeded'
        and cast(attempted_at as date) <= (select as_of.as_of_date from as_of)
    {{ incremental_window_filter('cast(attempted_at as date)', window_start, 'and') }}
),

invoices as (
    select
        invoice_id,
        customer_id
    from {{ ref('stg_invoices') }}
),

rates as (
    select * from {{ ref('int_exchange_rates_daily') }}
),

rated as (
    select
        payments.payment_id,
        invoices.customer_id,
        payments.currency,
        payments.paid_date,
        payments.amount as local_amount,
        {{ rate_to_reporting_columns('payments.currency', 'payments.paid_date') }}
    from payments
    inner join invoices on payments.invoice_id = invoices.invoice_id
    left join rates
        on
            payments.currency = rates.currency
            and payments.paid_date = rates.rate_day
),

final as (
    select
        *,
        {{ convert_money('local_amount', 'rate_to_reporting') }} as amount
    from rated
)

select * from final
