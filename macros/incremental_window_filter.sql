{#-
    The condition through which an incremental run reads only its window: `column >= window_start` (the day from
    incremental_window_first_day, cast to `data_type`), or from `months_before` months earlier (a month-grain model
    whose first month replaced reads the month before it), introduced by `keyword` ('where', or 'and' after another
    condition); nothing when `window_start` is none, i.e. when the run reads everything.
-#}
{% macro incremental_window_filter(column, window_start, keyword='where', data_type='date', months_before=0) -%}
    {%- if window_start -%}
        {%- set start = "cast('" ~ window_start ~ "' as " ~ data_type ~ ")" -%}
        {{ keyword }} {{ column }} >= {{ add_months(-months_before, start) if months_before else start }}
    {%- endif -%}
{%- endmacro %}
