{#-
    In a model using the `replace_window` strategy: the first day an incremental run re-reads (its config meta
    `window_column`, through incremental_window_start, the bound the strategy deletes from), or none when the
    model reads everything (a full build, --full-refresh, an empty table, or parsing).
-#}
{% macro incremental_window_first_day() -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window_column = (config.get('meta') or {}).get('window_column') -%}
    {{ return(run_query('select ' ~ incremental_window_start(this, window_column)).columns[0].values()[0]) }}
{%- endmacro %}
