{#- `expression` cast to `data_type`, or null when it does not cast (never an error): how raw values are typed. -#}
{% macro try_cast(expression, data_type) %}
    {{ return(adapter.dispatch('try_cast', 'churn_warehouse')(expression, data_type)) }}
{% endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{#-
    DuckDB's try_cast reads '1.5' or '1e3' as an integer (rounding); PostgreSQL and Spark refuse them, and so
    do we: an integer is whole digits with an optional sign.
-#}
{% macro duckdb__try_cast(expression, data_type) -%}
    {%- if data_type in ('integer', 'bigint') -%}
        case
            when regexp_full_match(trim(cast({{ expression }} as varchar)), '[+-]?[0-9]+')
                then try_cast({{ expression }} as {{ data_type }})
        end
    {%- else -%}
        try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{% macro postgres__try_cast(expression, data_type) -%}
    {{ postgres_try_cast_function(data_type) }}(cast({{ expression }} as text))
{%- endmacro %}

{#-
    Spark's try_cast (ANSI rules, null on failure; dbt-spark turns ANSI mode off, where a plain cast would
    turn '1.5' into 1). A date or timestamp must start with a whole year-month-day, as on the other engines:
    Spark alone would read '2024' or '2024-01' as the first day.
-#}
{% macro spark__try_cast(expression, data_type) -%}
    {%- if data_type in ('date', 'timestamp') -%}
        case
            when cast({{ expression }} as string) rlike '^ *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}'
                then try_cast({{ expression }} as {{ data_type }})
        end
    {%- else -%}
        try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
