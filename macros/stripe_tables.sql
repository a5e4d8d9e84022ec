{#-
    The Stripe tables read when the dbt var billing_source is 'stripe' (docs/raw_contract.md, Stripe): for each,
    the contract table it feeds, whether it is required, the columns it must have, the columns read when
    present (`optional`), and groups of which at least one column must be present (`one_of`). `alternatives`
    names tables of which the first present one is read (subscription_history or subscription, price or plan).
-#}
{% macro stripe_tables() %}
    {%- set subscription_columns = ['id', 'customer_id', 'status', 'trial_start', 'trial_end', 'start_date',
        'canceled_at', 'ended_at'] -%}
    {%- set subscription_optional = ['livemode', 'is_deleted', 'cancellation_details_reason',
        'cancellation_details_feedback', 'cancel_at'] -%}
    {{ return({
        'customer': {'feeds': 'customers', 'required': true,
            'columns': ['id', 'created', 'address_country', 'metadata'], 'optional': ['livemode', 'is_deleted']},
        'price': {'feeds': 'plans', 'required': false,
            'columns': ['id', 'nickname', 'currency', 'unit_amount', 'recurring_interval',
                'recurring_interval_count', 'type'],
            'optional': ['livemode', 'is_deleted']},
        'plan': {'feeds': 'plans', 'required': false,
            'columns': ['id', 'nickname', 'currency', 'amount', 'interval', 'interval_count'],
            'optional': ['livemode', 'is_deleted']},
        'subscription_history': {'feeds': 'subscriptions', 'required': true,
            'columns': subscription_columns + ['_fivetran_active'], 'optional': subscription_optional},
        'subscription': {'feeds': 'subscriptions', 'required': true,
            'columns': subscription_columns, 'optional': subscription_optional},
        'subscription_item': {'feeds': 'subscriptions', 'required': true,
            'columns': ['id', 'subscription_id', 'created'], 'one_of': ['price_id', 'plan_id'],
            'optional': ['is_deleted']},
        'invoice': {'feeds': 'invoices', 'required': true,
            'columns': ['id', 'customer_id', 'subscription_id', 'created', 'currency', 'status'],
            'optional': ['livemode', 'is_deleted']},
        'invoice_line_item': {'feeds': 'invoice_lines', 'required': true,
            'columns': ['id', 'invoice_id', 'type', 'proration', 'quantity', 'amount', 'period_start',
                'period_end'],
            'one_of': ['price_id', 'plan_id'], 'optional': ['unique_id', 'discount_amount', 'livemode']},
        'charge': {'feeds': 'payments', 'required': true,
            'columns': ['id', 'invoice_id', 'created', 'amount', 'currency', 'status', 'failure_code'],
            'optional': ['livemode']},
        'refund': {'feeds': 'payments', 'required': false,
            'columns': ['id', 'charge_id', 'amount', 'currency', 'created', 'status'], 'optional': []},
    }) }}
{% endmacro %}

{#- Tables of which the first present one is read, the others left unread. -#}
{% macro stripe_alternatives() %}
    {{ return([['subscription_history', 'subscription'], ['price', 'plan']]) }}
{% endmacro %}

{#- Whether the build reads the Stripe layout for the six billing tables (dbt var billing_source). -#}
{% macro reads_stripe() %}
    {{ return(var('billing_source') == 'stripe') }}
{% endmacro %}

{#- Whether `table_name` (a contract table) is one of the six billing tables the Stripe layout replaces. -#}
{% macro is_billing_table(table_name) %}
    {{ return(table_name in ['customers', 'plans', 'subscriptions', 'invoices', 'invoice_lines', 'payments']) }}
{% endmacro %}
