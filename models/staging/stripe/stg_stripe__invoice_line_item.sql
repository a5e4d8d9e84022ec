{%- set relation = source('stripe', 'invoice_line_item') -%}
{%- set types = stripe_column_types(relation) -%}
{%- set line_id = 'unique_id' if 'unique_id' in types else 'id' -%}

with

source as (
    select * from {{ relation }}
),

-- The invoice gives the currency (of the amount) and its exclusion (a line of a draft invoice is not issued).
invoices as (
    select
        invoice_id,
        currency,
        exclusion_reason
    from {{ ref('stg_stripe__invoice') }}
),

currencies as (
    select * from {{ ref('iso_4217_currencies') }}
),

-- The interval of each price (or legacy plan): recurring ones in months; unsupported or one-off ones flagged.
prices as (
    select
        plan_id,
        interval_months,
        source_reason,
        exclusion_reason
    from {{ ref('stg_stripe__price') }}
    union all
    select
        plan_id,
        interval_months,
        source_reason,
        exclusion_reason
    from {{ ref('stg_stripe__plan') }}
),

lines as (
    select
        source.*,
        cast({{ stripe_first_column(types, ['price_id', 'plan_id']) }} as {{ dbt.type_string() }}) as line_plan_id,
        case
            when {{ stripe_flag(types, 'proration', 'true') }} then 'proration'
            when source.type = 'subscription' then 'subscription'
            when source.type = 'invoiceitem' then 'one_time'
            else cast(source.type as {{ dbt.type_string() }})
        end as line_type,
        coalesce(
            not {{ stripe_flag(types, 'proration', 'true') }}
            and source.type = 'invoiceitem'
            and {{ cast_raw('source.period_start', 'timestamp', types.get('period_start')) }}
            = {{ cast_raw('source.period_end', 'timestamp', types.get('period_end')) }},
            false
        ) as is_stamped_one_off
    from source
),

mapped as (
    select
        cast(lines.{{ line_id }} as {{ dbt.type_string() }}) as line_id,
        cast(lines.invoice_id as {{ dbt.type_string() }}) as invoice_id,
        lines.line_type,
        lines.line_plan_id as plan_id,
        cast(lines.quantity as {{ dbt.type_string() }}) as quantity,
        {{ stripe_major_units(
            'lines.amount', stripe_minor_unit_digits(),
            discount=('lines.discount_amount' if 'discount_amount' in types else none)
        ) }} as amount,
        -- Stripe stamps one-off items with period_start = period_end: they have no service period.
        case
            when not lines.is_stamped_one_off then {{ stripe_date_text(types, 'lines.period_start') }}
        end as period_start,
        case
            when not lines.is_stamped_one_off then {{ stripe_date_text(types, 'lines.period_end') }}
        end as period_end,
        case
            when prices.source_reason is null and coalesce(prices.exclusion_reason, '') != 'one_time_price'
                then prices.interval_months
        end as interval_months,
        'invoice_line_item' as source_table,
        case
            when lines.line_type = 'subscription' and prices.source_reason is not null then prices.source_reason
            when
                lines.line_type = 'subscription'
                and (prices.plan_id is null or prices.exclusion_reason = 'one_time_price')
                then 'unknown_interval'
        end as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            else invoices.exclusion_reason
        end as exclusion_reason
    from lines
    left join invoices on cast(lines.invoice_id as {{ dbt.type_string() }}) = invoices.invoice_id
    left join currencies on invoices.currency = currencies.currency
    left join prices on lines.line_plan_id = prices.plan_id
)

select * from mapped
