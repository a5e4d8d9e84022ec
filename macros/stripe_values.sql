{#-
    Reading Stripe values as the contract's raw text. Each returns text: the value in the contract's form,
    or, when the Stripe value does not parse, the raw value itself (marked where it would otherwise cast),
    so that the contract's staging rules quarantine the row as `bad_type` with its raw value.
    `types` is stripe_column_types() of the Stripe relation.
-#}

{#- `column` when the Stripe relation has it, else a null (for the optional columns). -#}
{% macro stripe_column(types, column) -%}
    {{ column if column in types else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
{%- endmacro %}

{#- The first of `columns` the relation has, e.g. price_id else plan_id. -#}
{% macro stripe_first_column(types, columns) -%}
    {%- set present = columns | select('in', types) | list -%}
    {{ present[0] if present else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
{%- endmacro %}

{#- A Stripe timestamp (typed, or ISO-8601 text with an offset) as the text of its UTC timestamp. -#}
{% macro stripe_timestamp_text(types, column) -%}
    case
        when {{ cast_raw(column, 'timestamp', types.get(column.split('.') | last)) }} is null
            then cast({{ column }} as {{ dbt.type_string() }})
        else cast({{ cast_raw(column, 'timestamp', types.get(column.split('.') | last)) }} as {{ dbt.type_string() }})
    end
{%- endmacro %}

{#- The UTC date of a Stripe timestamp, as text. -#}
{% macro stripe_date_text(types, column) -%}
    case
        when {{ cast_raw(column, 'timestamp', types.get(column.split('.') | last)) }} is null
            then cast({{ column }} as {{ dbt.type_string() }})
        else cast(cast({{ cast_raw(column, 'timestamp', types.get(column.split('.') | last)) }} as date) as {{ dbt.type_string() }})
    end
{%- endmacro %}

{#- Whether a Stripe boolean column (typed, or text 'true'/'false') holds `value`; false when null. -#}
{% macro stripe_flag(types, column, value) -%}
    {%- if column in types -%}
        coalesce({{ try_cast(column, 'boolean') }} = {{ value }}, false)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#-
    An amount in the currency's minor unit as the text of the amount in major units: minor / 10^digits, with
    `digits` the currency's minor-unit digits (iso_4217_currencies). `discount`, when given, is subtracted
    first; `negate` flips the sign (refunds). Not whole minor units, or a currency without a minor unit:
    the raw value with a prefix that does not cast, so the row is quarantined as `bad_type`.
-#}
{% macro stripe_major_units(amount, digits, discount=none, negate=false) -%}
    {%- set minor = try_cast(amount, 'bigint') -%}
    {%- if discount is not none -%}
        {%- set minor = '(' ~ minor ~ ' - coalesce(' ~ try_cast(discount, 'bigint') ~ ', 0))' -%}
    {%- endif -%}
    case
        when {{ amount }} is null then null
        when {{ try_cast(amount, 'bigint') }} is null or {{ digits }} is null
            then {{ dbt.concat(["'not whole minor units: '", 'cast(' ~ amount ~ ' as ' ~ dbt.type_string() ~ ')']) }}
        else cast(
            {{ '-1 * ' if negate }}{{ minor }} * case {{ digits }}
                when 0 then 1
                when 1 then 0.1
                when 2 then 0.01
                when 3 then 0.001
                when 4 then 0.0001
            end as {{ dbt.type_string() }}
        )
    end
{%- endmacro %}

{#- The text value of `key` in a JSON object held as text; null when absent or not JSON. -#}
{% macro json_text_field(column, key) %}
    {{ return(adapter.dispatch('json_text_field', 'churn_warehouse')(column, key)) }}
{% endmacro %}

{% macro default__json_text_field(column, key) -%}
    json_extract_string({{ try_cast('cast(' ~ column ~ ' as varchar)', 'json') }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text_field(column, key) -%}
    {{ try_cast(column, 'json') }} ->> '{{ key }}'
{%- endmacro %}

{% macro spark__json_text_field(column, key) -%}
    get_json_object(cast({{ column }} as string), '$.{{ key }}')
{%- endmacro %}

{#- No rows, with `columns` as text: the model of an optional Stripe table that is absent (or not read). -#}
{% macro stripe_no_rows(columns) -%}
    {%- set nulls = [] -%}
    {%- for column in columns -%}
        {%- do nulls.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ column) -%}
    {%- endfor -%}
    {{ return("select\n    " ~ column_list(nulls, 4) ~ "\nwhere 1 = 0") }}
{%- endmacro %}

{#- Whether the build reads the Stripe table `table_name` (always true at parse time, so every ref is seen). -#}
{% macro stripe_table_is_read(table_name) %}
    {{ return(not execute or table_name in stripe_tables_read()) }}
{% endmacro %}

{#- Months of a Stripe recurring interval (`month` × count or `year` × 12 × count) as text; null for others. -#}
{% macro stripe_interval_months(interval, interval_count) -%}
    case
        when {{ interval_count }} is not null and {{ try_cast(interval_count, 'integer') }} is null
            then cast({{ interval_count }} as {{ dbt.type_string() }})
        when lower({{ interval }}) = 'month'
            then cast({{ try_cast(interval_count, 'integer') }} as {{ dbt.type_string() }})
        when lower({{ interval }}) = 'year'
            then cast(12 * {{ try_cast(interval_count, 'integer') }} as {{ dbt.type_string() }})
    end
{%- endmacro %}

{#-
    Minor-unit digits of the currency joined as `currencies` (the iso_4217_currencies seed). A code outside
    the seed reads as 2: its row is quarantined as unknown_currency, whatever its amount.
-#}
{% macro stripe_minor_unit_digits() -%}
    case when currencies.currency is null then 2 else currencies.minor_unit_digits end
{%- endmacro %}
