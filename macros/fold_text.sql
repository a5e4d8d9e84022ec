{#- `text` in lower case without accents, so that keyword matching ignores both (DuckDB's strip_accents; engines
    without it map the accented Latin letters of English and French with translate). -#}
{% macro fold_text(text) %}
    {{ return(adapter.dispatch('fold_text', 'churn_warehouse')(text)) }}
{% endmacro %}

{% macro default__fold_text(text) -%}
    translate(lower({{ text }}), 'àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ', 'aaaaaaceeeeiiiinooooouuuuyyoa')
{%- endmacro %}

{% macro duckdb__fold_text(text) -%}
    strip_accents(lower({{ text }}))
{%- endmacro %}
