-- Where every raw row went: staged, quarantined with a reason, collapsed into an identical row, or (Stripe
-- route) excluded as not business data. Stripe rows are counted per Stripe table (`source_table`).
-- base_events holds only the events that needed a decision, so the staged events are counted in their daily
-- aggregate: a stale incremental aggregate then breaks the accounting identity instead of hiding.
{%- set stripe_billing = reads_stripe() %}

with

checked as (
    {%- for table_name in raw_contract() if table_name != 'events' %}
        {%- set by_source = stripe_billing and is_billing_table(table_name) %}
        select
            {{ 'source_table' if by_source else "'" ~ table_name ~ "'" }} as table_name,
            quarantine_reason,
            raw_copies
        from {{ ref('base_' ~ table_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

decided_events as (
    select
        quarantine_reason,
        raw_copies
    from {{ ref('base_events') }}
),

events_daily as (
    select events from {{ ref('int_customer_events_daily') }}
),

event_outcomes as (
    select
        'staged' as outcome,
        cast(null as {{ dbt.type_string() }}) as reason,
        sum(events) as row_count
    from events_daily
    having count(*) > 0
    union all
    select
        'quarantined' as outcome,
        quarantine_reason as reason,
        count(*) as row_count
    from decided_events
    where quarantine_reason is not null
    group by quarantine_reason
    union all
    -- One line whenever the table has rows, as for the other tables (0 when nothing was collapsed).
    select
        'collapsed_duplicate' as outcome,
        cast(null as {{ dbt.type_string() }}) as reason,
        sum(raw_copies - 1) as row_count
    from (
        select raw_copies from decided_events
        union all
        select 1 as raw_copies from events_daily
    ) as event_rows
    having count(*) > 0
),

outcomes as (
    select
        table_name,
        case when quarantine_reason is null then 'staged' else 'quarantined' end as outcome,
        quarantine_reason as reason,
        count(*) as row_count
    from checked
    group by table_name, quarantine_reason
    union all
    select
        table_name,
        'collapsed_duplicate' as outcome,
        cast(null as {{ dbt.type_string() }}) as reason,
        sum(raw_copies - 1) as row_count
    from checked
    group by table_name
    {%- if stripe_billing %}
        {%- for model in ['stg_stripe__customer', 'stg_stripe__price', 'stg_stripe__plan',
            'stg_stripe__subscription_history', 'stg_stripe__subscription_item', 'stg_stripe__invoice',
            'stg_stripe__invoice_line_item', 'stg_stripe__charge', 'stg_stripe__refund'] %}
            union all
            select
                source_table as table_name,
                'excluded' as outcome,
                exclusion_reason as reason,
                count(*) as row_count
            from {{ ref(model) }}
            where exclusion_reason is not null
            group by source_table, exclusion_reason
        {%- endfor %}
        -- subscription_item is read as a lookup (each subscription's plan): its other rows count as staged.
        union all
        select
            'subscription_item' as table_name,
            'staged' as outcome,
            cast(null as {{ dbt.type_string() }}) as reason,
            count(*) as row_count
        from {{ ref('stg_stripe__subscription_item') }}
        where exclusion_reason is null
    {%- endif %}
    union all
    select
        'events' as table_name,
        outcome,
        reason,
        row_count
    from event_outcomes
)

select * from outcomes
