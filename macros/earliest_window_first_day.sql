{#-
    In a model upstream of incremental `replace_window` models: the earliest first day those models
    (`model_names`) will re-read in this run, computed from their tables as the previous run left them (they are
    rebuilt after this model, so dbt has not touched them yet) with their own meta `window_column` and
    `window_extra_days`. None when parsing, on --full-refresh, or when any of them will read everything (its table
    is missing or empty). The caller decides whether it may read less (an incremental model: is_incremental()).
-#}
{% macro earliest_window_first_day(model_names) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set starts = [] -%}
    {%- for name in model_names -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ name] -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- if relation is none -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set meta = node.config.meta -%}
        {%- do starts.append(incremental_window_start(relation, meta['window_column'], meta.get('window_extra_days', 0))) -%}
    {%- endfor -%}
    {%- set first_days = run_query('select ' ~ starts | join(', ')).rows[0] | list -%}
    {{ return(none if none in first_days else first_days | min) }}
{%- endmacro %}
