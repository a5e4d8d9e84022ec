-- Where every raw row went: staged, quarantined with a reason, collapsed into an identical row, or (Stripe
-- route) excluded as not business data. Stripe rows are counted per Stripe table (`source_table`).
{%- set stripe_billing = reads_stripe() %}

with

checked as (
    {%- for table_name in raw_contract() %}
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
)

select * from outcomes
