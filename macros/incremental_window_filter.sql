{#-
    The condition through which an incremental run reads only its window: `column >= window_start` (the day from
    incremental_window_first_day, cast to `data_type`), introduced by `keyword` ('where', or 'and' after another
    condition); nothing when `window_start` is none, i.e. when the run reads everything.
-#}
{% macro incremental_window_filter(column, window_start, keyword='where', data_type='date') -%}
    {%- if window_start -%}
        {{ keyword }} {{ column }} >= cast('{{ window_start }}' as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
