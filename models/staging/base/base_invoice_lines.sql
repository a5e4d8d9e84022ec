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

collapsed as (
    {{ collapse_exact_duplicates('source', 'invoice_lines') }}
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
