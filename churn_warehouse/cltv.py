"""Predictive customer lifetime value: from the warehouse's survival and purchase inputs to per-customer figures.

The dbt Python models in models/intermediate/lifetime_value/ load their refs and
call these functions; the models themselves (sBG, BG/NBD, Gamma-Gamma) live in
`churn_warehouse.predictive`. Definitions: METRICS.md, "Customer lifetime value".
A fit that cannot be made never stops the build: a segment falls back to the
overall fit, and when no fit exists the predictions are null with the reason in
a column (DECISIONLOG.md, "Predictive CLTV").
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
    SbgFit,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    fit_gamma_gamma,
    fit_sbg,
    gamma_gamma_expected_spend,
    mbgnbd_expected_purchases,
    mbgnbd_p_alive,
    sbg_derl,
    sbg_survival,
)
from churn_warehouse.predictive.mbgnbd import (
    PURCHASE_MODEL_LABELS,
    PURCHASE_MODELS,
    HoldoutComparison,
    compare_on_holdout,
    fit_purchase_model,
)

OVERALL = "all"  # the segment value of the fit on every customer, as in the `all`/`all` rows of other marts
DAYS_PER_YEAR = 365.25
PURCHASE_PERIOD_DAYS = 7.0  # BG/NBD times are in weeks, as in Fader, Hardie & Lee (2005) on CDNOW
HORIZON_12M_WEEKS = DAYS_PER_YEAR / PURCHASE_PERIOD_DAYS  # "the next 12 months" in BG/NBD time units
PROJECTION_MONTHS = 24

FIT_COLUMNS = [
    "segment",
    "fit_status",
    "sbg_alpha",
    "sbg_beta",
    "n_customers",
    "n_churned",
    "log_likelihood",
    "fallback_reason",
]
SUBSCRIPTION_COLUMNS = [
    "customer_id",
    "segment",
    "tenure_months",
    "current_mrr",
    "sbg_alpha",
    "sbg_beta",
    "sbg_fit_source",
    "sbg_fit_note",
    "expected_residual_lifetime_months",
    "cltv_predicted",
]
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
CURVE_COLUMNS = [
    "segment",
    "months_since_start",
    "is_projection",
    "customers_at_risk",
    "churned_customers",
    "observed_survival",
    "fitted_survival",
    "sbg_alpha",
    "sbg_beta",
    "sbg_fit_source",
    "sbg_fit_note",
]
# Which fit a segment's parameters come from, by fit_status (the word BI users read in the marts).
FIT_SOURCE = {"fitted": "segment", "fallback": "overall", "failed": "none"}


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """d = (1 + annual rate)^(1/12) - 1: the monthly rate that compounds to the annual one."""
    if not np.isfinite(annual_discount_rate) or annual_discount_rate < 0:
        raise ValueError(f"annual_discount_rate must be a finite rate >= 0, got {annual_discount_rate}")
    return float((1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0)


def _text(values: object, index: pd.Index | None = None) -> pd.Series:
    """A nullable text column, so an all-null column still lands in the warehouse as varchar."""
    return pd.Series(values, index=index, dtype="string")


# ---------------------------------------------------------------- sBG fits per segment


def _fit_or_reason(survival: pd.DataFrame, min_customers: int) -> SbgFit | str:
    """The sBG fit of these customers, or the FitError message saying why there is none."""
    try:
        return fit_sbg(
            survival["renewals"].to_numpy(dtype=float),
            survival["is_censored"].to_numpy(dtype=bool),
            min_customers=min_customers,
        )
    except FitError as error:
        return str(error)


def _fit_row(segment: str, customers: pd.DataFrame, status: str, used: SbgFit | None,
             own: SbgFit | None, reason: str | None) -> dict[str, object]:
    """One row of the fits table: the parameters used (`used`) and the log-likelihood of the own fit (`own`)."""
    return {
        "segment": segment,
        "fit_status": status,
        "sbg_alpha": used.alpha if used else np.nan,
        "sbg_beta": used.beta if used else np.nan,
        "n_customers": len(customers),
        "n_churned": int((~customers["is_censored"].astype(bool)).sum()),
        "log_likelihood": own.loglik if own else np.nan,
        "fallback_reason": reason,
    }


def fit_sbg_by_segment(survival: pd.DataFrame, *, min_customers: int) -> pd.DataFrame:
    """sBG fitted by maximum likelihood on every customer (`all`) and on each segment.

    `survival` has one row per customer: segment, renewals (made before the first
    churn, or up to the last complete month) and is_censored (never churned).
    fit_status is `fitted` (own parameters), `fallback` (the segment cannot be
    fitted: it takes the overall parameters) or `failed` (no parameters at all);
    fallback_reason names the segment and why. log_likelihood is that of the
    segment's own fit (null without one).
    """
    segments = sorted(survival["segment"].dropna().unique())
    if OVERALL in segments:
        raise ValueError(f"a segment is called '{OVERALL}', the name reserved for the overall fit: rename it")
    overall = _fit_or_reason(survival, min_customers)
    rows = []
    if isinstance(overall, SbgFit):
        rows.append(_fit_row(OVERALL, survival, "fitted", overall, overall, None))
    else:
        rows.append(_fit_row(OVERALL, survival, "failed", None, None,
                             f"the overall fit on every customer failed: {overall}"))
    for segment in segments:
        customers = survival[survival["segment"] == segment]
        own = _fit_or_reason(customers, min_customers)
        if isinstance(own, SbgFit):
            rows.append(_fit_row(segment, customers, "fitted", own, own, None))
        elif isinstance(overall, SbgFit):
            reason = f"segment '{segment}' cannot be fitted ({own}); it uses the overall fit"
            rows.append(_fit_row(segment, customers, "fallback", overall, None, reason))
        else:
            reason = f"segment '{segment}' cannot be fitted ({own}), and neither can the overall fit ({overall})"
            rows.append(_fit_row(segment, customers, "failed", None, None, reason))
    fits = pd.DataFrame(rows, columns=FIT_COLUMNS)
    fits["segment"] = _text(fits["segment"])
    fits["fit_status"] = _text(fits["fit_status"])
    fits["fallback_reason"] = _text(fits["fallback_reason"])
    return fits.astype({"sbg_alpha": float, "sbg_beta": float, "log_likelihood": float,
                        "n_customers": "int64", "n_churned": "int64"})


# ---------------------------------------------------------------- subscription CLTV


def _fit_of_each_customer(survival: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    """Each customer's row with the parameters, source and note of their segment's fit."""
    columns = ["segment", "fit_status", "sbg_alpha", "sbg_beta", "fallback_reason"]
    merged = survival.merge(fits[columns], on="segment", how="left", validate="many_to_one")
    missing = merged["fit_status"].isna()
    if missing.any():
        unknown = sorted(merged.loc[missing, "segment"].astype(str).unique())
        raise ValueError(f"no sBG fit row for segment(s) {unknown}: fit the same survival frame")
    return merged


def predict_subscription_cltv(
    survival: pd.DataFrame, fits: pd.DataFrame, *, annual_discount_rate: float, gross_margin: float
) -> pd.DataFrame:
    """Per customer: DERL(d | alpha, beta, a) and cltv = current_mrr * gross_margin * DERL.

    a = tenure_months (months since the first active month at the last complete
    month), d the monthly rate of `annual_discount_rate`. Only customers active
    at the last complete month have a residual lifetime; the others get a null
    one and cltv 0 (they pay nothing now). An active customer whose segment has
    no fit gets null, with the reason in sbg_fit_note.
    """
    d = monthly_discount_rate(annual_discount_rate)
    merged = _fit_of_each_customer(survival, fits)
    alpha = merged["sbg_alpha"].to_numpy(dtype=float)
    beta = merged["sbg_beta"].to_numpy(dtype=float)
    tenure = merged["tenure_months"].to_numpy(dtype=float)
    mrr = merged["current_mrr"].to_numpy(dtype=float)
    active = mrr > 0
    predictable = active & np.isfinite(alpha) & np.isfinite(beta)
    residual = np.full(len(merged), np.nan)
    for a, b in set(zip(alpha[predictable], beta[predictable])):
        same_fit = predictable & (alpha == a) & (beta == b)
        residual[same_fit] = sbg_derl(a, b, d, tenure[same_fit])
    cltv = np.where(active, mrr * gross_margin * residual, 0.0)
    return pd.DataFrame(
        {
            "customer_id": _text(merged["customer_id"]),
            "segment": _text(merged["segment"]),
            "tenure_months": merged["tenure_months"].astype("int64"),
            "current_mrr": mrr,
            "sbg_alpha": alpha,
            "sbg_beta": beta,
            "sbg_fit_source": _text(merged["fit_status"].map(FIT_SOURCE)),
            "sbg_fit_note": _text(merged["fallback_reason"]),
            "expected_residual_lifetime_months": residual,
            "cltv_predicted": cltv,
        },
        columns=SUBSCRIPTION_COLUMNS,
    )


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
    return combined.sort_values("customer_id", ignore_index=True)


# ---------------------------------------------------------------- retention curves


def observed_survival(renewals: pd.Series, is_censored: pd.Series) -> pd.DataFrame:
    """Product-limit (Kaplan-Meier) share never churned at each age, pooling every cohort that reached it.

    A customer who churned after L renewals leaves at age L + 1; one still active
    after L renewals is observed up to age L. At age j the customers at risk are
    those alive at j - 1 whose age j is observed; S(j) = S(j - 1) * (1 - churned
    at j / at risk at j), S(0) = 1. With a single cohort this is the plain share
    still never churned; with many it never rises with age.
    """
    life = renewals.to_numpy(dtype=np.int64)
    censored = is_censored.to_numpy(dtype=bool)
    if life.size == 0:
        return pd.DataFrame({"months_since_start": [], "customers_at_risk": [], "churned_customers": [],
                             "observed_survival": []}).astype({"months_since_start": "int64",
                                                              "customers_at_risk": "int64",
                                                              "churned_customers": "int64",
                                                              "observed_survival": float})
    last_age = np.where(censored, life, life + 1)  # the last age at which each customer is observed
    max_age = int(last_age.max())
    churned = np.bincount(life[~censored] + 1, minlength=max_age + 1)
    observed_until = np.bincount(last_age, minlength=max_age + 1)
    at_risk = observed_until[::-1].cumsum()[::-1]  # customers observed at age j or later
    survival = np.cumprod(1.0 - churned / at_risk)
    return pd.DataFrame(
        {
            "months_since_start": np.arange(max_age + 1, dtype=np.int64),
            "customers_at_risk": at_risk.astype(np.int64),
            "churned_customers": churned.astype(np.int64),
            "observed_survival": survival,
        }
    )


def retention_curves(
    survival: pd.DataFrame, fits: pd.DataFrame, *, projection_months: int = PROJECTION_MONTHS
) -> pd.DataFrame:
    """Per segment and `all`: observed survival by age beside the sBG fitted survival, projected further.

    Observed ages run from 0 to the oldest age seen; `projection_months` more ages
    follow with is_projection true and only the fitted survival S(a) = B(alpha,
    beta + a) / B(alpha, beta). A segment without a fit has null fitted survival.
    """
    curves = []
    for fit in fits.itertuples(index=False):
        customers = survival if fit.segment == OVERALL else survival[survival["segment"] == fit.segment]
        observed = observed_survival(customers["renewals"], customers["is_censored"])
        observed["is_projection"] = False
        last_observed = int(observed["months_since_start"].max()) if len(observed) else -1
        projected = pd.DataFrame(
            {
                "months_since_start": np.arange(last_observed + 1, last_observed + 1 + projection_months,
                                                dtype=np.int64),
                "is_projection": True,
            }
        )
        curve = pd.concat([observed, projected], ignore_index=True)
        ages = curve["months_since_start"].to_numpy(dtype=float)
        has_fit = np.isfinite(fit.sbg_alpha) and np.isfinite(fit.sbg_beta)
        curve["fitted_survival"] = (
            np.asarray(sbg_survival(fit.sbg_alpha, fit.sbg_beta, ages), dtype=float) if has_fit else np.nan
        )
        curve["segment"] = fit.segment
        curve["sbg_alpha"] = fit.sbg_alpha
        curve["sbg_beta"] = fit.sbg_beta
        curve["sbg_fit_source"] = FIT_SOURCE[fit.fit_status]
        curve["sbg_fit_note"] = fit.fallback_reason if isinstance(fit.fallback_reason, str) else None
        curves.append(curve)
    if not curves:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    result = pd.concat(curves, ignore_index=True)[CURVE_COLUMNS]
    for column in ("segment", "sbg_fit_source", "sbg_fit_note"):
        result[column] = _text(result[column])
    return result.astype({"customers_at_risk": "Int64", "churned_customers": "Int64", "is_projection": bool,
                          "observed_survival": float, "fitted_survival": float})
