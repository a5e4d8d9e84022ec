{#-
    For the base model of an append-only raw table on an incremental run: the CTEs, ending in `candidates`, that
    select the raw rows whose quarantine or duplicate decision can differ from the last run's. Those are the rows
    of the window (`window_rows`: a condition on the typed raw columns, true for a row dated on or after the
    window start or without a date that casts), every row of a key among those or among the keys the model's
    previous rows hold (those of its quarantined rows, or every key with `every_key_held`: a model that holds only
    the rows needing a decision), every row without a key, and every row matching one of
    `unresolved` (conditions on the raw columns: a reference to a customer or invoice that is not staged, a
    currency without rates). Any other row is dated before the window, its key appears nowhere in the window and
    what it references is as it was, so a full build decides it as the last run did. Each CTE reads the raw table
    itself (a CTE read twice is materialised). Followed by a comma: the model's own CTEs come next.
-#}
{% macro raw_rows_to_decide_again(table_name, window_rows, unresolved, every_key_held=false) -%}
    {%- set spec = table_spec(table_name) -%}
    {%- if spec['key'] | length != 1 -%}
        {{ exceptions.raise_compiler_error("raw_rows_to_decide_again: " ~ table_name ~ " must have a one-column key") }}
    {%- endif -%}
    {%- set key = spec['key'][0] -%}
    {%- set raw_relation = source('raw', table_name) -%}
    raw_rows as (
        select * from {{ raw_relation }}
    ),

    typed_raw_rows as (
        {{ typed_raw_rows('raw_rows', table_name, raw_relation, with_checks=false) }}
    ),

    window_keys as (
        select {{ key }} from typed_raw_rows
        where {{ key }} is not null and ({{ window_rows }})
    ),

    held_keys as (
        select {{ key }} from {{ this }}
        where {{ key }} is not null{{ '' if every_key_held else ' and quarantine_reason is not null' }}
    ),

    candidate_keys as (
        select {{ key }} from window_keys
        union
        select {{ key }} from held_keys
    ),

    candidates as (
        select * from {{ raw_relation }}
        where
            {{ cast_raw(key, 'text') }} is null
            or {{ cast_raw(key, 'text') }} in (select candidate_keys.{{ key }} from candidate_keys)
            {%- for condition in unresolved %}
            or {{ condition }}
            {%- endfor %}
    ),
{%- endmacro %}

{#- `column >= window_start` (a timestamp column), or true when the column is null: the window's rows. -#}
{% macro dated_in_window(column, window_start) -%}
    coalesce({{ column }} >= cast('{{ window_start }}' as timestamp), true)
{%- endmacro %}

{#-
    The raw `column` (a reference) of a row that is null or not among the keys `staged_keys` selects: a row whose
    decision follows what it references (an orphan, or a row whose parent may become one).
-#}
{% macro unstaged_reference(column, staged_keys, null_counts=true) -%}
    {%- set value = cast_raw(column, 'text') -%}
    {{ (value ~ ' is null or ') if null_counts else '' }}{{ value }} not in ({{ staged_keys }})
{%- endmacro %}

{#-
    In a base model holding every decided raw row: the first day an incremental run re-decides, the latest
    `day_column` of the staged rows it holds less `incremental_lookback_days` (quarantined rows are left out: a
    future timestamp must not move the window). `staged_days` replaces the select of those days (a table whose
    rows have no day of their own). None when the run decides every row: a full build, --full-refresh, an empty
    table, or parsing.
-#}
{% macro staged_window_first_day(day_column, staged_days=none) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set staged = staged_days or 'select ' ~ day_column ~ ' from ' ~ this ~ ' where quarantine_reason is null' -%}
    {{ return(run_query('select ' ~ incremental_window_start('(' ~ staged ~ ')', day_column)).rows[0][0]) }}
{%- endmacro %}

{#-
    The raw `column` (a currency) of a row whose currency is not the reporting currency and has no exchange rate:
    a row whose decision follows the rates file, which a daily run may replace.
-#}
{% macro unrated_currency(column) -%}
    {%- set value = cast_raw(column, 'text') -%}
    ({{ value }} != {{ sql_string_literal(var("reporting_currency")) }} and {{ value }} not in (select rates.currency from {{ ref('stg_exchange_rates') }} as rates))
{%- endmacro %}
