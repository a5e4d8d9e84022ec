-- Per customer with one-off purchases: the BG/NBD and Gamma-Gamma inputs, times in weeks up to the as-of date.
-- A purchase is a day with one-off lines (several invoices on one day make one purchase, as in the CDNOW data);
-- frequency counts the purchases after the first, recency runs from the first to the last purchase, t_weeks from
-- the first purchase to the as-of date; monetary_value is the mean amount of the repeat purchases.
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

lines as (
    select * from {{ ref('int_one_off_lines_converted') }}
),

purchases as (
    select
        customer_id,
        purchase_date,
        sum(amount) as amount
    from lines
    group by customer_id, purchase_date
),

numbered as (
    select
        customer_id,
        purchase_date,
        amount,
        row_number() over (partition by customer_id order by purchase_date) as purchase_number
    from purchases
),

summary as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) - 1 as frequency,
        avg(case when purchase_number > 1 then amount end) as monetary_value,
        sum(amount) as one_off_revenue
    from numbered
    group by customer_id
),

summaries_as_of as (
    select
        summary.*,
        as_of.as_of_date
    from summary
    cross join as_of
),

day_counts as (
    select
        *,
        {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }}
            as recency_days,
        {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }}
            as age_days
    from summaries_as_of
),

final as (
    select
        customer_id,
        first_purchase_date,
        last_purchase_date,
        cast(frequency as {{ dbt.type_bigint() }}) as frequency,
        cast(recency_days as {{ type_rate() }}) / 7 as recency_weeks,
        cast(age_days as {{ type_rate() }}) / 7 as t_weeks,
        cast(monetary_value as {{ type_rate() }}) as monetary_value,
        {{ round_money('one_off_revenue') }} as one_off_revenue
    from day_counts
)

select * from final
