-- Rows in each raw table as read, before anything is collapsed or quarantined:
-- the left side of the accounting identity.
with

counted as (
    select
        'customers' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'customers') }}
    union all
    select
        'plans' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'plans') }}
    union all
    select
        'subscriptions' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'subscriptions') }}
    union all
    select
        'invoices' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'invoices') }}
    union all
    select
        'invoice_lines' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'invoice_lines') }}
    union all
    select
        'payments' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'payments') }}
    union all
    select
        'exchange_rates' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'exchange_rates') }}
    union all
    select
        'events' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'events') }}
    union all
    select
        'survey_responses' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'survey_responses') }}
    union all
    select
        'support_tickets' as table_name,
        count(*) as raw_rows
    from {{ source('raw', 'support_tickets') }}
)

select * from counted
