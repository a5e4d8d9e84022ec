-- The months every monthly mart covers: each complete month from the first month in which some customer
-- is active, without gaps (docs/metrics.md, Conventions).
with

months as (
    select * from {{ ref('int_months') }}
),

first_active as (
    select min(month) as first_active_month
    from {{ ref('int_customer_mrr_monthly') }}
),

final as (
    select
        months.month,
        months.month_end
    from months
    cross join first_active
    where
        months.is_complete
        and months.month >= first_active.first_active_month
)

select * from final
