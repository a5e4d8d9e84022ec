-- Per complete month: former customers, how many came back, and how many of the month's churned customers
-- were won back within 3, 6 and 12 months (docs/metrics.md, Reactivation).
with

customer_months as (
    select * from {{ ref('int_customer_mrr_monthly') }}
),

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

win_backs as (
    select * from {{ ref('int_customer_churn_win_backs') }}
),

-- Every complete month from the first month in which some customer is active, like mrr_monthly.
months as (
    select month from {{ ref('int_reporting_months') }}
),

last_complete_month as (
    select max(month) as month from months
),

-- Active in some month before m-1 (first active month before m-1) and not active in m-1.
former as (
    select
        month,
        count(*) as former_customers
    from customer_months
    where
        first_active_month < {{ add_months(-1, 'month') }}
        and last_month_mrr = 0
    group by month
),

movement_totals as (
    select
        month,
        sum(case when movement = 'reactivation' then 1 else 0 end) as reactivated_customers,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers
    from movements
    group by month
),

-- Of the customers who churned in the month, those back (a reactivation) within n months.
won_back as (
    select
        churn_month as month,
        sum(case when win_back_month <= {{ add_months(3, 'churn_month') }} then 1 else 0 end) as won_back_3m,
        sum(case when win_back_month <= {{ add_months(6, 'churn_month') }} then 1 else 0 end) as won_back_6m,
        sum(case when win_back_month <= {{ add_months(12, 'churn_month') }} then 1 else 0 end) as won_back_12m
    from win_backs
    group by churn_month
),

monthly as (
    select
        months.month,
        coalesce(former.former_customers, 0) as former_customers,
        coalesce(movement_totals.reactivated_customers, 0) as reactivated_customers,
        coalesce(movement_totals.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(movement_totals.churned_customers, 0) as churned_customers,
        coalesce(won_back.won_back_3m, 0) as won_back_3m,
        coalesce(won_back.won_back_6m, 0) as won_back_6m,
        coalesce(won_back.won_back_12m, 0) as won_back_12m,
        last_complete_month.month as last_complete_month
    from months
    cross join last_complete_month
    left join former on months.month = former.month
    left join movement_totals on months.month = movement_totals.month
    left join won_back on months.month = won_back.month
),

final as (
    select
        month,
        cast(former_customers as {{ dbt.type_bigint() }}) as former_customers,
        cast(reactivated_customers as {{ dbt.type_bigint() }}) as reactivated_customers,
        {{ safe_divide('reactivated_customers', 'former_customers') }} as reactivation_rate,
        cast(reactivation_mrr as {{ dbt.type_numeric() }}) as reactivation_mrr,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        case
            when {{ add_months(3, 'month') }} <= last_complete_month
                then {{ safe_divide('won_back_3m', 'churned_customers') }}
        end as win_back_3m,
        case
            when {{ add_months(6, 'month') }} <= last_complete_month
                then {{ safe_divide('won_back_6m', 'churned_customers') }}
        end as win_back_6m,
        case
            when {{ add_months(12, 'month') }} <= last_complete_month
                then {{ safe_divide('won_back_12m', 'churned_customers') }}
        end as win_back_12m
    from monthly
)

select * from final
