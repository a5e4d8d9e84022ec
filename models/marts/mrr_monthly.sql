with

figures as (
    select * from {{ ref('int_mrr_monthly_by_dimension') }}
    where dimension = 'all'
),

final as (
    select
        month,
        {%- for column, kind in mrr_monthly_figures() %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from figures
)

select * from final
