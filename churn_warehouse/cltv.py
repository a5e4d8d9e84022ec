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
    MbgNbdFit,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
    mbgnbd_expected_purchases,
    mbgnbd_p_alive,
)
from churn_warehouse.subscription_cltv import (  # noqa: F401  (re-exported for the dbt Python models)
    OVERALL,
    fit_sbg_by_segment_and_interval,
    observed_survival,
    period_discount_rate,
    predict_subscription_cltv,
    retention_curves,
)
from churn_warehouse.predictive.mbgnbd import (
    PURCHASE_MODEL_LABELS,
    PURCHASE_MODELS,
    HoldoutComparison,
    compare_on_holdout,
    fit_purchase_model,
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
    "purchase_model",
    "bg_nbd_holdout_log_likelihood",
    "modified_bg_nbd_holdout_log_likelihood",
]
# Calibration summary of int_customer_one_off_purchases (null for customers first buying in the holdout).
CALIBRATION_COLUMNS = ["calibration_frequency", "calibration_recency_weeks", "calibration_t_weeks"]


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """d = (1 + annual rate)^(1/12) - 1: the monthly rate that compounds to the annual one."""
    return period_discount_rate(annual_discount_rate, 1)


def _text(values: object, index: pd.Index | None = None) -> pd.Series:
    """A nullable text column, so an all-null column still lands in the warehouse as varchar."""
    return pd.Series(values, index=index, dtype="string")


# ---------------------------------------------------------------- one-off purchases


@dataclass(frozen=True)
class PurchaseFits:
    """The purchase-count and Gamma-Gamma fits on every customer with one-off purchases, or why each is missing.

    purchase_model names the model whose fit predicts ('bg_nbd' or
    'modified_bg_nbd', None when neither fits): the holdout's choice, or the
    other model when the chosen one cannot be fitted on the whole history.
    """

    bgnbd: BgNbdFit | None
    gamma_gamma: GammaGammaFit | None
    bgnbd_problem: str | None
    gamma_gamma_problem: str | None
    mbgnbd: MbgNbdFit | None = None
    mbgnbd_problem: str | None = None
    purchase_model: str | None = PURCHASE_MODELS[0]
    holdout: HoldoutComparison | None = None


def _purchase_arrays(purchases: pd.DataFrame) -> tuple[NDArray[np.float64], ...]:
    """(frequency, recency, T, mean repeat spend) in weeks and the reporting currency; spend 0 without repeats."""
    frequency = purchases["frequency"].to_numpy(dtype=float)
    recency = purchases["recency_weeks"].to_numpy(dtype=float)
    age = purchases["t_weeks"].to_numpy(dtype=float)
    spend = purchases["monetary_value"].astype(float).fillna(0.0).to_numpy()
    return frequency, recency, age, np.where(frequency > 0, spend, 0.0)


def compare_purchase_models(purchases: pd.DataFrame, *, min_customers: int = 10) -> HoldoutComparison | None:
    """BG/NBD against MBG/NBD on the holdout of int_customer_one_off_purchases; None without calibration columns.

    Customers whose first purchase lies in the calibration period (non-null
    calibration_* columns) are fitted on their calibration summary and scored
    on their whole history (churn_warehouse.predictive.mbgnbd.compare_on_holdout).
    """
    if not set(CALIBRATION_COLUMNS) <= set(purchases.columns):
        return None
    calibrated = purchases.dropna(subset=CALIBRATION_COLUMNS)
    calibration = tuple(calibrated[column].to_numpy(dtype=float) for column in CALIBRATION_COLUMNS)
    whole = tuple(calibrated[column].to_numpy(dtype=float) for column in ("frequency", "recency_weeks", "t_weeks"))
    return compare_on_holdout(calibration, whole, min_customers=min_customers)


def _fit_count_models(
    frequency: NDArray[np.float64], recency: NDArray[np.float64], age: NDArray[np.float64], chosen: str,
    min_customers: int,
) -> tuple[dict[str, BgNbdFit | MbgNbdFit], dict[str, str]]:
    """Fit the chosen purchase-count model on the whole history, and the other one only if it cannot be fitted."""
    fits: dict[str, BgNbdFit | MbgNbdFit] = {}
    problems: dict[str, str] = {}
    for model in sorted(PURCHASE_MODELS, key=lambda m: m != chosen):
        try:
            fits[model] = fit_purchase_model(model, frequency, recency, age, min_customers=min_customers)
            break
        except FitError as error:
            problems[model] = (
                f"{PURCHASE_MODEL_LABELS[model]} cannot be fitted on the customers with one-off purchases "
                f"({frequency.size}): {error}"
            )
    return fits, problems


