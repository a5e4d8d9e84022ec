{#-
    Refuses, before anything runs, a dbt var that reaches SQL as a name, a code or a number when it is not
    one: a schema name or suffix, the reporting currency, the as-of date, the raw format and every numeric
    setting are written into SQL as they are, so a value such as `raw; drop schema marts` would run.
    Free text (raw_path) is not refused but escaped where it is used (sql_string_literal).
-#}
{% macro check_sql_vars() %}
    {%- set patterns = [
        ('raw_schema', '[A-Za-z_][A-Za-z0-9_]*', 'a plain schema name (letters, digits and _; no digit first)'),
        ('stripe_schema', '[A-Za-z_][A-Za-z0-9_]*', 'a plain schema name (letters, digits and _; no digit first)'),
        ('billing_source', 'contract|stripe', "'contract' or 'stripe'"),
        ('schema_suffix', '[A-Za-z0-9_]*', 'letters, digits and _ only'),
        ('reporting_currency', '[A-Z]{3}', 'a three-letter ISO 4217 currency code such as USD'),
        ('raw_format', 'parquet|csv', "'parquet' or 'csv'"),
        ('as_of_date', '[0-9]{4}-[0-9]{2}-[0-9]{2}', 'a date written YYYY-MM-DD, or null for the latest data'),
    ] -%}
    {%- for name, pattern, meaning in patterns -%}
        {%- set value = var(name) -%}
        {%- if not (name == 'as_of_date' and not value) and not modules.re.fullmatch(pattern, value | string) -%}
            {{ sql_var_refused(name, value, meaning) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set numbers = [
        'max_rate_age_days', 'max_quarantine_share', 'gross_margin', 'cltv_churn_window', 'annual_discount_rate',
        'sbg_min_customers', 'inactive_days', 'usage_drop_pct', 'usage_drop_min_events',
        'spend_decline_one_off_ratio', 'survey_silence_surveys', 'detractor_max_nps', 'detractor_max_csat',
        'complaints_rising_min_complaints', 'complaint_unresolved_days', 'payment_failing_days',
        'email_disengaged_emails', 'health_logistic_l2', 'health_logistic_min_churned',
        'health_tier_high_min_score', 'health_tier_medium_min_score',
    ] -%}
    {%- for name in numbers -%}
        {%- if not is_sql_number(var(name)) -%}
            {{ sql_var_refused(name, var(name), 'a number') }}
        {%- endif -%}
    {%- endfor -%}
    {%- set weights = var('health_signal_weights') -%}
    {%- if weights is not mapping -%}
        {{ sql_var_refused('health_signal_weights', weights, 'a mapping of signal name to weight') }}
    {%- endif -%}
    {%- for signal, weight in weights.items() if not is_sql_number(weight) -%}
        {{ sql_var_refused('health_signal_weights', signal ~ ': ' ~ weight, 'a number for each signal') }}
    {%- endfor -%}
    select 1
{% endmacro %}

{% macro is_sql_number(value) -%}
    {{ return(value is number and value is not boolean
              or value is string and modules.re.fullmatch('-?[0-9]+(\\.[0-9]+)?', value) is not none) }}
{%- endmacro %}

{% macro sql_var_refused(name, value, meaning) -%}
    {{ exceptions.raise_compiler_error(
        "dbt var " ~ name ~ " must be " ~ meaning ~ ", got '" ~ value ~ "'. SQL reads it, so "
        ~ "nothing ran: set it to such a value (vars in dbt_project.yml, or --vars).") }}
{%- endmacro %}
