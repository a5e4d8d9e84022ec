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

collapsed as (
    {{ collapse_exact_duplicates('source', 'invoices') }}
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
