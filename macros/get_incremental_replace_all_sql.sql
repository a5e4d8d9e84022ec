{#-
    Incremental strategy `replace_all`: the model's new rows replace every row of the target. For a model that
    computes its whole result on every run, but from fewer inputs when its previous rows (`this`) tell it which
    ones can have changed (base_events); `--full-refresh` or an empty file builds it from every input.
-#}
{% macro get_incremental_replace_all_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
