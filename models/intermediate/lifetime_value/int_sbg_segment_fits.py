"""sBG retention model per segment and billing interval in contract periods, with its fallbacks and diagnostics.

One row per (segment, interval) and per (`all`, interval): the model used (the group's own fit, the
interval's fit, or constant churn), the log-likelihoods beside the constant-churn model's, and the
holdout check (churn_warehouse.subscription_cltv). A daily run whose survival rows are those of the last run
keeps its rows (churn_warehouse.fit_memo).
"""

from churn_warehouse.cltv import fit_sbg_by_segment_and_interval
from churn_warehouse.fit_memo import held_or_fitted


def model(dbt, session):
    survival = dbt.ref("int_customer_survival").df()
    min_customers = int(dbt.config.get("sbg_min_customers"))
    return held_or_fitted(
        dbt, session, (survival,), lambda: fit_sbg_by_segment_and_interval(survival, min_customers=min_customers)
    )
