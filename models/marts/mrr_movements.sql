with

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

final as (
    select
        customer_id,
        month,
        cast(mrr as {{ dbt.type_numeric() }}) as mrr,
        cast(prev_mrr as {{ dbt.type_numeric() }}) as prev_mrr,
        movement,
        cast(new_mrr as {{ dbt.type_numeric() }}) as new_mrr,
        cast(expansion_mrr as {{ dbt.type_numeric() }}) as expansion_mrr,
        cast(contraction_mrr as {{ dbt.type_numeric() }}) as contraction_mrr,
        cast(churn_mrr as {{ dbt.type_numeric() }}) as churn_mrr,
        cast(reactivation_mrr as {{ dbt.type_numeric() }}) as reactivation_mrr,
        cast(fx_adjustment_mrr as {{ dbt.type_numeric() }}) as fx_adjustment_mrr,
        churn_type
    from movements
)

select * from final
