-- One row per churn (customer, month) with the month the customer next came back (their first reactivation
-- after the churn), null while they have not (docs/metrics.md, Reactivation: win-back).
with

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

next_reactivations as (
    select
        customer_id,
        month,
        movement,
        min(case when movement = 'reactivation' then month end) over (
            partition by customer_id
            order by month
            rows between 1 following and unbounded following
        ) as next_reactivation_month
    from movements
),

final as (
    select
        customer_id,
        month as churn_month,
        next_reactivation_month as win_back_month,
        {{ dbt.datediff('month', 'next_reactivation_month', 'month') }}
            as months_to_win_back
    from next_reactivations
    where movement = 'churn'
)

select * from final
