-- Per customer with one-off purchases: the BG/NBD and Gamma-Gamma inputs, times in weeks up to the as-of date.
-- A purchase is a day with one-off lines (several invoices on one day make one purchase, as in the CDNOW data);
-- frequency counts the purchases after the first, recency runs from the first to the last purchase, t_weeks from
-- the first purchase to the as-of date; monetary_value is the mean amount of the repeat purchases.
-- The calibration_* columns give the same summary at calibration_end_date, the end of the first 75 % of the
-- one-off window (first purchase of anyone to the as-of date): the last 25 % is the holdout on which BG/NBD and
-- the modified BG/NBD are compared. They are null for a customer whose first purchase falls in the holdout.
{%- set holdout_share = 0.25 %}

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

one_off_window as (
    select
        min(summary.first_purchase_date) as window_start_date,
        as_of.as_of_date
    from summary
    cross join as_of
    group by as_of.as_of_date
),

calibration_end as (
    select
        as_of_date,
        cast({{ dbt.dateadd(
            'day',
            'cast(floor(' ~ (1 - holdout_share) ~ ' * '
                ~ dbt.datediff('window_start_date', 'as_of_date', 'day') ~ ') as ' ~ dbt.type_int() ~ ')',
            'window_start_date'
        ) }} as date) as calibration_end_date
    from one_off_window
),

calibration as (
    select
        numbered.customer_id,
        count(*) - 1 as calibration_frequency,
        max(numbered.purchase_date) as last_calibration_purchase_date
    from numbered
    cross join calibration_end
    where numbered.purchase_date <= calibration_end.calibration_end_date
    group by numbered.customer_id
),

summaries_as_of as (
    select
        summary.*,
        calibration.calibration_frequency,
        calibration.last_calibration_purchase_date,
        calibration_end.as_of_date,
        calibration_end.calibration_end_date
    from summary
    cross join calibration_end
    left join calibration on summary.customer_id = calibration.customer_id
),

day_counts as (
    select
        *,
        {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }}
            as recency_days,
        {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }}
            as age_days,
        {{ dbt.datediff('first_purchase_date', 'last_calibration_purchase_date', 'day') }}
            as calibration_recency_days,
        case
            when calibration_frequency is not null
                then {{ dbt.datediff('first_purchase_date', 'calibration_end_date', 'day') }}
        end as calibration_age_days
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
        {{ round_money('one_off_revenue') }} as one_off_revenue,
        calibration_end_date,
        cast(calibration_frequency as {{ dbt.type_bigint() }}) as calibration_frequency,
        cast(calibration_recency_days as {{ type_rate() }}) / 7 as calibration_recency_weeks,
        cast(calibration_age_days as {{ type_rate() }}) / 7 as calibration_t_weeks
    from day_counts
)

select * from final
