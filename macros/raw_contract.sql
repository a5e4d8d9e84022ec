{#-
    The ten raw tables of the raw data contract (README.md): columns with their contract type, key, and
    whether the table is required. Types: text, timestamp, date, integer, decimal, boolean.
    Every staging, quarantine and accounting model reads its column list from here.
-#}
{% macro raw_contract() %}
    {{ return({
        'customers': {'required': true, 'key': ['customer_id'], 'columns': [
            ('customer_id', 'text'), ('created_at', 'timestamp'), ('country', 'text'),
            ('segment', 'text'), ('acquisition_channel', 'text')]},
        'plans': {'required': false, 'key': ['plan_id'], 'columns': [
            ('plan_id', 'text'), ('plan_name', 'text'), ('interval_months', 'integer'),
            ('currency', 'text'), ('list_price', 'decimal')]},
        'subscriptions': {'required': true, 'key': ['subscription_id'], 'columns': [
            ('subscription_id', 'text'), ('customer_id', 'text'), ('plan_id', 'text'), ('status', 'text'),
            ('trial_start_at', 'timestamp'), ('trial_end_at', 'timestamp'), ('started_at', 'timestamp'),
            ('canceled_at', 'timestamp'), ('cancel_reason', 'text'), ('cancel_at', 'timestamp')],
            'optional_columns': ['cancel_at']},
        'invoices': {'required': true, 'key': ['invoice_id'], 'columns': [
            ('invoice_id', 'text'), ('customer_id', 'text'), ('subscription_id', 'text'),
            ('issued_at', 'timestamp'), ('currency', 'text'), ('status', 'text')]},
        'invoice_lines': {'required': true, 'key': ['line_id'], 'columns': [
            ('line_id', 'text'), ('invoice_id', 'text'), ('line_type', 'text'), ('plan_id', 'text'),
            ('quantity', 'integer'), ('amount', 'decimal'), ('period_start', 'date'),
            ('period_end', 'date'), ('interval_months', 'integer')]},
        'payments': {'required': true, 'key': ['payment_id'], 'columns': [
            ('payment_id', 'text'), ('invoice_id', 'text'), ('attempted_at', 'timestamp'),
            ('amount', 'decimal'), ('currency', 'text'), ('payment_type', 'text'), ('status', 'text'),
            ('failure_reason', 'text')]},
        'exchange_rates': {'required': false, 'key': ['rate_date', 'currency'], 'columns': [
            ('rate_date', 'date'), ('currency', 'text'), ('rate_to_reporting', 'decimal')]},
        'events': {'required': true, 'key': ['event_id'], 'columns': [
            ('event_id', 'text'), ('customer_id', 'text'), ('user_id', 'text'), ('event_name', 'text'),
            ('occurred_at', 'timestamp'), ('properties', 'text')]},
        'survey_responses': {'required': false, 'key': ['response_id'], 'columns': [
            ('response_id', 'text'), ('customer_id', 'text'), ('survey_type', 'text'),
            ('sent_at', 'timestamp'), ('responded_at', 'timestamp'), ('score', 'integer'),
            ('comment', 'text')]},
        'support_tickets': {'required': false, 'key': ['ticket_id'], 'columns': [
            ('ticket_id', 'text'), ('customer_id', 'text'), ('opened_at', 'timestamp'),
            ('resolved_at', 'timestamp'), ('category', 'text'), ('priority', 'text'),
            ('is_complaint', 'boolean')]},
    }) }}
{% endmacro %}
