-- rate(cur, d) of docs/metrics.md for every currency and day up to the as-of date:
-- the latest rate on or before d, and the date of that rate.
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        lead(rate_date) over (partition by currency order by rate_date) as next_rate_date
    from {{ ref('stg_exchange_rates') }}
    where currency != {{ sql_string_literal(var("reporting_currency")) }}
),

first_day as (
    select min(rate_date) as first_day from rates
),

integers as (
    {{ integers(5) }}
),

days as (
    select cast({{ dbt.dateadd('day', 'integers.n', 'first_day.first_day') }} as date) as rate_day
    from integers
    cross join first_day
    where
        integers.n
        <= {{ dbt.datediff('first_day.first_day', '(select as_of.as_of_date from as_of)', 'day') }}
),

final as (
    select
        rates.currency,
        days.rate_day,
        rates.rate_date,
        cast(rates.rate_to_reporting as {{ type_rate() }}) as rate_to_reporting
    from rates
    inner join days
        on
            rates.rate_date <= days.rate_day
            and (rates.next_rate_date > days.rate_day or rates.next_rate_date is null)
)

select * from final
