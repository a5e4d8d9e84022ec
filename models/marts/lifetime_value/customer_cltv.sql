-- One row per customer: tenure, current MRR, revenue to date and the predictive CLTV of docs/metrics.md.
with

customers as (
    select
        customer_id,
        segment
    from {{ ref('stg_customers') }}
),

dimensions as (
    select
        customer_id,
        segment
    from {{ ref('int_customer_dimensions') }}
),

survival as (
    select * from {{ ref('int_customer_survival') }}
),

revenue as (
    select * from {{ ref('int_customer_revenue_to_date') }}
),

predicted as (
    select * from {{ ref('int_customer_cltv_predicted') }}
),

final as (
    select
        customers.customer_id,
        coalesce(dimensions.segment, customers.segment, 'unknown') as segment,
        cast(survival.tenure_months as {{ dbt.type_bigint() }}) as tenure_months,
        {{ round_money('coalesce(survival.current_mrr, 0)') }} as current_mrr,
        {{ round_money('coalesce(revenue.revenue_to_date, 0)') }} as revenue_to_date,
        cast(predicted.sbg_period_months as {{ dbt.type_bigint() }}) as sbg_period_months,
        cast(predicted.sbg_alpha as {{ type_rate() }}) as sbg_alpha,
        cast(predicted.sbg_beta as {{ type_rate() }}) as sbg_beta,
        cast(predicted.sbg_fit_source as {{ dbt.type_string() }}) as sbg_fit_source,
        cast(predicted.sbg_fit_note as {{ dbt.type_string() }}) as sbg_fit_note,
        cast(predicted.expected_residual_lifetime_months as {{ type_rate() }}) as expected_residual_lifetime_months,
        {{ round_money('predicted.cltv_predicted') }} as cltv_predicted,
        cast(predicted.p_alive as {{ type_rate() }}) as p_alive,
        cast(predicted.expected_purchases_12m as {{ type_rate() }}) as expected_purchases_12m,
        {{ round_money('predicted.expected_margin_12m') }} as expected_margin_12m,
        cast(predicted.purchase_model_note as {{ dbt.type_string() }}) as purchase_model_note,
        cast(predicted.purchase_model as {{ dbt.type_string() }}) as purchase_model,
        cast(predicted.bg_nbd_holdout_log_likelihood as {{ type_rate() }}) as bg_nbd_holdout_log_likelihood,
        cast(predicted.modified_bg_nbd_holdout_log_likelihood as {{ type_rate() }})
            as modified_bg_nbd_holdout_log_likelihood
    from customers
    left join dimensions on customers.customer_id = dimensions.customer_id
    left join survival on customers.customer_id = survival.customer_id
    left join revenue on customers.customer_id = revenue.customer_id
    left join predicted on customers.customer_id = predicted.customer_id
)

select * from final
