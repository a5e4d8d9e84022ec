{#-
    SQL for the first day an incremental run re-reads: the latest `day_column` value held in `relation` minus the
    dbt var `incremental_lookback_days` and minus `extra_days` (null when the relation is empty). Shared by the
    model's filter and the `replace_window` strategy's delete, so both name the same days.
-#}
{% macro incremental_window_start(relation, day_column, extra_days=0) -%}
    cast({{ dbt.dateadd('day', -((var('incremental_lookback_days') | int) + (extra_days | int)), '(select max(' ~ day_column ~ ') from ' ~ relation ~ ')') }} as date)
{%- endmacro %}
