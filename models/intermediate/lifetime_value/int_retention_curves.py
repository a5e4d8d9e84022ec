"""Per segment and billing interval (and `all`): observed survival in renewals beside the sBG fit and its projection."""

from churn_warehouse.cltv import retention_curves


def model(dbt, session):
    return retention_curves(dbt.ref("int_customer_survival").df(), dbt.ref("int_sbg_segment_fits").df())
