-- One row per customer and complete month from their cohort (first active) month: the customer's MRR, whether
-- they are active, their first-month MRR at this month's rates (their part of cohort_starting_mrr) and their
-- dimensions at the first active month (docs/metrics.md, Cohort retention).
with

customer_months as (
    select * from {{ ref('int_customer_mrr_monthly') }}
),

starting_parts as (
    select * from {{ ref('int_customer_starting_mrr_revalued') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

-- Rounded per customer and month like every customer-month MRR figure, so that at age 0 it equals mrr exactly.
starting_mrr as (
    select
        customer_id,
        month,
        {{ round_money(
            'sum(' ~ convert_money('starting_local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as cohort_starting_mrr
    from starting_parts
    group by customer_id, month
),

final as (
    select
        customer_months.customer_id,
        customer_months.first_active_month as cohort_month,
        customer_months.month,
        {{ dbt.datediff('customer_months.first_active_month', 'customer_months.month', 'month') }}
            as months_since_start,
        customer_months.mrr,
        customer_months.mrr > 0 as is_active,
        {{ as_money('coalesce(starting_mrr.cohort_starting_mrr, 0)') }} as cohort_starting_mrr,
        dimensions.segment,
        dimensions.country,
        dimensions.acquisition_channel,
        dimensions.plan_interval
    from customer_months
    inner join dimensions on customer_months.customer_id = dimensions.customer_id
    left join starting_mrr
        on
            customer_months.customer_id = starting_mrr.customer_id
            and customer_months.month = starting_mrr.month
)

select * from final
