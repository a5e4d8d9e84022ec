"""Predictive customer lifetime value: from the warehouse's survival and purchase inputs to per-customer figures.

The dbt Python models in models/intermediate/lifetime_value/ load their refs and
call these functions; the models themselves (sBG, BG/NBD, Gamma-Gamma) live in
`churn_warehouse.predictive`, and the subscription part (sBG fits per segment and
billing interval in contract periods, their diagnostics and retention curves) in
`churn_warehouse.subscription_cltv`. A fit that cannot be made never stops the
build (DECISIONLOG.md, "Predictive CLTV").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from churn_warehouse.predictive import (
    BgNbdFit,
    FitError,
    GammaGammaFit,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from churn_warehouse.subscription_cltv import (  # noqa: F401  (re-exported for the dbt Python models)
    OVERALL,
    fit_sbg_by_segment_and_interval,
    observed_survival,
    period_discount_rate,
    predict_subscription_cltv,
    retention_curves,
)

DAYS_PER_YEAR = 365.25
PURCHASE_PERIOD_DAYS = 7.0  # BG/NBD times are in weeks, as in Fader, Hardie & Lee (2005) on CDNOW
HORIZON_12M_WEEKS = DAYS_PER_YEAR / PURCHASE_PERIOD_DAYS  # "the next 12 months" in BG/NBD time units

ONE_OFF_COLUMNS = [
    "customer_id",
    "p_alive",
    "expected_purchases_12m",
    "expected_spend_per_purchase",
    "expected_margin_12m",
    "purchase_model_note",
]


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """d = (1 + annual rate)^(1/12) - 1: the monthly rate that compounds to the annual one."""
    return period_discount_rate(annual_discount_rate, 1)


def _text(values: object, index: pd.Index | None = None) -> pd.Series:
    """A nullable text column, so an all-null column still lands in the warehouse as varchar."""
    return pd.Series(values, index=index, dtype="string")


# ---------------------------------------------------------------- one-off purchases


@dataclass(frozen=True)
class PurchaseFits:
    """The BG/NBD and Gamma-Gamma fits on every customer with one-off purchases, or why each is missing."""

    bgnbd: BgNbdFit | None
    gamma_gamma: GammaGammaFit | None
    bgnbd_problem: str | None
    gamma_gamma_problem: str | None


def _purchase_arrays(purchases: pd.DataFrame) -> tuple[NDArray[np.float64], ...]:
    """(frequency, recency, T, mean repeat spend) in weeks and the reporting currency; spend 0 without repeats."""
    frequency = purchases["frequency"].to_numpy(dtype=float)
    recency = purchases["recency_weeks"].to_numpy(dtype=float)
    age = purchases["t_weeks"].to_numpy(dtype=float)
    spend = purchases["monetary_value"].astype(float).fillna(0.0).to_numpy()
    return frequency, recency, age, np.where(frequency > 0, spend, 0.0)


def fit_purchase_models(purchases: pd.DataFrame, *, min_customers: int = 10) -> PurchaseFits:
    """Fit BG/NBD (purchase counts) and Gamma-Gamma (spend) on all customers with one-off purchases.

    A model that cannot be fitted, and a Gamma-Gamma fit with q <= 1 (whose
    population mean spend p gamma / (q - 1) does not exist), leave a reason
    instead of a fit. Customers are taken in customer_id order, so the fit does not depend on the order the
    engine returned them in.
    """
    frequency, recency, age, spend = _purchase_arrays(purchases.sort_values("customer_id", kind="stable"))
    n = len(purchases)
    bgnbd = gamma_gamma = None
    bgnbd_problem = gamma_gamma_problem = None
    try:
        bgnbd = fit_bgnbd(frequency, recency, age, min_customers=min_customers)
    except FitError as error:
        bgnbd_problem = f"BG/NBD cannot be fitted on the customers with one-off purchases ({n}): {error}"
    try:
        gamma_gamma = fit_gamma_gamma(frequency, spend, min_customers=min_customers)
        if gamma_gamma.q <= 1:
            gamma_gamma_problem = (
                f"Gamma-Gamma fit has q = {gamma_gamma.q:.3g} <= 1, so mean spend per purchase is unbounded"
            )
            gamma_gamma = None
    except FitError as error:
        gamma_gamma_problem = f"Gamma-Gamma cannot be fitted on the repeat buyers: {error}"
    return PurchaseFits(bgnbd, gamma_gamma, bgnbd_problem, gamma_gamma_problem)


def predict_one_off_value(
    purchases: pd.DataFrame,
    fits: PurchaseFits,
    *,
    gross_margin: float,
    horizon_weeks: float = HORIZON_12M_WEEKS,
) -> pd.DataFrame:
    """Per customer with one-off purchases: P(alive), expected purchases and expected margin over the horizon.

    expected_margin_12m = expected purchases * Gamma-Gamma expected spend per
    purchase * gross_margin. Figures a missing fit cannot give are null, and
    purchase_model_note says why.
    """
    frequency, recency, age, spend = _purchase_arrays(purchases)
    n = len(purchases)
    p_alive, expected, expected_spend = (np.full(n, np.nan) for _ in range(3))
    if fits.bgnbd is not None and n:
        p_alive = np.asarray(bgnbd_p_alive(fits.bgnbd, frequency, recency, age), dtype=float)
        expected = np.asarray(bgnbd_expected_purchases(fits.bgnbd, horizon_weeks, frequency, recency, age), dtype=float)
    if fits.gamma_gamma is not None and n:
        expected_spend = np.asarray(gamma_gamma_expected_spend(fits.gamma_gamma, frequency, spend), dtype=float)
    problems = "; ".join(p for p in (fits.bgnbd_problem, fits.gamma_gamma_problem) if p) or None
    return pd.DataFrame(
        {
            "customer_id": _text(purchases["customer_id"].to_numpy()),
            "p_alive": p_alive,
            "expected_purchases_12m": expected,
            "expected_spend_per_purchase": expected_spend,
            "expected_margin_12m": expected * expected_spend * gross_margin,
            "purchase_model_note": _text([problems] * n),
        },
        columns=ONE_OFF_COLUMNS,
    )


# ---------------------------------------------------------------- per customer


def customer_cltv(
    survival: pd.DataFrame,
    sbg_fits: pd.DataFrame,
    purchases: pd.DataFrame,
    *,
    annual_discount_rate: float,
    gross_margin: float,
) -> pd.DataFrame:
    """One row per customer with a subscription history or one-off purchases: both CLTV parts side by side."""
    subscriptions = predict_subscription_cltv(
        survival, sbg_fits, annual_discount_rate=annual_discount_rate, gross_margin=gross_margin
    )
    one_off = predict_one_off_value(purchases, fit_purchase_models(purchases), gross_margin=gross_margin)
    combined = subscriptions.merge(one_off, on="customer_id", how="outer", validate="one_to_one")
    combined["tenure_months"] = combined["tenure_months"].astype("Int64")
    combined["sbg_period_months"] = combined["sbg_period_months"].astype("Int64")
    return combined.sort_values("customer_id", ignore_index=True)
