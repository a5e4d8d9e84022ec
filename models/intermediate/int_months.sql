-- Every calendar month from the first billed service period to the month of the as-of date.
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

first_month as (
    select min({{ month_of('period_start') }}) as first_month
    from {{ ref('int_subscription_lines_in_force') }}
),

integers as (
    {{ integers(4) }}
),

months as (
    select {{ add_months('integers.n', 'first_month.first_month') }} as month
    from integers
    cross join first_month
    where
        integers.n <= {{ dbt.datediff('first_month.first_month', '(select as_of.as_of_date from as_of)', 'month') }}
),

final as (
    select
        months.month,
        {{ month_end('months.month') }} as month_end,
        {{ month_end('months.month') }} < as_of.as_of_date as is_complete
    from months
    cross join as_of
)

select * from final
