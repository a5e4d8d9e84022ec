{#-
    Incremental strategy `replace_keys`: deletes the target's rows whose `unique_key` the model's new rows hold,
    and those without a key, then inserts the new rows. For a base model that decides again every row of some keys
    (raw_rows_to_decide_again), including every row without a key; unlike delete+insert it also replaces the rows
    without a key, which an equality never matches.
-#}
{% macro get_incremental_replace_keys_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- if not key or key is not string -%}
        {{ exceptions.raise_compiler_error("incremental strategy replace_keys needs a one-column unique_key (model " ~ target ~ ")") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ key }} is null or {{ key }} in (select {{ key }} from {{ arg_dict['temp_relation'] }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
