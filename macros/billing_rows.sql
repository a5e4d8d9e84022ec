{#-
    The raw rows a contract table's staging reads (the `source` CTE of base_<table>). Contract route: the raw
    table. Stripe route (dbt var billing_source), for the six billing tables: the rows of its Stripe models
    (models/staging/stripe) in the contract's columns, as text, with `source_table` (the Stripe table) and
    `source_reason` (a Stripe-only quarantine reason), leaving out the excluded rows.
    `in_hook`: called from a quarantine model's post-hook, whose model does not depend on the Stripe models
    (dbt refuses a ref() it did not see at parse time): their relations are named beside base_<table>.
-#}
{% macro billing_rows(table_name, in_hook=false) -%}
    {%- if reads_stripe() and is_billing_table(table_name) -%}
        {%- set columns = table_spec(table_name)['columns'] | map(attribute=0) | list -%}
        {%- for model in stripe_models(table_name) %}
    select
        {{ column_list(columns) }}
    from {{ stripe_model_relation(table_name, model, in_hook) }}
    where exclusion_reason is null
    {%- if not loop.last %}
    union all
    {%- endif %}
        {%- endfor %}
    {%- else %}
    select *{{ absent_optional_columns(table_name) }} from {{ source('raw', table_name) }}
    {%- endif -%}
{%- endmacro %}

{#- `, cast(null as text) as <column>` for each optional contract column the raw relation of `table_name` lacks. -#}
{% macro absent_optional_columns(table_name) -%}
    {%- set optional = raw_contract()[table_name].get('optional_columns', []) -%}
    {%- if optional and execute -%}
        {%- set present = adapter.get_columns_in_relation(source('raw', table_name)) | map(attribute='name') | map('lower') | list -%}
        {%- for column in optional if column not in present -%}
            , cast(null as {{ dbt.type_string() }}) as {{ column }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The relation whose column types typed_raw_rows reads for `table_name` (Stripe models give text). -#}
{% macro billing_relation(table_name, in_hook=false) -%}
    {%- if reads_stripe() and is_billing_table(table_name) -%}
        {{ return(stripe_model_relation(table_name, stripe_models(table_name)[0], in_hook)) }}
    {%- endif -%}
    {{ return(source('raw', table_name)) }}
{%- endmacro %}

{#- A Stripe model feeding `table_name`: its ref, or (in_hook) the relation of that name in base_<table>'s schema. -#}
{% macro stripe_model_relation(table_name, model, in_hook) -%}
    {%- if not in_hook -%}
        {{ return(ref(model)) }}
    {%- endif -%}
    {%- set base = ref('base_' ~ table_name) -%}
    {{ return(api.Relation.create(database=base.database, schema=base.schema, identifier=model)) }}
{%- endmacro %}

{#- The Stripe models (models/staging/stripe) whose rows become the contract table `table_name`. -#}
{% macro stripe_models(table_name) %}
    {{ return({
        'customers': ['stg_stripe__customer'],
        'plans': ['stg_stripe__price', 'stg_stripe__plan'],
        'subscriptions': ['stg_stripe__subscription_history'],
        'invoices': ['stg_stripe__invoice'],
        'invoice_lines': ['stg_stripe__invoice_line_item'],
        'payments': ['stg_stripe__charge', 'stg_stripe__refund'],
    }[table_name]) }}
{% endmacro %}

{#-
    raw_contract()[table_name], plus, for a billing table read from Stripe, the text columns `source_table`
    and `source_reason`: they ride through collapsing, typing and checking like the contract's columns.
-#}
{% macro table_spec(table_name) %}
    {%- set spec = raw_contract()[table_name] -%}
    {%- if reads_stripe() and is_billing_table(table_name) -%}
        {{ return({'required': spec['required'], 'key': spec['key'],
            'columns': spec['columns'] + [('source_table', 'text'), ('source_reason', 'text')]}) }}
    {%- endif -%}
    {{ return(spec) }}
{% endmacro %}

{#- In the Stripe route, a Stripe-only reason (unsupported_interval, unknown_interval) right after the key and type rules. -#}
{% macro source_rules(table_name) -%}
    {%- if reads_stripe() and is_billing_table(table_name) -%}
            when source_reason is not null then source_reason
    {%- endif -%}
{%- endmacro %}
