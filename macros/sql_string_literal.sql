{#-
    A value as a SQL string literal whose quotes are escaped the way the engine reads them, so a path or name
    from a dbt var always stays one string and never becomes SQL (`it's` -> 'it''s'). dbt's own
    escape_single_quotes does the escaping; Spark reads a backslash as an escape, so there both are escaped.
-#}
{% macro sql_string_literal(value) -%}
    {{ return(adapter.dispatch('sql_string_literal', 'churn_warehouse')(value)) }}
{%- endmacro %}

{% macro default__sql_string_literal(value) -%}
    {{ return(dbt.string_literal(dbt.escape_single_quotes(value | string))) }}
{%- endmacro %}

{% macro spark__sql_string_literal(value) -%}
    {{ return("'" ~ ((value | string) | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") }}
{%- endmacro %}
