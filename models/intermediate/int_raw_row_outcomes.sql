-- Where every raw row went: staged, quarantined with a reason, or collapsed into an identical row.
-- base_events holds only the events that needed a decision, so the staged events are counted in their daily
-- aggregate: a stale incremental aggregate then breaks the accounting identity instead of hiding.
with

checked as (
    select
        'customers' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_customers') }}
    union all
    select
        'plans' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_plans') }}
    union all
    select
        'subscriptions' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_subscriptions') }}
    union all
    select
        'invoices' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_invoices') }}
    union all
    select
        'invoice_lines' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_invoice_lines') }}
    union all
    select
        'payments' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_payments') }}
    union all
    select
        'exchange_rates' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_exchange_rates') }}
    union all
    select
        'survey_responses' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_survey_responses') }}
    union all
    select
        'support_tickets' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_support_tickets') }}
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
    union all
    select
        'events' as table_name,
        outcome,
        reason,
        row_count
    from event_outcomes
)

select * from outcomes
