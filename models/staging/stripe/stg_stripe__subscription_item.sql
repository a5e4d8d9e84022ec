{%- set relation = source('stripe', 'subscription_item') -%}
{%- set types = stripe_column_types(relation) -%}
{%- set subscription_table = 'subscription_history' if stripe_table_is_read('subscription_history')
    else 'subscription' -%}
{%- set subscriptions_relation = source('stripe', subscription_table) -%}
{%- set subscription_types = stripe_column_types(subscriptions_relation) -%}

-- Read as a lookup (the plan of each subscription): a row is excluded as its subscription is (test_mode),
-- or as deleted; every other row counts as staged.
with

source as (
    select * from {{ relation }}
),

test_mode_subscriptions as (
    select distinct cast(id as {{ dbt.type_string() }}) as subscription_id
    from {{ subscriptions_relation }}
    where {{ stripe_flag(subscription_types, 'livemode', 'false') }}
),

mapped as (
    select
        cast(source.id as {{ dbt.type_string() }}) as item_id,
        cast(source.subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast({{ stripe_first_column(types, ['price_id', 'plan_id']) }} as {{ dbt.type_string() }}) as plan_id,
        {{ cast_raw('source.created', 'timestamp', types.get('created')) }} as created_at,
        'subscription_item' as source_table,
        case
            when test_mode_subscriptions.subscription_id is not null then 'test_mode'
            when {{ stripe_flag(types, 'is_deleted', 'true') }} then 'deleted'
        end as exclusion_reason
    from source
    left join test_mode_subscriptions
        on cast(source.subscription_id as {{ dbt.type_string() }}) = test_mode_subscriptions.subscription_id
)

select * from mapped
