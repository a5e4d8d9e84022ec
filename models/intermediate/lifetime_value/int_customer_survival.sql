-- Per customer with a first active month: the sBG survival inputs of METRICS.md (Predictive CLTV, subscriptions).
-- A customer survives from the first active month until the first churn; a later reactivation does not revive
-- them. Months not yet complete are unknown, so a customer who never churned is right-censored.
with

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

last_complete_month as (
    select max(month) as month
    from {{ ref('int_months') }}
    where is_complete
),

first_churns as (
    select
        customer_id,
        min(month) as first_churn_month
    from movements
    where movement = 'churn'
    group by customer_id
),

current_months as (
    select
        movements.customer_id,
        movements.mrr as current_mrr
    from movements
    inner join last_complete_month on movements.month = last_complete_month.month
),

customers as (
    select
        dimensions.customer_id,
        dimensions.segment,
        dimensions.first_active_month,
        first_churns.first_churn_month,
        last_complete_month.month as last_complete_month,
        {{ round_money('coalesce(current_months.current_mrr, 0)') }} as current_mrr
    from dimensions
    cross join last_complete_month
    left join first_churns on dimensions.customer_id = first_churns.customer_id
    left join current_months on dimensions.customer_id = current_months.customer_id
),

ages as (
    select
        *,
        {{ dbt.datediff('first_active_month', 'last_complete_month', 'month') }}
            as tenure_months,
        {{ dbt.datediff('first_active_month', 'first_churn_month', 'month') }}
            as months_to_first_churn
    from customers
),

final as (
    select
        customer_id,
        segment,
        first_active_month,
        first_churn_month,
        last_complete_month,
        cast(tenure_months as {{ dbt.type_bigint() }}) as tenure_months,
        -- Churned in period j = months_to_first_churn after j - 1 renewals; never churned: a renewal a month.
        cast(coalesce(months_to_first_churn - 1, tenure_months) as {{ dbt.type_bigint() }}) as renewals,
        first_churn_month is null as is_censored,
        current_mrr,
        current_mrr > 0 as is_active
    from ages
)

select * from final
