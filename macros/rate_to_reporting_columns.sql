{#-
    The two columns every conversion carries: `rate_to_reporting` and `rate_date`, for a row in `currency`
    joined (left) to `int_exchange_rates_daily` as `rates` on the day it needs. The reporting currency has
    rate 1 on that day and no rows in the rates model; a null `rate_date` for another currency is a gap that
    `assert_exchange_rates_fresh` reports.
-#}
{% macro rate_to_reporting_columns(currency, day, rates='rates') -%}
    {%- set is_reporting = currency ~ " = " ~ sql_string_literal(var('reporting_currency')) -%}
    {{ column_list([
        'case when ' ~ is_reporting ~ ' then 1 else ' ~ rates ~ '.rate_to_reporting end as rate_to_reporting',
        'case when ' ~ is_reporting ~ ' then ' ~ day ~ ' else ' ~ rates ~ '.rate_date end as rate_date',
    ]) }}
{%- endmacro %}
