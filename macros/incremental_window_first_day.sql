{#-
    In a model using the `replace_window` strategy: the first day an incremental run re-reads (from its config
    meta `window_column` and `window_extra_days`, through incremental_window_start, the bound the strategy
    deletes from), or none when the model reads everything (a full build, --full-refresh, an empty table, or
    parsing).
-#}
{% macro incremental_window_first_day() -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set start = incremental_window_start(this, meta.get('window_column'), meta.get('window_extra_days', 0)) -%}
    {{ return(run_query('select ' ~ start).columns[0].values()[0]) }}
{%- endmacro %}
