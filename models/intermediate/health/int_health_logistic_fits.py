"""The logistic churn-risk model, fitted for each snapshot day only on outcomes known by that day.

Thin: loads the refs and calls churn_warehouse.health.fit_logistic_by_snapshot. It reads the distinct training
patterns with their counts (int_health_training_patterns), not the signals table. One row per snapshot day and
model term (intercept, the eight signals, optionally ln(1 + activity counts)) with its coefficient.
Incremental on DuckDB: a run fits only the snapshot days its `replace_window` strategy replaces
(churn_warehouse.health.days_to_refit) and keeps the earlier days' fits.
"""

from churn_warehouse.health import days_to_refit, fit_logistic_by_snapshot


def model(dbt, session):
    use_activity = str(dbt.config.get("health_logistic_activity_terms")).lower() == "true"
    patterns = dbt.ref("int_health_training_patterns").df()
    snapshot_dates = dbt.ref("int_health_snapshot_dates").df()
    start = None
    if dbt.is_incremental:
        snapshot_dates, start = days_to_refit(
            session.sql(f"select * from {dbt.this}").df(),
            snapshot_dates,
            lookback_days=int(dbt.config.get("incremental_lookback_days")),
            use_activity=use_activity,
        )
    return fit_logistic_by_snapshot(
        patterns,
        snapshot_dates,
        use_activity=use_activity,
        l2=float(dbt.config.get("health_logistic_l2")),
        min_churned=int(dbt.config.get("health_logistic_min_churned")),
        start=start,
    )
