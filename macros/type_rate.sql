{#- The column type of every rate and fraction: an 8-byte float on each engine. -#}
{% macro type_rate() %}
    {{ return(adapter.dispatch('type_rate', 'churn_warehouse')()) }}
{% endmacro %}

{% macro default__type_rate() -%}
    double precision
{%- endmacro %}

{% macro spark__type_rate() -%}
    double
{%- endmacro %}
