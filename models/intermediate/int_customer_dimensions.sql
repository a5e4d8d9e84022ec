-- Each customer's dimensions, fixed at their first active month so the MRR identity holds within each value.
with

customers as (
    select * from {{ ref('stg_customers') }}
),

first_active_months as (
    select distinct
        customer_id,
        first_active_month
    from {{ ref('int_customer_mrr_monthly') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
),

first_intervals as (
    select
        first_active_months.customer_id,
        max(subscription_months.interval_months) as interval_months
    from first_active_months
    inner join subscription_months
        on
            first_active_months.customer_id = subscription_months.customer_id
            and first_active_months.first_active_month = subscription_months.month
    group by first_active_months.customer_id
),

final as (
    select
        first_active_months.customer_id,
        first_active_months.first_active_month,
        coalesce(customers.segment, 'unknown') as segment,
        coalesce(customers.country, 'unknown') as country,
        coalesce(customers.acquisition_channel, 'unknown') as acquisition_channel,
        {{ plan_interval_label('first_intervals.interval_months') }} as plan_interval
    from first_active_months
    inner join customers on first_active_months.customer_id = customers.customer_id
    left join first_intervals on first_active_months.customer_id = first_intervals.customer_id
)

select * from final
