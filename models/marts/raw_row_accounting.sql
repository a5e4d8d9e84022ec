-- Per raw table: how many rows were read and where each went (docs/raw_contract.md, What bad raw data gets).
with

raw_counts as (
    select * from {{ ref('stg_raw_row_counts') }}
),

outcomes as (
    select * from {{ ref('int_raw_row_outcomes') }}
),

final as (
    select
        raw_counts.table_name,
        coalesce(outcomes.outcome, 'staged') as outcome,
        outcomes.reason,
        cast(coalesce(outcomes.row_count, 0) as {{ dbt.type_bigint() }}) as row_count,
        cast(raw_counts.raw_rows as {{ dbt.type_bigint() }}) as table_raw_rows,
        {{ safe_divide('coalesce(outcomes.row_count, 0)', 'raw_counts.raw_rows') }} as share_of_raw_rows
    from raw_counts
    left join outcomes on raw_counts.table_name = outcomes.table_name
)

select * from final
