-- Subscription lines that count as MRR, each with the day it stops being in force (docs/metrics.md, MRR).
-- Incremental on DuckDB by subscription: a run works out again every line of each subscription (subscription_key)
-- with a line of an invoice issued on or after (the latest issued_date held - incremental_lookback_days), and
-- replaces that subscription's rows (delete+insert); a line's in_force_until reads only its own subscription's
-- lines. Server targets rebuild it in full.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key='subscription_key',
    meta={'window_column': 'issued_date'},
) }}
{%- set window_start = incremental_window_first_day() %}
{#- A line belongs to its invoice's subscription; lines of an invoice without one stand on their own. #}
{%- set subscription_key = 'coalesce(subscription_id, ' ~ dbt.concat(["'invoice:'", "invoice_id"]) ~ ')' %}

with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

invoices as (
    select
        invoice_id,
        customer_id,
        subscription_id,
        currency,
        cast(issued_at as date) as issued_date,
        {{ subscription_key }} as subscription_key
    from {{ ref('stg_invoices') }}
    where
        status != 'void'
        and cast(issued_at as date) <= (select as_of.as_of_date from as_of)
),

lines as (
    select
        line_id,
        invoice_id,
        plan_id,
        amount,
        period_start,
        period_end,
        interval_months
    from {{ ref('stg_invoice_lines') }}
    where line_type = 'subscription'
),

{% if window_start %}
-- The subscriptions with a subscription line of an invoice issued in the window: only their lines are read.
window_invoices as (
    select
        invoice_id,
        {{ subscription_key }} as subscription_key
    from {{ ref('stg_invoices') }}
    where
        status != 'void'
        and cast(issued_at as date) between cast('{{ window_start }}' as date) and (select as_of.as_of_date from as_of)
),

window_keys as (
    select distinct window_invoices.subscription_key
    from window_invoices
    inner join {{ ref('stg_invoice_lines') }} as window_lines on window_invoices.invoice_id = window_lines.invoice_id
    where window_lines.line_type = 'subscription'
),
{% endif %}

billed_lines as (
    select
        lines.*,
        invoices.customer_id,
        invoices.subscription_id,
        invoices.currency,
        invoices.issued_date,
        invoices.subscription_key
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    {% if window_start %}where invoices.subscription_key in (select window_keys.subscription_key from window_keys){% endif %}
),

period_starts as (
    select distinct
        subscription_key,
        period_start
    from billed_lines
),

-- Any subscription line of the subscription with a later period_start ends every earlier line, for good.
next_period_starts as (
    select
        subscription_key,
        period_start,
        lead(period_start) over (partition by subscription_key order by period_start) as next_period_start
    from period_starts
),

in_force as (
    select
        billed_lines.line_id,
        billed_lines.invoice_id,
        billed_lines.subscription_id,
        billed_lines.subscription_key,
        billed_lines.customer_id,
        billed_lines.currency,
        billed_lines.plan_id,
        billed_lines.interval_months,
        billed_lines.amount,
        {{ exact_money("billed_lines.amount / billed_lines.interval_months") }} as local_mrr,
        billed_lines.period_start,
        billed_lines.period_end,
        billed_lines.issued_date,
        case
            when next_period_starts.next_period_start < billed_lines.period_end
                then next_period_starts.next_period_start
            else billed_lines.period_end
        end as in_force_until
    from billed_lines
    inner join next_period_starts
        on
            billed_lines.subscription_key = next_period_starts.subscription_key
            and billed_lines.period_start = next_period_starts.period_start
)

select * from in_force
