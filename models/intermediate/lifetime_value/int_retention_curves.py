"""Per segment and billing interval (and `all`): observed survival in renewals beside the sBG fit and its projection.
A daily run whose inputs are those of the last run keeps its rows (churn_warehouse.fit_memo)."""

from churn_warehouse.cltv import retention_curves
from churn_warehouse.fit_memo import DIGEST_COLUMN, frames_digest, held_rows


def model(dbt, session):
    survival = dbt.ref("int_customer_survival").df()
    fits = dbt.ref("int_sbg_segment_fits").df()
    digest = frames_digest(survival, fits)
    held = held_rows(session, dbt.this, digest) if dbt.is_incremental else None
    if held is not None:
        return held
    return retention_curves(survival, fits).assign(**{DIGEST_COLUMN: digest})
