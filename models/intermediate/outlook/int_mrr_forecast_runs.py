"""Every run of the MRR forecasts (survival, flat, trend_3m): as of the last complete month and of earlier month
ends with 12 months of history, months 0 to 12, beside the actual MRR (churn_warehouse.forecast)."""

from churn_warehouse.forecast import MONTHLY_SUMS, customer_months_read, forecast_runs, run_months


def model(dbt, session):
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    # Of the largest input (one row per customer and month), only the monthly totals and the rows the runs read:
    # the paying customers in each run's month 0 and the starts.
    movements = dbt.ref("int_customer_mrr_movements")
    monthly = movements.aggregate(MONTHLY_SUMS, "month").df()
    starts = run_months(monthly["month"], int(dbt.config.get("forecast_backtest_every_months")))
    customer_months = (
        movements.filter(customer_months_read(starts))
        .project("customer_id, month, mrr, movement").df()
    )
    return forecast_runs(
        dbt.ref("int_customer_survival").df(),
        dbt.ref("int_sbg_segment_fits").df(),
        monthly,
        customer_months,
        dbt.ref("int_scheduled_cancellations").df(),
        as_of_date,
        min_customers=int(dbt.config.get("sbg_min_customers")),
        starts=starts,
    )
