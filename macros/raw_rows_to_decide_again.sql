{#-
    For the base model of an append-only raw table on an incremental run whose window starts on `window_start`:
    the CTEs, ending in `candidates`, that select the raw rows whose quarantine or duplicate decision can differ
    from the last run's. Those are the rows dated on or after the window start (by `day_column`) or without a
    date that casts, every row of a key among those or among `held_keys` (a select of the key column from the
    model's previous rows), every row without a key, and every row whose customer is not staged. Any other row
    is dated before the window, its key appears nowhere in the window and its customer is staged, so a full
    build decides it as the last run did. Followed by a comma: the model's own CTEs come next.
-#}
{% macro raw_rows_to_decide_again(table_name, day_column, window_start, held_keys) -%}
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

    -- The keys of the rows dated in the window or without a date that casts.
    window_keys as (
        select {{ key }} from typed_raw_rows
        where
            {{ key }} is not null
            and coalesce({{ day_column }} >= cast('{{ window_start }}' as timestamp), true)
    ),

    held_keys as (
        {{ held_keys }}
    ),

    candidate_keys as (
        select {{ key }} from window_keys
        union
        select {{ key }} from held_keys
    ),

    staged_customers as (
        select customer_id from {{ ref('stg_customers') }}
    ),

    candidates as (
        select * from {{ raw_relation }}
        where
            {{ cast_raw(key, 'text') }} is null
            or {{ cast_raw(key, 'text') }} in (select candidate_keys.{{ key }} from candidate_keys)
            or {{ cast_raw('customer_id', 'text') }} is null
            or {{ cast_raw('customer_id', 'text') }} not in (select staged_customers.customer_id from staged_customers)
    ),
{%- endmacro %}

{#-
    In a base model holding every decided raw row: the first day an incremental run re-decides, the latest
    `day_column` of the staged rows it holds less `incremental_lookback_days` (quarantined rows are left out: a
    future timestamp must not move the window). None when the run decides every row: a full build,
    --full-refresh, an empty table, or parsing.
-#}
{% macro staged_window_first_day(day_column) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set staged = '(select ' ~ day_column ~ ' from ' ~ this ~ ' where quarantine_reason is null)' -%}
    {{ return(run_query('select ' ~ incremental_window_start(staged, day_column)).rows[0][0]) }}
{%- endmacro %}
