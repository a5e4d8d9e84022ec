{#-
    A post-hook statement that refreshes the planner statistics of the table a model just built, where the
    engine needs it: PostgreSQL plans the next model before autovacuum has analysed a fresh table, and a plan
    made without statistics can run for minutes instead of a second. Empty (no statement) elsewhere.
-#}
{% macro analyze_table() %}
    {{ return(adapter.dispatch('analyze_table', 'churn_warehouse')()) }}
{% endmacro %}

{% macro default__analyze_table() %}{% endmacro %}

{% macro postgres__analyze_table() -%}
    {%- if model.config.materialized == 'table' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
