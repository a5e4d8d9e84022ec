{#- subscription_history, or `subscription` from a connector without history (same columns, no _fivetran_active). -#}
{%- set table_name = 'subscription_history' if stripe_table_is_read('subscription_history') else 'subscription' -%}
{%- set relation = source('stripe', table_name) -%}
{%- set types = stripe_column_types(relation) -%}
{%- set trial_end = cast_raw('source.trial_end', 'timestamp', types.get('trial_end')) -%}
{%- set canceled_at = cast_raw('source.canceled_at', 'timestamp', types.get('canceled_at')) -%}

with

source as (
    select * from {{ relation }}
),

-- The plan of a subscription: the price of its earliest-created item (ties: the smallest item id).
first_items as (
    select
        subscription_id,
        plan_id,
        row_number() over (partition by subscription_id order by created_at, item_id) as item_rank
    from {{ ref('stg_stripe__subscription_item') }}
    where coalesce(exclusion_reason, '') != 'deleted'
),

mapped as (
    select
        cast(source.id as {{ dbt.type_string() }}) as subscription_id,
        cast(source.customer_id as {{ dbt.type_string() }}) as customer_id,
        first_items.plan_id,
        case
            when source.status in ('unpaid', 'incomplete') then 'past_due'
            when source.status = 'incomplete_expired' then 'canceled'
            else cast(source.status as {{ dbt.type_string() }})
        end as status,
        {{ stripe_timestamp_text(types, 'source.trial_start') }} as trial_start_at,
        {{ stripe_timestamp_text(types, 'source.trial_end') }} as trial_end_at,
        -- Not started while trialing or never paid, nor a trial canceled on or before its end.
        case
            when source.status in ('trialing', 'incomplete', 'incomplete_expired') then null
            when {{ trial_end }} is not null and {{ canceled_at }} <= {{ trial_end }} then null
            else coalesce(
                {{ stripe_timestamp_text(types, 'source.trial_end') }},
                {{ stripe_timestamp_text(types, 'source.start_date') }}
            )
        end as started_at,
        case
            when source.status = 'incomplete_expired'
                then coalesce(
                    {{ stripe_timestamp_text(types, 'source.canceled_at') }},
                    {{ stripe_timestamp_text(types, 'source.ended_at') }}
                )
            else {{ stripe_timestamp_text(types, 'source.canceled_at') }}
        end as canceled_at,
        case
            when
                {{ stripe_column(types, 'cancellation_details_reason') }} in ('payment_failed', 'payment_disputed')
                then 'payment_failed'
            else cast({{ stripe_column(types, 'cancellation_details_feedback') }} as {{ dbt.type_string() }})
        end as cancel_reason,
        -- A cancellation scheduled ahead (e.g. at period end): read only when the export has the column.
        {% if 'cancel_at' in types -%}
            {{ stripe_timestamp_text(types, 'source.cancel_at') }}
        {%- else -%}
            cast(null as {{ dbt.type_string() }})
        {%- endif %} as cancel_at,
        '{{ table_name }}' as source_table,
        cast(null as {{ dbt.type_string() }}) as source_reason,
        case
            when {{ stripe_flag(types, 'livemode', 'false') }} then 'test_mode'
            when {{ stripe_flag(types, 'is_deleted', 'true') }} then 'deleted'
            when {{ stripe_flag(types, '_fivetran_active', 'false') }} then 'superseded_version'
        end as exclusion_reason
    from source
    left join first_items
        on
            cast(source.id as {{ dbt.type_string() }}) = first_items.subscription_id
            and first_items.item_rank = 1
)

select * from mapped
