"""Per customer: sBG residual lifetime and subscription CLTV; BG/NBD and Gamma-Gamma figures of one-off purchases.

The arithmetic lives in churn_warehouse.cltv, where it is unit-tested.
"""

from churn_warehouse.cltv import customer_cltv


def model(dbt, session):
    return customer_cltv(
        dbt.ref("int_customer_survival").df(),
        dbt.ref("int_sbg_segment_fits").df(),
        dbt.ref("int_customer_one_off_purchases").df(),
        annual_discount_rate=float(dbt.config.get("annual_discount_rate")),
        gross_margin=float(dbt.config.get("gross_margin")),
    )
