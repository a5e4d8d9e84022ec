-- One row per fitted group (segment and billing interval, and all segments per interval): how well the
-- retention model behind the predicted CLTV fits, beside a constant churn rate, and how it did on a holdout.
with

fits as (
    select * from {{ ref('int_sbg_segment_fits') }}
),

final as (
    select
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(interval_months as {{ dbt.type_bigint() }}) as interval_months,
        cast(fit_source as {{ dbt.type_string() }}) as fit_source,
        cast(fit_note as {{ dbt.type_string() }}) as fit_note,
        cast(n_customers as {{ dbt.type_bigint() }}) as customers,
        cast(n_churned as {{ dbt.type_bigint() }}) as churned_customers,
        cast(renewal_decisions as {{ dbt.type_bigint() }}) as renewal_decisions,
        cast(periods_observed as {{ dbt.type_bigint() }}) as periods_observed,
        cast(sbg_alpha as {{ type_rate() }}) as sbg_alpha,
        cast(sbg_beta as {{ type_rate() }}) as sbg_beta,
        cast(period_churn_rate as {{ type_rate() }}) as period_churn_rate,
        cast(log_likelihood as {{ type_rate() }}) as log_likelihood,
        cast(constant_churn_log_likelihood as {{ type_rate() }}) as constant_churn_log_likelihood,
        cast(likelihood_ratio as {{ type_rate() }}) as likelihood_ratio,
        cast(holdout_periods as {{ dbt.type_bigint() }}) as holdout_periods,
        cast(holdout_customers as {{ dbt.type_bigint() }}) as holdout_customers,
        cast(holdout_mean_abs_error as {{ type_rate() }}) as holdout_mean_abs_error,
        cast(holdout_note as {{ dbt.type_string() }}) as holdout_note
    from fits
)

select * from final
