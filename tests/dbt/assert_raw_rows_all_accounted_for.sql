-- docs/raw_contract.md: for every raw table, raw rows = staged + quarantined + collapsed duplicates,
-- with the staged and quarantined rows counted in the staging and quarantine models themselves.
{%- set tables = raw_contract().keys() | list %}

with

accounted as (
    select
        table_name,
        max(table_raw_rows) as raw_rows,
        sum(case when outcome = 'collapsed_duplicate' then row_count else 0 end) as collapsed_rows
    from {{ ref('raw_row_accounting') }}
    group by table_name
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
        accounted.collapsed_rows
    from landed
    left join accounted on landed.table_name = accounted.table_name
)

select *
from compared
where
    raw_rows is null
    or raw_rows != staged_rows + quarantined_rows + collapsed_rows
