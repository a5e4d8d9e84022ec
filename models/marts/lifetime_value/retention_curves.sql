-- Per segment and billing interval (and overall per interval): observed survival of the cohorts in renewals
-- beside the sBG fit, and 24 projected months.
with

curves as (
    select * from {{ ref('int_retention_curves') }}
),

final as (
    select
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(interval_months as {{ dbt.type_bigint() }}) as interval_months,
        cast(periods_since_start as {{ dbt.type_bigint() }}) as periods_since_start,
        cast(months_since_start as {{ dbt.type_bigint() }}) as months_since_start,
        cast(is_projection as {{ dbt.type_boolean() }}) as is_projection,
        cast(customers_at_risk as {{ dbt.type_bigint() }}) as customers_at_risk,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(observed_survival as {{ type_rate() }}) as observed_survival,
        cast(fitted_survival as {{ type_rate() }}) as fitted_survival,
        cast(sbg_alpha as {{ type_rate() }}) as sbg_alpha,
        cast(sbg_beta as {{ type_rate() }}) as sbg_beta,
        cast(sbg_fit_source as {{ dbt.type_string() }}) as sbg_fit_source,
        cast(sbg_fit_note as {{ dbt.type_string() }}) as sbg_fit_note
    from curves
)

select * from final
