-- ARR renewing per month and segment over the next 12 months, weighted by each customer's current risk score
-- (docs/metrics.md, Outlook): quarterly, semi-annual and annual customers.
with

renewals as (
    select * from {{ ref('upcoming_renewals') }}
),

final as (
    select
        renewal_month,
        segment,
        cast(count(distinct customer_id) as {{ dbt.type_bigint() }}) as renewing_customers,
        {{ round_money('sum(arr_renewing)') }} as arr_renewing,
        {{ round_money('sum(arr_renewing * risk_score)') }} as risk_weighted_arr,
        {{ round_money("sum(case when risk_tier = 'high' then arr_renewing else 0 end)") }} as high_risk_arr,
        {{ round_money('sum(case when is_cancellation_scheduled then arr_renewing else 0 end)') }}
            as scheduled_cancellation_arr
    from renewals
    group by renewal_month, segment
)

select * from final
