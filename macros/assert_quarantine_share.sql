{#-
    Post-hook of each quarantine model: stops the build, naming the table, the reasons and the counts,
    when the quarantined share of the table's raw rows passes the dbt var `max_quarantine_share`.
-#}
{% macro assert_quarantine_share(table_name) %}
    {%- if execute -%}
        {%- set limit = var('max_quarantine_share') | float -%}
        {%- set checked = ref('base_' ~ table_name) -%}
        {%- set totals = run_query(
            "select sum(raw_copies), coalesce(sum(case when quarantine_reason is not null then 1 else 0 end), 0) from " ~ checked
        ).rows[0] -%}
        {%- set raw_rows = totals[0] or 0 -%}
        {%- set quarantined = totals[1] or 0 -%}
        {%- if raw_rows > 0 and quarantined / raw_rows > limit -%}
            {%- set reasons = run_query(
                "select quarantine_reason, count(*) from " ~ checked
                ~ " where quarantine_reason is not null group by quarantine_reason order by 2 desc, 1"
            ) -%}
            {%- set details = [] -%}
            {%- for row in reasons.rows -%}
                {%- do details.append(row[0] ~ ": " ~ row[1]) -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "Quarantine limit passed for raw table '" ~ table_name ~ "': " ~ quarantined ~ " of " ~ raw_rows
                ~ " rows quarantined (" ~ "%.2f" | format(100 * quarantined / raw_rows) ~ " %), above max_quarantine_share "
                ~ limit ~ ". By reason: " ~ details | join(", ") ~ ". See the model quarantine_" ~ table_name ~ "."
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
