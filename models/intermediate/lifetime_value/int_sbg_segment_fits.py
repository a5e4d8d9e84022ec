"""sBG retention model per segment and billing interval in contract periods, with its fallbacks and diagnostics.

One row per (segment, interval) and per (`all`, interval): the model used (the group's own fit, the
interval's fit, or constant churn), the log-likelihoods beside the constant-churn model's, and the
holdout check (churn_warehouse.subscription_cltv).
"""

from churn_warehouse.cltv import fit_sbg_by_segment_and_interval


def model(dbt, session):
    survival = dbt.ref("int_customer_survival").df()
    return fit_sbg_by_segment_and_interval(survival, min_customers=int(dbt.config.get("sbg_min_customers")))
