{#-
    Incremental strategy `replace_window`: deletes the target's rows that match every `incremental_predicates`
    entry (the window the model re-read), then inserts the model's new rows. Unlike delete+insert it also
    removes a row of the window that no longer has a source row (say, a day whose only event was quarantined
    later). Plain SQL, for the adapters whose incremental materialisation takes custom strategies (DuckDB here).
-#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set predicates = arg_dict['incremental_predicates'] or [] -%}
    {%- if not predicates -%}
        {{ exceptions.raise_compiler_error("incremental strategy replace_window needs incremental_predicates naming the window to replace (model " ~ target ~ ")") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ predicates | join(' and ') }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
