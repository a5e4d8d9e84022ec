{#- `expressions` as one comma-separated select list (one per line), so a generated list lints like written SQL. -#}
{% macro column_list(expressions, indent=8) -%}
    {{ return(expressions | join(",\n" ~ " " * indent)) }}
{%- endmacro %}
