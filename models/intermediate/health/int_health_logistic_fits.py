"""The logistic churn-risk model, fitted for each snapshot day only on outcomes known by that day.

Thin: loads the refs and calls churn_warehouse.health.fit_logistic_by_snapshot. It reads the distinct training
patterns with their counts (int_health_training_patterns), not the signals table. One row per snapshot day and
model term (intercept, the eight signals, optionally ln(1 + activity counts)) with its coefficient.
"""

from churn_warehouse.health import fit_logistic_by_snapshot


def model(dbt, session):
    activity_terms = dbt.config.get("health_logistic_activity_terms")
    l2 = dbt.config.get("health_logistic_l2")
    min_churned = dbt.config.get("health_logistic_min_churned")
    patterns = dbt.ref("int_health_training_patterns").df()
    snapshot_dates = dbt.ref("int_health_snapshot_dates").df()
    return fit_logistic_by_snapshot(
        patterns,
        snapshot_dates,
        use_activity=str(activity_terms).lower() == "true",
        l2=float(l2),
        min_churned=int(min_churned),
    )
