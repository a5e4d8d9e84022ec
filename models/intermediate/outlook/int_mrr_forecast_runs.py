"""Every run of the MRR forecasts (survival, flat, trend_3m): as of the last complete month and of earlier month
ends with 12 months of history, months 0 to 12, beside the actual MRR (churn_warehouse.forecast)."""

from churn_warehouse.forecast import forecast_runs


def model(dbt, session):
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    return forecast_runs(
        dbt.ref("int_customer_survival").df(),
        dbt.ref("int_sbg_segment_fits").df(),
        # The six columns it reads of the largest input (one row per customer and month).
        dbt.ref("int_customer_mrr_movements")
        .project("customer_id, month, mrr, movement, new_mrr, reactivation_mrr").df(),
        dbt.ref("int_scheduled_cancellations").df(),
        as_of_date,
        min_customers=int(dbt.config.get("sbg_min_customers")),
        every_months=int(dbt.config.get("forecast_backtest_every_months")),
    )
