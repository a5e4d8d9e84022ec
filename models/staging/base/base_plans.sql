with

source as (
    {{ billing_rows('plans') }}
),

currencies as (
    select currency from {{ ref('iso_4217_currencies') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'plans') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'plans', billing_relation('plans')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            {{ source_rules('plans') }}
            when {{ money_out_of_range(['list_price']) }} then 'out_of_range'
            when interval_months is null or currency is null or list_price is null then 'missing_value'
            when interval_months not in (1, 3, 6, 12) then 'bad_enum'
            when currency not in (select currencies.currency from currencies) then 'unknown_currency'
            when list_price < 0 then 'negative_amount'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('plans') }}
from checked
