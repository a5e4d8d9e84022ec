-- One row describing the build that produced these marts. Every text is a quoted literal (sql_string_literal):
-- a raw path may hold quotes.
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        built_at,
        as_of_date,
        cast({{ sql_string_literal(var("raw_path")) }} as {{ dbt.type_string() }}) as raw_path,
        cast({{ sql_string_literal(var("raw_format")) }} as {{ dbt.type_string() }}) as raw_format,
        cast({{ sql_string_literal(var("reporting_currency")) }} as {{ dbt.type_string() }}) as reporting_currency,
        cast({{ sql_string_literal(project_name) }} as {{ dbt.type_string() }}) as package_name,
        cast(
            {{ sql_string_literal(env_var("CHURN_WAREHOUSE_VERSION", "unknown")) }} as {{ dbt.type_string() }}
        ) as package_version,
        cast({{ sql_string_literal(dbt_version) }} as {{ dbt.type_string() }}) as dbt_version,
        cast({{ sql_string_literal(target.type) }} as {{ dbt.type_string() }}) as target_type,
        cast({{ sql_string_literal(invocation_id) }} as {{ dbt.type_string() }}) as invocation_id,
        cast(
            {{ sql_string_literal(env_var("CHURN_WAREHOUSE_SETTINGS_DIGEST", "unknown")) }} as {{ dbt.type_string() }}
        ) as settings_digest
    from as_of
)

select * from final
