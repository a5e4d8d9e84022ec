-- cltv_monthly's overall rows cover the months of mrr_monthly with the same ARPA, and no simple CLTV is
-- given for a month whose churn window holds a null or zero average churn rate.
with

cltv as (
    select * from {{ ref('cltv_monthly') }}
    where dimension = 'all'
),

monthly as (
    select * from {{ ref('mrr_monthly') }}
)

select
    coalesce(monthly.month, cltv.month) as month,
    monthly.arpa,
    cltv.arpa as cltv_arpa,
    cltv.avg_customer_churn_rate,
    cltv.cltv_simple
from monthly
full outer join cltv on monthly.month = cltv.month
where
    monthly.month is null
    or cltv.month is null
    or coalesce(monthly.arpa, -1) != coalesce(cltv.arpa, -1)
    or (cltv.cltv_simple is not null and coalesce(cltv.avg_customer_churn_rate, 0) = 0)
