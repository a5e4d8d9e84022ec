{#-
    Post-hook of each quarantine model: stops the build when the quarantined share of the table's raw rows
    passes the dbt var `max_quarantine_share`. The message names the table, each reason with its count and
    sample raw rows, for `bad_type` each column whose values do not cast (recomputed from the raw table with
    the staging macros, since a quarantined row keeps its reason, not its column), and where the rows can be
    read: the stop rolls back the quarantine table, while `base_<table>` stays in the build.
-#}
{% macro assert_quarantine_share(table_name) %}
    {%- if execute -%}
        {%- set limit = var('max_quarantine_share') | float -%}
        {%- set checked = ref('base_' ~ table_name) -%}
        {#- Stripe route: the limit holds per Stripe table (source_table), excluded rows left out of both counts. -#}
        {%- set by_source = reads_stripe() and is_billing_table(table_name) -%}
        {%- set groups = run_query(
            "select " ~ ("source_table" if by_source else "'" ~ table_name ~ "'") ~ ", sum(raw_copies),"
            ~ " coalesce(sum(case when quarantine_reason is not null then 1 else 0 end), 0) from " ~ checked
            ~ " group by 1 order by 1"
        ).rows -%}
        {%- for group in groups -%}
        {%- set raw_rows = group[1] or 0 -%}
        {%- set quarantined = group[2] or 0 -%}
        {%- set shown_table = group[0] ~ ("' (Stripe, read as " ~ table_name ~ ")" if by_source else "'") -%}
        {%- set in_group = " and source_table = '" ~ group[0] ~ "'" if by_source else "" -%}
        {%- if raw_rows > 0 and quarantined / raw_rows > limit -%}
            {%- set reasons = run_query(
                "select quarantine_reason, count(*) from " ~ checked
                ~ " where quarantine_reason is not null" ~ in_group ~ " group by quarantine_reason order by 2 desc, 1"
            ) -%}
            {%- set details = [] -%}
            {%- for row in reasons.rows -%}
                {%- if row[0] == 'bad_type' -%}
                    {%- do details.append("  table " ~ table_name ~ ", reason bad_type: " ~ row[1] ~ " "
                        ~ ("row" if row[1] == 1 else "rows") ~ " with a value that does not cast to its contract type:") -%}
                    {%- do details.extend(bad_type_columns(table_name)) -%}
                {%- else -%}
                    {%- set sample = run_query(
                        "select raw_values from " ~ checked ~ " where quarantine_reason = '" ~ row[0]
                        ~ "'" ~ in_group ~ " order by raw_values limit 3"
                    ) -%}
                    {%- set examples = [] -%}
                    {%- for value in sample.columns[0].values() -%}
                        {%- do examples.append(value if value | length <= 240 else value[:237] ~ "...") -%}
                    {%- endfor -%}
                    {%- do details.append("  table " ~ table_name ~ ", reason " ~ row[0] ~ ": " ~ row[1] ~ " "
                        ~ ("row" if row[1] == 1 else "rows") ~ ", e.g. " ~ examples | join(" | ")) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set where = "in the build file " ~ env_var('CHURN_WAREHOUSE_BUILD_DB', 'build/warehouse.duckdb')
                if target.type == 'duckdb' else "in the build's database" -%}
            {{ exceptions.raise_compiler_error(
                "Quarantine limit passed for raw table '" ~ shown_table ~ ": " ~ quarantined ~ " of " ~ raw_rows
                ~ " rows quarantined (" ~ "%.2f" | format(100 * quarantined / raw_rows) ~ " %), above max_quarantine_share "
                ~ limit ~ ". By reason and column:\n" ~ details | join("\n")
                ~ "\nThe stopped build keeps no quarantine_" ~ table_name ~ " table; every quarantined row is " ~ where
                ~ ": select * from " ~ checked.schema ~ "." ~ checked.identifier ~ " where quarantine_reason is not null"
                ~ "\nCorrect those raw rows, or raise max_quarantine_share (a dbt var; --max-quarantine-share of"
                ~ " python -m churn_warehouse build) if that share of bad rows is acceptable."
            ) }}
        {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
