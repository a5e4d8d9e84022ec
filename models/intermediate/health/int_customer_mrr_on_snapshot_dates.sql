-- Per customer active on a snapshot day D (mrr(c, D) > 0): mrr(c, D) and the MRR of the same day three months
-- before valued at the rates of D, both rounded to 6 decimals, and the longest billing interval in force on D.
with

currency_mrr as (
    select * from {{ ref('int_customer_currency_mrr_on_snapshot_dates') }}
),

valued as (
    select
        customer_id,
        snapshot_date,
        {{ round_money(
            'sum(' ~ convert_money('local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as mrr,
        {{ round_money(
            'sum(' ~ convert_money('three_months_before_local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as three_months_before_mrr,
        max(interval_months) as interval_months
    from currency_mrr
    group by customer_id, snapshot_date
),

final as (
    select * from valued
    where mrr > 0
)

select * from final
