"""sBG retention model per segment and billing interval in contract periods, with its fallbacks and diagnostics.

One row per (segment, interval) and per (`all`, interval): the model used (the group's own fit, the
interval's fit, or constant churn), the log-likelihoods beside the constant-churn model's, and the
holdout check (churn_warehouse.subscription_cltv). A daily run whose survival rows are those of the last run
keeps its rows (churn_warehouse.fit_memo).
"""

from churn_warehouse.cltv import fit_sbg_by_segment_and_interval
from churn_warehouse.fit_memo import DIGEST_COLUMN, frames_digest, held_rows


def model(dbt, session):
    survival = dbt.ref("int_customer_survival").df()
    digest = frames_digest(survival)
    held = held_rows(session, dbt.this, digest) if dbt.is_incremental else None
    if held is not None:
        return held
    fits = fit_sbg_by_segment_and_interval(survival, min_customers=int(dbt.config.get("sbg_min_customers")))
    return fits.assign(**{DIGEST_COLUMN: digest})
