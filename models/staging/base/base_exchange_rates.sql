with

source as (
    select * from {{ source('raw', 'exchange_rates') }}
),

currencies as (
    select currency from {{ ref('iso_4217_currencies') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'exchange_rates') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'exchange_rates', source('raw', 'exchange_rates')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            -- A rate of 1e7 or more would lift an amount near the money bound past what the marts hold.
            when rate_to_reporting >= 10000000 then 'out_of_range'
            when rate_to_reporting is null then 'missing_value'
            when currency not in (select currencies.currency from currencies) then 'unknown_currency'
            when rate_to_reporting <= 0 then 'non_positive_rate'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('exchange_rates') }}
from checked
