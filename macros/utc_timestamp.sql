{#- A raw timestamp (typed, or ISO-8601 text with or without an offset) as a UTC timestamp without time zone; null when it does not parse. -#}
{% macro utc_timestamp(column) %}
    {{ return(adapter.dispatch('utc_timestamp', 'churn_warehouse')(column)) }}
{% endmacro %}

{% macro default__utc_timestamp(column) -%}
    cast({{ try_cast(column, 'timestamp with time zone') }} at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__utc_timestamp(column) -%}
    timezone('UTC', try_cast({{ column }} as timestamptz))
{%- endmacro %}

{#-
    Spark reads text without an offset in the session time zone (UTC in the spark target). Like DuckDB and
    PostgreSQL it takes a date alone or a date and time of at least hours and minutes; seconds missing before
    an offset ('10:00Z', which Spark alone rejects) are read as :00.
-#}
{% macro spark__utc_timestamp(column) -%}
    case
        when cast({{ column }} as string) rlike '^ *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( *$|[T ][0-9]{1,2}:[0-9]{2})'
            then try_cast(
                regexp_replace(
                    cast({{ column }} as string),
                    '^( *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[T ][0-9]{1,2}:[0-9]{2})([^:0-9]|$)',
                    '$1:00$2'
                ) as timestamp
            )
    end
{%- endmacro %}
