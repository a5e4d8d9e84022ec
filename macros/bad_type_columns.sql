{#-
    For a quarantine stop: one line per contract column of `table_name` whose raw values do not cast, among
    the rows quarantined as `bad_type`, with the count and up to three keys and raw values.
-#}
{% macro bad_type_columns(table_name) %}
    {%- set spec = table_spec(table_name) -%}
    {%- set raw_relation = billing_relation(table_name, in_hook=true) -%}
    {%- set typed_columns = spec['columns'] | rejectattr(1, 'equalto', 'text') | list -%}
    {%- set failing -%}
        with

        source as (
            {{ billing_rows(table_name, in_hook=true) }}
        ),

        collapsed as (
            {{ collapse_exact_duplicates('source', table_name) }}
        ),

        typed as (
            {{ typed_raw_rows('collapsed', table_name, raw_relation) }}
        ),

        failing as (
            select * from typed
            where (case {{ key_and_type_rules() }} end) = 'bad_type'
        )
    {%- endset -%}
    {%- set counts = [] -%}
    {%- for column, contract_type in typed_columns -%}
        {%- do counts.append("sum(case when raw__" ~ column ~ " is not null and " ~ column ~ " is null then 1 else 0 end)") -%}
    {%- endfor -%}
    {%- set found = run_query(failing ~ " select " ~ counts | join(", ") ~ " from failing").rows[0] -%}
    {%- set lines = [] -%}
    {%- for column, contract_type in typed_columns -%}
        {%- set rows = found[loop.index0] or 0 -%}
        {%- if rows > 0 -%}
            {%- set sample = run_query(
                failing ~ " select " ~ spec['key'] | join(", ") ~ ", raw__" ~ column ~ " from failing where raw__"
                ~ column ~ " is not null and " ~ column ~ " is null order by 1 limit 3"
            ) -%}
            {%- set examples = [] -%}
            {%- for example in sample.rows -%}
                {%- set parts = [] -%}
                {%- for key in spec['key'] -%}
                    {%- do parts.append(key ~ "=" ~ example[loop.index0]) -%}
                {%- endfor -%}
                {%- do parts.append(column ~ "='" ~ (example[-1] | string)[:80] ~ "'") -%}
                {%- do examples.append(parts | join(" ")) -%}
            {%- endfor -%}
            {%- do lines.append("    table " ~ table_name ~ ", column " ~ column ~ ": " ~ rows ~ " " ~ ("row does" if rows == 1 else "rows do")
                ~ " not cast to " ~ contract_type ~ ", e.g. " ~ examples | join(" | ")) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(lines) }}
{% endmacro %}