def fit_purchase_models(purchases: pd.DataFrame, *, min_customers: int = 10) -> PurchaseFits:
    """Choose BG/NBD or MBG/NBD on the holdout, fit it and Gamma-Gamma (spend) on all customers with one-off purchases.

    Without calibration columns there is no comparison and BG/NBD is used. A
    model that cannot be fitted, and a Gamma-Gamma fit with q <= 1 (whose
    population mean spend p gamma / (q - 1) does not exist), leave a reason
    instead of a fit. Customers are taken in customer_id order, so the fit does not depend on the order the
    engine returned them in.
    """
    ordered = purchases.sort_values("customer_id", kind="stable")
    frequency, recency, age, spend = _purchase_arrays(ordered)
    holdout = compare_purchase_models(ordered, min_customers=min_customers)
    chosen = holdout.chosen if holdout else PURCHASE_MODELS[0]
    counts, count_problems = _fit_count_models(frequency, recency, age, chosen, min_customers)
    gamma_gamma = gamma_gamma_problem = None
    try:
        gamma_gamma = fit_gamma_gamma(frequency, spend, min_customers=min_customers)
        if gamma_gamma.q <= 1:
            gamma_gamma_problem = (
                f"Gamma-Gamma fit has q = {gamma_gamma.q:.3g} <= 1, so mean spend per purchase is unbounded"
            )
            gamma_gamma = None
    except FitError as error:
        gamma_gamma_problem = f"Gamma-Gamma cannot be fitted on the repeat buyers: {error}"
    return PurchaseFits(
        counts.get("bg_nbd"), gamma_gamma, count_problems.get("bg_nbd"), gamma_gamma_problem,
        mbgnbd=counts.get("modified_bg_nbd"), mbgnbd_problem=count_problems.get("modified_bg_nbd"),
        purchase_model=next(iter(counts), None), holdout=holdout,
    )


def _count_predictions(
    fits: PurchaseFits, horizon_weeks: float, frequency: NDArray[np.float64], recency: NDArray[np.float64],
    age: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(P(alive), expected purchases over the horizon) from the model in fits.purchase_model; NaN without one."""
    nothing = np.full(frequency.size, np.nan)
    if fits.purchase_model == "bg_nbd" and fits.bgnbd is not None:
        p_alive, expected = bgnbd_p_alive, bgnbd_expected_purchases
        fit: BgNbdFit | MbgNbdFit = fits.bgnbd
    elif fits.purchase_model == "modified_bg_nbd" and fits.mbgnbd is not None:
        p_alive, expected = mbgnbd_p_alive, mbgnbd_expected_purchases
        fit = fits.mbgnbd
    else:
        return nothing, nothing.copy()
    if not frequency.size:
        return nothing, nothing.copy()
    return (np.asarray(p_alive(fit, frequency, recency, age), dtype=float),
            np.asarray(expected(fit, horizon_weeks, frequency, recency, age), dtype=float))


def _purchase_note(fits: PurchaseFits) -> str | None:
    """Why figures are missing or come from the other count model, and why the holdout could not compare."""
    notes = [fits.bgnbd_problem, fits.mbgnbd_problem, fits.gamma_gamma_problem]
    if fits.holdout is not None and fits.holdout.problems:
        notes.append("holdout comparison: " + "; ".join(fits.holdout.problems))
    return "; ".join(note for note in notes if note) or None


def predict_one_off_value(
    purchases: pd.DataFrame,
    fits: PurchaseFits,
    *,
    gross_margin: float,
    horizon_weeks: float = HORIZON_12M_WEEKS,
) -> pd.DataFrame:
    """Per customer with one-off purchases: P(alive), expected purchases and expected margin over the horizon.

    P(alive) and expected purchases come from fits.purchase_model;
    expected_margin_12m = expected purchases * Gamma-Gamma expected spend per
    purchase * gross_margin. Figures a missing fit cannot give are null, and
    purchase_model_note says why. The model and both holdout log-likelihoods
    are repeated on every row, so the mart states the choice.
    """
    frequency, recency, age, spend = _purchase_arrays(purchases)
    n = len(purchases)
    p_alive, expected = _count_predictions(fits, horizon_weeks, frequency, recency, age)
    expected_spend = np.full(n, np.nan)
    if fits.gamma_gamma is not None and n:
        expected_spend = np.asarray(gamma_gamma_expected_spend(fits.gamma_gamma, frequency, spend), dtype=float)
    holdout = fits.holdout
    return pd.DataFrame(
        {
            "customer_id": _text(purchases["customer_id"].to_numpy()),
            "p_alive": p_alive,
            "expected_purchases_12m": expected,
            "expected_spend_per_purchase": expected_spend,
            "expected_margin_12m": expected * expected_spend * gross_margin,
            "purchase_model_note": _text([_purchase_note(fits)] * n),
            "purchase_model": _text([fits.purchase_model] * n),
            "bg_nbd_holdout_log_likelihood": np.full(n, holdout.bg_nbd if holdout else np.nan),
            "modified_bg_nbd_holdout_log_likelihood": np.full(n, holdout.modified_bg_nbd if holdout else np.nan),
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
