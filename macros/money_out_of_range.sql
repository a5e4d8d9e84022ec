{#-
    True when a money amount lies beyond what the money types hold with room to add them up:
    |amount| >= 1e15 (a thousand trillion of the currency's major unit). Rows that are true are
    quarantined as `out_of_range` (models/staging/_staging__docs.md says why this bound).
-#}
{% macro money_out_of_range(columns) -%}
    {%- set checks = [] -%}
    {%- for column in columns -%}
        {%- do checks.append('abs(' ~ column ~ ') >= 1000000000000000') -%}
    {%- endfor -%}
    ({{ checks | join(' or ') }})
{%- endmacro %}
