-- Where every raw row went: staged, quarantined with a reason, or collapsed into an identical row.
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
        'events' as table_name,
        quarantine_reason,
        raw_copies
    from {{ ref('base_events') }}
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
)

select * from outcomes
