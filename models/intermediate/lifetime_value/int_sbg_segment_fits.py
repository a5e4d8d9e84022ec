"""sBG retention model fitted by maximum likelihood on every customer (`all`) and per segment.

A segment that cannot be fitted falls back to the overall fit and says why (churn_warehouse.cltv).
"""

from churn_warehouse.cltv import fit_sbg_by_segment


def model(dbt, session):
    survival = dbt.ref("int_customer_survival").df()
    return fit_sbg_by_segment(survival, min_customers=int(dbt.config.get("sbg_min_customers")))
