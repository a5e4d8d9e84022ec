-- docs/raw_contract.md: for every raw table, raw rows = staged + quarantined + collapsed duplicates (+ excluded,
-- Stripe route), with the staged and quarantined rows counted in the staging and quarantine models themselves.
-- Stripe tables are summed into the contract table they feed; subscription_item, a lookup, is checked on its own.
{%- set tables = raw_contract().keys() | list %}

with

per_table as (
    select
        table_name,
        max(table_raw_rows) as raw_rows,
        sum(case when outcome in ('collapsed_duplicate', 'excluded') then row_count else 0 end) as set_aside_rows,
        sum(row_count) as counted_rows
    from {{ ref('raw_row_accounting') }}
    group by table_name
),

-- Each Stripe table under the contract table it feeds.
fed as (
    select
        case
            {%- for stripe_table, spec in stripe_tables().items() %}
                when table_name = '{{ stripe_table }}' then '{{ spec["feeds"] }}'
            {%- endfor %}
            else table_name
        end as contract_table,
        raw_rows,
        set_aside_rows
    from per_table
    where table_name != 'subscription_item'
),

accounted as (
    select
        contract_table as table_name,
        sum(raw_rows) as raw_rows,
        sum(set_aside_rows) as set_aside_rows
    from fed
    group by contract_table
),

landed as (
    {% for table_name in tables %}
        select
            '{{ table_name }}' as table_name,
            (select count(*) from {{ ref('stg_' ~ table_name) }}) as staged_rows,
            (select count(*) from {{ ref('quarantine_' ~ table_name) }}) as quarantined_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

compared as (
    select
        landed.table_name,
        accounted.raw_rows,
        landed.staged_rows,
        landed.quarantined_rows,
        accounted.set_aside_rows
    from landed
    left join accounted on landed.table_name = accounted.table_name
)

select
    table_name,
    raw_rows,
    staged_rows + quarantined_rows + set_aside_rows as counted_rows
from compared
where
    raw_rows is null
    or raw_rows != staged_rows + quarantined_rows + set_aside_rows
union all
select
    table_name,
    raw_rows,
    counted_rows
from per_table
where raw_rows != counted_rows
