"""The logistic churn-risk model, fitted for each snapshot day only on outcomes known by that day.

Thin: loads the refs and calls churn_warehouse.health.fit_logistic_by_snapshot. One row per snapshot day and
model term (intercept, the eight signals, optionally ln(1 + activity counts)) with its coefficient.
"""

from churn_warehouse.health import fit_logistic_by_snapshot


def model(dbt, session):
    activity_terms = dbt.config.get("health_logistic_activity_terms")
    l2 = dbt.config.get("health_logistic_l2")
    min_churned = dbt.config.get("health_logistic_min_churned")
    signals = dbt.ref("int_customer_health_signals").df()
    outcomes = dbt.ref("int_customer_health_outcomes").df()
    snapshot_dates = dbt.ref("int_health_snapshot_dates").df()
    training_rows = signals.merge(outcomes, on=["customer_id", "snapshot_date"], how="inner")
    return fit_logistic_by_snapshot(
        training_rows,
        snapshot_dates,
        use_activity=str(activity_terms).lower() == "true",
        l2=float(l2),
        min_churned=int(min_churned),
    )
