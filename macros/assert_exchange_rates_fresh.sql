{#-
    Post-hook of a model with `currency`, `month_end` (the day a conversion needs), `rate_date` (null when
    no rate exists on or before it): stops the build, naming the currencies and days whose rate is missing
    or older than the dbt var `max_rate_age_days` (docs/raw_contract.md, What bad raw data gets).
-#}
{% macro assert_exchange_rates_fresh(relation, day_column='month_end') %}
    {%- if execute -%}
        {%- set gaps = run_query(
            "select currency, min(" ~ day_column ~ "), max(" ~ day_column ~ "), count(distinct " ~ day_column ~ ")"
            ~ " from " ~ relation
            ~ " where rate_date is null or " ~ dbt.datediff('rate_date', day_column, 'day') ~ " > " ~ var('max_rate_age_days')
            ~ " group by currency order by currency"
        ) -%}
        {%- if gaps.rows | length > 0 -%}
            {%- set details = [] -%}
            {%- for row in gaps.rows -%}
                {%- do details.append(row[0] ~ " on " ~ row[3] ~ " day(s) from " ~ row[1] ~ " to " ~ row[2]) -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "Exchange-rate gap: no rate within max_rate_age_days (" ~ var('max_rate_age_days')
                ~ ") before a day that needs a conversion, in raw table exchange_rates, column rate_to_reporting: "
                ~ details | join("; ") ~ "."
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
