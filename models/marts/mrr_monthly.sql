with

figures as (
    select * from {{ ref('int_mrr_monthly_by_dimension') }}
    where dimension = 'all'
),

final as (
    select
        month,
        {{ column_list(mrr_monthly_figures() | map(attribute=0)) }}
    from figures
)

select * from final
