{#-
    With billing_source 'stripe': makes the Stripe tables readable in the schema `stripe_schema` and checks
    them before anything is built. DuckDB: a view over `<raw_path>/stripe/<table>.parquet`,
    `<raw_path>/stripe/<table>/*.parquet` or `<raw_path>/stripe/<table>.csv` (by raw_format; CSV read as
    text); an absent table gets no view. Server targets: the relations are already in `stripe_schema`.
    Every engine: an absent required table, or a read table without a required column, stops the build
    with a message naming the Stripe table and column.
-#}
{% macro register_stripe_tables() %}
    {%- if execute and reads_stripe() -%}
        {%- do adapter.dispatch('register_stripe_files', 'churn_warehouse')() -%}
        {%- do check_stripe_tables() -%}
    {%- endif -%}
{% endmacro %}

{% macro default__register_stripe_files() %}
{% endmacro %}

{#- The files a Stripe table may be read from, by raw_format. -#}
{% macro stripe_file_candidates(table_name) %}
    {%- set base = var('raw_path') | replace("'", "''") ~ '/stripe/' ~ table_name -%}
    {{ return([base ~ '.csv'] if var('raw_format') == 'csv' else [base ~ '.parquet', base ~ '/*.parquet']) }}
{% endmacro %}

{% macro duckdb__register_stripe_files() %}
    {%- set schema = var('stripe_schema') -%}
    {%- do run_query("create schema if not exists " ~ schema) -%}
    {%- for table_name in stripe_tables() -%}
        {%- set found = namespace(pattern=none) -%}
        {%- for pattern in stripe_file_candidates(table_name) if found.pattern is none -%}
            {%- if run_query("select count(*) from glob('" ~ pattern ~ "') where not file like '%/.%'").columns[0].values()[0] > 0 -%}
                {%- set found.pattern = pattern -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if found.pattern is none -%}
            {%- do run_query("drop view if exists " ~ schema ~ "." ~ table_name) -%}
        {%- else -%}
            {%- set reader = "read_csv('" ~ found.pattern ~ "', header = true, all_varchar = true)"
                if var('raw_format') == 'csv' else "read_parquet('" ~ found.pattern ~ "')" -%}
            {%- do run_query("create or replace view " ~ schema ~ "." ~ table_name ~ " as select * from " ~ reader) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{#- The relation of a Stripe table in `stripe_schema` (a source, so that models depend on it), or none when absent. -#}
{% macro stripe_relation(table_name) %}
    {{ return(source('stripe', table_name) if table_name in stripe_present_columns() else none) }}
{% endmacro %}

{#-
    The Stripe tables present in `stripe_schema`, each with its lower-case column names. Read from the
    information schema with run_query: the adapter's relation cache would open a transaction in the
    on-run-start hook, and the hook's views would be rolled back with it.
-#}
{% macro stripe_present_columns() %}
    {{ return(adapter.dispatch('stripe_present_columns', 'churn_warehouse')()) }}
{% endmacro %}

{% macro default__stripe_present_columns() %}
    {%- set found = {} -%}
    {%- set rows = run_query(
        "select lower(table_name), lower(column_name) from information_schema.columns where table_schema = '"
        ~ var('stripe_schema') ~ "' and table_catalog = '" ~ target.database ~ "' order by ordinal_position"
    ).rows -%}
    {%- for row in rows if row[0] in stripe_tables() -%}
        {%- do found.setdefault(row[0], []).append(row[1]) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{% macro spark__stripe_present_columns() %}
    {%- set found = {} -%}
    {%- for table_name in stripe_tables() -%}
        {%- set relation = adapter.get_relation(database=none, schema=var('stripe_schema'), identifier=table_name) -%}
        {%- if relation is not none -%}
            {%- do found.update({table_name: adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{#- Where a Stripe table was looked for, for messages. -#}
{% macro stripe_expected_at(table_name) %}
    {%- if target.type == 'duckdb' -%}
        {{ return(stripe_file_candidates(table_name) | join(' or ') | replace("''", "'")
            ~ " (dbt vars raw_path='" ~ var('raw_path') ~ "', raw_format='" ~ var('raw_format') ~ "')") }}
    {%- endif -%}
    {{ return("a relation " ~ var('stripe_schema') ~ "." ~ table_name ~ " (dbt var stripe_schema)") }}
{% endmacro %}

{#- The Stripe tables this build reads: every present table but the unread ones of stripe_alternatives(). -#}
{% macro stripe_tables_read() %}
    {%- set present = stripe_present_columns() -%}
    {%- set read = [] -%}
    {%- set unread = [] -%}
    {%- for group in stripe_alternatives() -%}
        {%- set first = namespace(name=none) -%}
        {%- for name in group if first.name is none and name in present -%}
            {%- set first.name = name -%}
        {%- endfor -%}
        {%- for name in group if name != first.name -%}
            {%- do unread.append(name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for name in stripe_tables() if name not in unread and name in present -%}
        {%- do read.append(name) -%}
    {%- endfor -%}
    {{ return(read) }}
{% endmacro %}

{% macro check_stripe_tables() %}
    {%- set tables = stripe_tables() -%}
    {%- set present_columns = stripe_present_columns() -%}
    {%- set read = stripe_tables_read() -%}
    {%- set problems = [] -%}
    {%- if 'subscription_history' not in read and 'subscription' not in read -%}
        {%- do problems.append("Required Stripe table 'subscription_history' (or 'subscription') is missing: expected "
            ~ stripe_expected_at('subscription_history')) -%}
    {%- endif -%}
    {%- for name, spec in tables.items() if spec['required'] and name not in ('subscription_history', 'subscription') and name not in read -%}
        {%- do problems.append("Required Stripe table '" ~ name ~ "' is missing: expected " ~ stripe_expected_at(name)) -%}
    {%- endfor -%}
    {%- for name in read -%}
        {%- set spec = tables[name] -%}
        {%- set present = present_columns[name] -%}
        {%- for column in spec['columns'] if column not in present -%}
            {%- do problems.append("Stripe table '" ~ name ~ "' lacks the required column '" ~ column ~ "' (read from "
                ~ stripe_expected_at(name) ~ ")") -%}
        {%- endfor -%}
        {%- if spec.get('one_of') and not (spec['one_of'] | select('in', present) | list) -%}
            {%- do problems.append("Stripe table '" ~ name ~ "' lacks the required column '" ~ spec['one_of'] | join("' or '")
                ~ "' (read from " ~ stripe_expected_at(name) ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("The Stripe tables cannot be read (dbt var billing_source='stripe'; "
            ~ "docs/raw_contract.md, Stripe), so nothing was built:\n  " ~ problems | join("\n  ")
            ~ "\nExport the table or column from the Stripe connector, or set billing_source='contract' to read the contract tables.") }}
    {%- endif -%}
{% endmacro %}

{#- The columns of a present Stripe relation as name -> lower-case type; empty at parse time or when absent. -#}
{% macro stripe_column_types(relation) %}
    {%- set types = {} -%}
    {%- if execute and relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do types.update({column.name | lower: column.data_type | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(types) }}
{% endmacro %}
