{#-
    Makes every raw table of the contract readable as a relation in `raw_schema` before the build.
    DuckDB: a view over the files in `raw_path` (format `raw_format`); an absent optional table, or one whose
    file is empty (0 bytes, not even a header row), becomes an empty view and is announced once, naming the
    file; an absent or 0-byte required table stops the build, naming it.
    Server targets: the tables are already there; an absent required one stops the build. PostgreSQL also
    gets its try_cast functions (postgres_try_cast_functions).
    With billing_source 'stripe' the six billing tables are read from the Stripe layout instead
    (register_stripe_tables), and only the four others are looked for here.
-#}
{% macro register_raw_tables() %}
    {%- do register_stripe_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'churn_warehouse')()) }}
{% endmacro %}

{% macro default__register_raw_tables() %}
    {%- if execute -%}
        {%- for table_name, spec in raw_contract().items() if not (reads_stripe() and is_billing_table(table_name)) -%}
            {%- set relation = adapter.get_relation(database=target.database, schema=var('raw_schema'), identifier=table_name) -%}
            {%- if relation is none and spec['required'] -%}
                {{ exceptions.raise_compiler_error("Required raw table '" ~ table_name ~ "' is missing: expected a relation " ~ var('raw_schema') ~ "." ~ table_name ~ " (docs/raw_contract.md).") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro postgres__register_raw_tables() %}
    {%- if execute -%}
        {%- do create_postgres_try_cast_functions() -%}
    {%- endif -%}
    {{ return(default__register_raw_tables()) }}
{% endmacro %}

{% macro duckdb__register_raw_tables() %}
    {%- if execute -%}
        {%- set raw_path = var('raw_path') | replace("'", "''") -%}
        {%- set raw_format = var('raw_format') -%}
        {%- if raw_format not in ('parquet', 'csv') -%}
            {{ exceptions.raise_compiler_error("dbt var raw_format must be 'parquet' or 'csv', got '" ~ raw_format ~ "'") }}
        {%- endif -%}
        {%- do run_query("create schema if not exists " ~ var('raw_schema')) -%}
        {%- for table_name, spec in raw_contract().items() if not (reads_stripe() and is_billing_table(table_name)) -%}
            {%- set candidates = [raw_path ~ '/' ~ table_name ~ '.csv'] if raw_format == 'csv'
                else [raw_path ~ '/' ~ table_name ~ '.parquet', raw_path ~ '/' ~ table_name ~ '/*.parquet'] -%}
            {%- set found = namespace(pattern=none, empty_file=false) -%}
            {%- for pattern in candidates if found.pattern is none -%}
                {%- if run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] > 0 -%}
                    {%- set found.pattern = pattern -%}
                {%- endif -%}
            {%- endfor -%}
            {#- A 0-byte file (not even a header row) holds no table: read as absent, and named. -#}
            {%- set found.empty_file = found.pattern is not none and run_query(
                "select count(*) = count(*) filter (where size = 0) from read_blob('" ~ found.pattern ~ "')"
            ).columns[0].values()[0] -%}
            {%- set shown = (found.pattern or '') | replace("''", "'") -%}
            {%- if found.empty_file and spec['required'] -%}
                {{ exceptions.raise_compiler_error("Required raw table '" ~ table_name ~ "' is an empty file (0 bytes, not even a header row): " ~ shown ~ ". Write the table with its header row (dbt vars raw_path='" ~ var('raw_path') ~ "', raw_format='" ~ raw_format ~ "').") }}
            {%- elif found.pattern is not none and not found.empty_file and raw_format == 'csv' -%}
                {%- set reader = "read_csv('" ~ found.pattern ~ "', header = true, all_varchar = true)" -%}
            {%- elif found.pattern is not none and not found.empty_file -%}
                {%- set reader = "read_parquet('" ~ found.pattern ~ "')" -%}
            {%- elif spec['required'] -%}
                {{ exceptions.raise_compiler_error("Required raw table '" ~ table_name ~ "' is missing: expected " ~ candidates | join(' or ') ~ " (dbt vars raw_path='" ~ var('raw_path') ~ "', raw_format='" ~ raw_format ~ "').") }}
            {%- else -%}
                {%- if found.empty_file -%}
                    {{ log("Optional raw table '" ~ table_name ~ "' is an empty file (0 bytes, not even a header row): " ~ shown ~ "; read as absent: the marts that need it will be empty.", info=true) }}
                {%- else -%}
                    {{ log("Optional raw table '" ~ table_name ~ "' is absent (" ~ candidates | join(' or ') ~ "): the marts that need it will be empty.", info=true) }}
                {%- endif -%}
                {%- set empty_columns = [] -%}
                {%- for column, contract_type in spec['columns'] -%}
                    {%- do empty_columns.append("cast(null as varchar) as " ~ column) -%}
                {%- endfor -%}
                {%- set reader = "(select " ~ empty_columns | join(', ') ~ " where false)" -%}
            {%- endif -%}
            {%- do run_query("create or replace view " ~ var('raw_schema') ~ "." ~ table_name ~ " as select * from " ~ reader) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
