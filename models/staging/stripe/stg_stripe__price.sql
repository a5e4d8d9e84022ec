{{ stripe_plan_rows('price', 'unit_amount', 'recurring_interval', 'recurring_interval_count', price_type='type') }}
