{#-
    Schemas are exactly the configured names (`marts`, `staging`, ...), so BI tools read `marts.<name>`.
    A build on PostgreSQL writes them with the dbt var `schema_suffix` (`__build`) and publishes them by
    renaming, in one transaction, once every model and test passed.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ var('schema_suffix') }}
    {%- endif -%}
{%- endmacro %}
