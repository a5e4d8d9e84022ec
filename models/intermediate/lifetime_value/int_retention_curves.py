"""Per segment and billing interval (and `all`): observed survival in renewals beside the sBG fit and its projection.
A daily run whose inputs are those of the last run keeps its rows (churn_warehouse.fit_memo)."""

from churn_warehouse.cltv import retention_curves
from churn_warehouse.fit_memo import held_or_fitted


def model(dbt, session):
    survival = dbt.ref("int_customer_survival").df()
    fits = dbt.ref("int_sbg_segment_fits").df()
    return held_or_fitted(dbt, session, (survival, fits), lambda: retention_curves(survival, fits))
