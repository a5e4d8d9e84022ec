{#- The moment this dbt invocation started, in UTC, as a timestamp literal: raw events after it are `future_timestamp`. -#}
{% macro build_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}
