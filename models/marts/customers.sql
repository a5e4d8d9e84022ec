-- One row per customer: when they became active, what they pay now (last complete month) and their dimensions.
with

customers as (
    select * from {{ ref('stg_customers') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

last_complete_month as (
    select max(month) as month from movements
),

current_months as (
    select
        movements.customer_id,
        movements.mrr
    from movements
    inner join last_complete_month on movements.month = last_complete_month.month
),

active_months as (
    select
        customer_id,
        count(*) as active_months,
        max(month) as last_active_month
    from movements
    where mrr > 0
    group by customer_id
),

final as (
    select
        customers.customer_id,
        customers.created_at,
        dimensions.first_active_month,
        active_months.last_active_month,
        cast(coalesce(active_months.active_months, 0) as {{ dbt.type_bigint() }}) as active_months,
        cast(coalesce(current_months.mrr, 0) as {{ dbt.type_numeric() }}) as current_mrr,
        case
            when current_months.mrr > 0 then 'active'
            when dimensions.first_active_month is not null then 'churned'
            else 'never_active'
        end as status,
        coalesce(dimensions.segment, customers.segment, 'unknown') as segment,
        coalesce(dimensions.country, customers.country, 'unknown') as country,
        coalesce(dimensions.acquisition_channel, customers.acquisition_channel, 'unknown') as acquisition_channel,
        coalesce(dimensions.plan_interval, 'unknown') as plan_interval
    from customers
    left join dimensions on customers.customer_id = dimensions.customer_id
    left join current_months on customers.customer_id = current_months.customer_id
    left join active_months on customers.customer_id = active_months.customer_id
)

select * from final
