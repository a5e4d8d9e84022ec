-- One row per customer and complete month from their first active month: mrr, prev_mrr (last month at this
-- month's rates) and last month's mrr, each rounded to 6 decimals (docs/metrics.md, MRR movements).
with

currency_months as (
    select * from {{ ref('int_customer_currency_mrr_monthly') }}
),

months as (
    select month from {{ ref('int_months') }}
    where is_complete
),

valued as (
    select
        customer_id,
        month,
        {{ round_money(
            'sum(' ~ convert_money('local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as mrr,
        {{ round_money(
            'sum(' ~ convert_money('last_month_local_mrr', 'rate_to_reporting') ~ ')'
        ) }} as prev_mrr
    from currency_months
    group by customer_id, month
),

first_active_months as (
    select
        customer_id,
        min(month) as first_active_month
    from valued
    where mrr > 0
    group by customer_id
),

customer_months as (
    select
        first_active_months.customer_id,
        first_active_months.first_active_month,
        months.month
    from first_active_months
    inner join months on first_active_months.first_active_month <= months.month
),

final as (
    select
        customer_months.customer_id,
        customer_months.month,
        customer_months.first_active_month,
        {{ as_money("coalesce(valued.mrr, 0)") }} as mrr,
        {{ as_money("coalesce(valued.prev_mrr, 0)") }} as prev_mrr,
        {{ as_money(
            "coalesce(lag(valued.mrr) over (partition by customer_months.customer_id order by customer_months.month), 0)"
        ) }} as last_month_mrr
    from customer_months
    left join valued
        on
            customer_months.customer_id = valued.customer_id
            and customer_months.month = valued.month
)

select * from final
