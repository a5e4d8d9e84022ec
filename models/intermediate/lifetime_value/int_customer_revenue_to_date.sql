-- Per customer with a succeeded payment: revenue to date in the reporting currency (charges minus refunds).
with

payments as (
    select * from {{ ref('int_payments_converted') }}
),

final as (
    select
        customer_id,
        {{ round_money('sum(amount)') }} as revenue_to_date,
        count(*) as succeeded_payments
    from payments
    group by customer_id
)

select * from final
