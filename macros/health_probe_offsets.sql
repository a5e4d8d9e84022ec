{#-
    The days before each health snapshot day D on which a window of the signals ends or begins (docs/metrics.md,
    Silent churn and customer health): D itself, D - 30 and D - 60 (30-day windows of activity and complaints),
    D - 90 and D - 180 (90-day windows of one-off spend). int_health_probe_days takes every one of them; the
    activity periods' incremental window reaches back the largest.
-#}
{% macro health_probe_offsets() -%}
    {{ return([0, 30, 60, 90, 180]) }}
{%- endmacro %}
