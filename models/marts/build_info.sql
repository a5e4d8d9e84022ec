-- One row describing the build that produced these marts.
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        built_at,
        as_of_date,
        cast('{{ var("raw_path") }}' as {{ dbt.type_string() }}) as raw_path,
        cast('{{ var("raw_format") }}' as {{ dbt.type_string() }}) as raw_format,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast('{{ project_name }}' as {{ dbt.type_string() }}) as package_name,
        cast('{{ env_var("CHURN_WAREHOUSE_VERSION", "unknown") }}' as {{ dbt.type_string() }}) as package_version,
        cast('{{ dbt_version }}' as {{ dbt.type_string() }}) as dbt_version,
        cast('{{ target.type }}' as {{ dbt.type_string() }}) as target_type,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as invocation_id
    from as_of
)

select * from final
