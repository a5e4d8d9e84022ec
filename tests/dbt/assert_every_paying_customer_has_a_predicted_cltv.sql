-- Every customer paying at the last complete month has a predicted subscription CLTV, so the share of current
-- MRR it covers is 100 %: one row per paying customer without one (the fallback chain should have given one).
with

customers as (
    select * from {{ ref('customer_cltv') }}
),

coverage as (
    select
        sum(current_mrr) as current_mrr,
        sum(case when cltv_predicted is not null then current_mrr else 0 end) as covered_mrr
    from customers
    where current_mrr > 0
)

select
    customers.customer_id,
    customers.current_mrr,
    coverage.covered_mrr,
    coverage.current_mrr as total_current_mrr
from customers
cross join coverage
where
    customers.current_mrr > 0
    and (customers.cltv_predicted is null or coverage.covered_mrr != coverage.current_mrr)
