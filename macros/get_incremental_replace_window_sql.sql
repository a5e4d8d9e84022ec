{#-
    Incremental strategy `replace_window`: deletes the target's rows on or after the window start
    (incremental_window_start over the column named by the model's config meta `window_column`, less its meta
    `window_extra_days` if any), the days the model re-read, then inserts the model's new rows. Unlike
    delete+insert it also removes a row of the window that no longer has a source row (say, a day whose only
    event was quarantined later). Plain SQL, for the adapters whose incremental materialisation takes custom
    strategies (DuckDB here).
-#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set window_column = meta.get('window_column') -%}
    {%- if not window_column -%}
        {{ exceptions.raise_compiler_error("incremental strategy replace_window needs meta.window_column in its config (model " ~ target ~ ")") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ window_column }} >= {{ incremental_window_start(target, window_column, meta.get('window_extra_days', 0)) }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
