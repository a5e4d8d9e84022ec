{#- The first three quarantine rules, shared by every raw table: a null key, a key shared by different rows, a value that does not cast. -#}
{% macro key_and_type_rules() -%}
            when has_null_key then 'null_key'
            when key_rows > 1 then 'duplicate_key'
            when has_bad_type then 'bad_type'
{%- endmacro %}

{#- The final columns of a checked raw table: typed contract columns, copies, reason, and the raw text of quarantined rows. -#}
{% macro checked_raw_columns(table_name) -%}
    {%- for column, contract_type in raw_contract()[table_name]['columns'] %}
        {{ column }},
    {%- endfor %}
        raw_copies,
        quarantine_reason,
        case when quarantine_reason is not null then raw_values end as raw_values
{%- endmacro %}
