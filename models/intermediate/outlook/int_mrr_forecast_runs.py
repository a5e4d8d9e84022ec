"""Every run of the MRR forecasts (survival, flat, trend_3m): as of the last complete month and of earlier month
ends with 12 months of history, months 0 to 12, beside the actual MRR (churn_warehouse.forecast). A daily run whose
backtest inputs are those of the last run keeps the backtest runs' survival forecasts (churn_warehouse.fit_memo)."""

from churn_warehouse.fit_memo import DIGEST_COLUMN, held_rows
from churn_warehouse.forecast import (
    MONTHLY_SUMS, backtest_inputs_digest, customer_months_read, forecast_runs, run_months,
)


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
    survival = dbt.ref("int_customer_survival").df()
    scheduled = dbt.ref("int_scheduled_cancellations").df()
    digest = backtest_inputs_digest(survival, monthly, customer_months, scheduled, starts)
    held = held_rows(session, dbt.this, digest) if dbt.is_incremental else None
    return forecast_runs(
        survival,
        dbt.ref("int_sbg_segment_fits").df(),
        monthly,
        customer_months,
        scheduled,
        as_of_date,
        min_customers=int(dbt.config.get("sbg_min_customers")),
        starts=starts,
        held=held.to_pandas() if held is not None else None,
    ).assign(**{DIGEST_COLUMN: digest})
