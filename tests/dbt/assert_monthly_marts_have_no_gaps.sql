-- Every monthly mart covers each complete month from its first one without a gap:
-- each month but the first has its previous month in the mart.
with

months as (
    select distinct month from {{ ref('mrr_monthly') }}
),

first_month as (
    select min(month) as month from months
),

previous_months as (
    select
        month,
        {{ add_months(-1, 'month') }} as previous_month
    from months
)

select previous_months.month
from previous_months
where
    previous_months.month != (select first_month.month from first_month)
    and previous_months.previous_month not in (select months.month from months)
