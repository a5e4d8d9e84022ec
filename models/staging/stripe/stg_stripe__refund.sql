{%- set relation = source('stripe', 'refund') -%}
{%- set types = stripe_column_types(relation) -%}
{%- set columns = ['payment_id', 'invoice_id', 'attempted_at', 'amount', 'currency', 'payment_type', 'status',
    'failure_reason', 'source_table', 'source_reason', 'exclusion_reason'] -%}

{% if stripe_table_is_read('refund') -%}

with

source as (
    select * from {{ relation }}
),

-- The refunded charge gives the invoice, and its test mode.
charges as (
    select
        payment_id as charge_id,
        invoice_id,
        exclusion_reason
    from {{ ref('stg_stripe__charge') }}
),

currencies as (
    select * from {{ ref('iso_4217_currencies') }}
),

mapped as (
    select
        cast(source.id as {{ dbt.type_string() }}) as payment_id,
        charges.invoice_id,
        {{ stripe_timestamp_text(types, 'source.created') }} as attempted_at,
        {{ stripe_major_units('source.amount', stripe_minor_unit_digits(), negate=true) }} as amount,
        upper(cast(source.currency as {{ dbt.type_string() }})) as currency,
        'refund' as payment_type,
        cast(source.status as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as failure_reason,
        'refund' as source_table,
        cast(null as {{ dbt.type_string() }}) as source_reason,
        case
            when charges.exclusion_reason = 'test_mode' then 'test_mode'
            when coalesce(source.status, '') != 'succeeded' then 'refund_not_succeeded'
        end as exclusion_reason
    from source
    left join charges on cast(source.charge_id as {{ dbt.type_string() }}) = charges.charge_id
    left join currencies on upper(cast(source.currency as {{ dbt.type_string() }})) = currencies.currency
)

select * from mapped

{%- else %}
    {{ stripe_no_rows(columns) }}
{%- endif %}
