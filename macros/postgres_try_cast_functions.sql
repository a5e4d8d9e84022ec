{#-
    PostgreSQL has no try_cast. The hook creates one function per raw contract type in `raw_schema`:
    it casts text and returns null instead of failing, and reads text without an offset as UTC.
    postgres__try_cast calls them; these are the types cast_raw and utc_timestamp ask for.
-#}
{% macro postgres_try_cast_types() %}
    {{ return({
        'date': 'date',
        'integer': 'integer',
        'bigint': 'bigint',
        'json': 'json',
        'decimal(38, 10)': 'decimal',
        'boolean': 'boolean',
        'timestamp with time zone': 'timestamptz',
    }) }}
{% endmacro %}

{% macro postgres_try_cast_function(data_type) -%}
    {%- set suffix = postgres_try_cast_types().get(data_type) -%}
    {%- if suffix is none -%}
        {{ exceptions.raise_compiler_error("try_cast on PostgreSQL: no function for type '" ~ data_type ~ "'; add it to postgres_try_cast_types()") }}
    {%- endif -%}
    {{ var('raw_schema') }}.churn_try_cast_{{ suffix }}
{%- endmacro %}

{% macro create_postgres_try_cast_functions() %}
    {%- do run_query("create schema if not exists " ~ var('raw_schema')) -%}
    {%- for data_type in postgres_try_cast_types() -%}
        {%- do run_query(
            "create or replace function " ~ postgres_try_cast_function(data_type) ~ "(value text) returns " ~ data_type ~ "
            language plpgsql immutable set timezone = 'UTC' as $$
            begin
                return value::" ~ data_type ~ ";
            exception when others then
                return null;
            end $$"
        ) -%}
    {%- endfor -%}
{% endmacro %}
