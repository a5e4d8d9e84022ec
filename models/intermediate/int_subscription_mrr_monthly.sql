-- Local MRR of each subscription on each complete month end at which one of its lines is in force.
with

lines as (
    select * from {{ ref('int_subscription_lines_in_force') }}
),

months as (
    select
        month,
        month_end
    from {{ ref('int_months') }}
    where is_complete
),

final as (
    select
        lines.subscription_key,
        lines.subscription_id,
        lines.customer_id,
        lines.currency,
        months.month,
        months.month_end,
        {{ exact_money("sum(lines.local_mrr)") }} as local_mrr,
        max(lines.interval_months) as interval_months
    from lines
    inner join months
        on
            lines.period_start <= months.month_end
            and lines.in_force_until > months.month_end
    group by
        lines.subscription_key,
        lines.subscription_id,
        lines.customer_id,
        lines.currency,
        months.month,
        months.month_end
)

select * from final
