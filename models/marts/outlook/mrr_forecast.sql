-- The 12-month MRR forecast as of the last complete month (docs/metrics.md, Outlook): month 0 is today's MRR.
with

runs as (
    select * from {{ ref('int_mrr_forecast_runs') }}
    where is_latest and method = 'survival'
),

final as (
    select
        as_of_month,
        cast(months_ahead as {{ dbt.type_bigint() }}) as months_ahead,
        month,
        {{ round_money('forecast_mrr') }} as forecast_mrr,
        {{ round_money('existing_mrr') }} as existing_mrr,
        {{ round_money('new_business_mrr') }} as new_business_mrr,
        {{ round_money('low_mrr') }} as low_mrr,
        {{ round_money('high_mrr') }} as high_mrr
    from runs
)

select * from final
