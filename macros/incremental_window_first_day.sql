{#-
    In a model using the `replace_window` strategy: the first day an incremental run re-reads (from its config
    meta `window_column` and `window_extra_days`, through incremental_window_start, the bound the strategy
    deletes from), or none when the model reads everything (a full build, --full-refresh, an empty table, or
    parsing). The same computation as earliest_window_first_day, on the model itself.
-#}
{% macro incremental_window_first_day() -%}
    {{ return(earliest_window_first_day([model.name]) if is_incremental() else none) }}
{%- endmacro %}
