-- Per customer with a first active month: the sBG survival inputs of docs/metrics.md (Predictive CLTV, subscriptions).
-- A customer survives from the first active month until the first churn; a later reactivation does not revive
-- them. Months not yet complete are unknown, so a customer who never churned is right-censored. Renewals are
-- counted in contract periods of the interval of the customer's current subscription line (DECISIONLOG.md).
with

movements as (
    select * from {{ ref('int_customer_mrr_movements') }}
),

dimensions as (
    select * from {{ ref('int_customer_dimensions') }}
),

lines as (
    select * from {{ ref('int_subscription_lines_in_force') }}
),

last_complete_month as (
    select max(month) as month
    from {{ ref('int_months') }}
    where is_complete
),

-- The current line: the latest period_start up to the end of the last complete month; ties by longer interval.
ranked_lines as (
    select
        lines.customer_id,
        lines.interval_months,
        row_number() over (
            partition by lines.customer_id
            order by lines.period_start desc, lines.interval_months desc, lines.line_id desc
        ) as line_rank
    from lines
    cross join last_complete_month
    where lines.period_start <= {{ month_end('last_complete_month.month') }}
),

current_intervals as (
    select
        customer_id,
        interval_months
    from ranked_lines
    where line_rank = 1
),

first_churns as (
    select
        customer_id,
        min(month) as first_churn_month
    from movements
    where movement = 'churn'
    group by customer_id
),

current_months as (
    select
        movements.customer_id,
        movements.mrr as current_mrr
    from movements
    inner join last_complete_month on movements.month = last_complete_month.month
),

customers as (
    select
        dimensions.customer_id,
        dimensions.segment,
        dimensions.first_active_month,
        coalesce(current_intervals.interval_months, 1) as interval_months,
        first_churns.first_churn_month,
        last_complete_month.month as last_complete_month,
        {{ as_money('coalesce(current_months.current_mrr, 0)') }} as current_mrr
    from dimensions
    cross join last_complete_month
    left join first_churns on dimensions.customer_id = first_churns.customer_id
    left join current_months on dimensions.customer_id = current_months.customer_id
    left join current_intervals on dimensions.customer_id = current_intervals.customer_id
),

ages as (
    select
        *,
        {{ dbt.datediff('first_active_month', 'last_complete_month', 'month') }}
            as tenure_months,
        {{ dbt.datediff('first_active_month', 'first_churn_month', 'month') }}
            as months_to_first_churn
    from customers
),

months_survived as (
    select
        *,
        -- Churned in month j = months_to_first_churn after j - 1 monthly renewals; never churned: one a month.
        coalesce(months_to_first_churn - 1, tenure_months) as renewal_months
    from ages
),

final as (
    select
        customer_id,
        segment,
        cast(interval_months as {{ dbt.type_bigint() }}) as interval_months,
        first_active_month,
        first_churn_month,
        last_complete_month,
        cast(tenure_months as {{ dbt.type_bigint() }}) as tenure_months,
        cast(months_to_first_churn as {{ dbt.type_bigint() }}) as months_to_first_churn,
        -- Contract periods: renewals come every interval_months months (floor of the months over the interval).
        cast(floor(1.0 * tenure_months / interval_months) as {{ dbt.type_bigint() }}) as tenure_periods,
        cast(floor(1.0 * renewal_months / interval_months) as {{ dbt.type_bigint() }}) as renewals,
        first_churn_month is null as is_censored,
        current_mrr,
        current_mrr > 0 as is_active
    from months_survived
)

select * from final
