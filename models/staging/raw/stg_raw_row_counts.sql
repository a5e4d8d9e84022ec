-- Rows in each raw table as read, before anything is collapsed, excluded or quarantined: the left side of
-- the accounting identity. With billing_source 'stripe' the six billing tables are replaced by the Stripe
-- tables the build reads (docs/raw_contract.md, Stripe).
{%- set counted = [] %}
{%- for table_name in raw_contract() if not (reads_stripe() and is_billing_table(table_name)) %}
    {%- do counted.append((table_name, source('raw', table_name))) %}
{%- endfor %}
{%- if reads_stripe() %}
    {%- for table_name in stripe_tables() if stripe_table_is_read(table_name) %}
        {%- do counted.append((table_name, source('stripe', table_name))) %}
    {%- endfor %}
{%- endif %}

with

counted as (
    {%- for table_name, relation in counted %}
        select
            '{{ table_name }}' as table_name,
            count(*) as raw_rows
        from {{ relation }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from counted
