{#-
    What a mart's contract enforces, checked as data where the engine does not enforce contracts (Spark: see
    `contract` in dbt_project.yml). Fails with one row per column the model's yml documents that the table
    lacks or the table has beyond them; else with every row holding a null in a column constrained not_null.
-#}
{% test contract_columns(model) %}
    {{ config(enabled=target.type == 'spark') }}
    {%- set documented = namespace(columns=[], not_null=[]) -%}
    {%- set problems = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.alias | lower == model.identifier | lower
            and node.schema | lower == model.schema | lower -%}
            {%- for column in node.columns.values() -%}
                {%- do documented.columns.append(column.name | lower) -%}
                {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list | length > 0 -%}
                    {%- do documented.not_null.append(column.name ~ ' is null') -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set actual = adapter.get_columns_in_relation(model) | map(attribute='name') | map('lower') | list -%}
        {%- for column in documented.columns if column not in actual -%}
            {%- do problems.append("column " ~ column ~ " is documented but missing") -%}
        {%- endfor -%}
        {%- for column in actual if column not in documented.columns -%}
            {%- do problems.append("column " ~ column ~ " is not documented") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if problems -%}
        {%- for problem in problems %}
    select '{{ problem }}' as problem{{ " union all" if not loop.last }}
        {%- endfor %}
    {%- else %}
    select *
    from {{ model }}
    where {{ (documented.not_null or ['false']) | join(' or ') }}
    {%- endif %}
{% endtest %}
