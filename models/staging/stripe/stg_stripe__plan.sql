{{ stripe_plan_rows('plan', 'amount', 'interval', 'interval_count') }}
