"""Modified BG/NBD (MBG/NBD): BG/NBD in which a customer can also drop out right after the first purchase.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
models for customer base analysis", International Journal of Research in
Marketing 24(3). Purchases while alive are Poisson(lambda), lambda ~ gamma(r,
alpha), as in BG/NBD; the drop-out coin (probability p, p ~ beta(a, b)) is
tossed after *every* purchase, the first one included. So a customer seen to buy
x + 1 times survived x + 1 tosses, and one who never bought again may already
be gone: P(alive) < 1 for them too, where BG/NBD says exactly 1. Inputs are the
BG/NBD summary (x repeat purchases, recency t_x, age T, all in one time unit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, gammaln, hyp2f1

from churn_warehouse.predictive import FitError
from churn_warehouse.predictive.bgnbd import (
    BgNbdFit,
    SummaryColumn,
    _summary_arrays,
    _summary_columns,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_purchase_counts,
)


@dataclass(frozen=True)
class MbgNbdFit:
    """Maximum-likelihood MBG/NBD parameters with the log-likelihood and sample size behind them."""

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n: int
    converged: bool
    message: str


def mbgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float,
    frequency: ArrayLike | SummaryColumn, recency: ArrayLike | SummaryColumn, T: ArrayLike | SummaryColumn,
) -> NDArray[np.float64]:
    """Per-customer log-likelihood (Batislam et al. 2007), summed in log space.

    L = Gamma(r+x) alpha^r / Gamma(r) * [ B(a, b+x+1)/B(a, b) / (alpha+T)^(r+x)
        + B(a+1, b+x)/B(a, b) / (alpha+t_x)^(r+x) ]
    The first term is "alive at T" (x + 1 tosses survived), the second "dropped
    out at the last purchase", which for x = 0 is the first purchase (t_x = 0).
    """
    x, t_x, age = _summary_columns(frequency, recency, T)
    common = x.of(lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    still_alive = x.of(lambda v: betaln(a, b + v + 1.0)) - (r + x.values) * age.of(lambda v: np.log(alpha + v))
    dropped_out = x.of(lambda v: betaln(a + 1.0, b + v)) - (r + x.values) * t_x.of(lambda v: np.log(alpha + v))
    return common + np.logaddexp(still_alive, dropped_out)


def fit_mbgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, min_customers: int = 10) -> MbgNbdFit:
    """Fit the MBG/NBD by maximum likelihood to one (x, t_x, T) row per customer.

    Refuses the same data as fit_bgnbd (too few customers, no repeat purchase,
    no time observed) with a FitError saying why.
    """
    params, loglik, n, message = fit_purchase_counts(mbgnbd_log_likelihood, frequency, recency, T, min_customers)
    return MbgNbdFit(*params, loglik, n, True, message)


def _dropped_out_odds(
    fit: MbgNbdFit, x: NDArray[np.float64], t_x: NDArray[np.float64], age: NDArray[np.float64]
) -> NDArray[np.float64]:
    """a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x): odds that the customer dropped out at the last purchase."""
    log_odds = (
        np.log(fit.a) - np.log(fit.b + x) + (fit.r + x) * (np.log(fit.alpha + age) - np.log(fit.alpha + t_x))
    )
    return np.exp(log_odds)


def mbgnbd_p_alive(
    fit: MbgNbdFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """P(alive | x, t_x, T) = 1 / (1 + odds of having dropped out), below 1 for one-purchase customers too."""
    x, t_x, age = _summary_arrays(frequency, recency, T)
    return 1.0 / (1.0 + _dropped_out_odds(fit, x, t_x, age))


def mbgnbd_expected_purchases(
    fit: MbgNbdFit, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t periods (Batislam et al. 2007).

    (a+b+x)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    * 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive | x, t_x, T).
    Valid for a < 1 as well: the bracket and a - 1 change sign together.
    """
    if t < 0:
        raise ValueError(f"horizon t must be >= 0, got {t}")
    x, t_x, age = _summary_arrays(frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    shrink = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t)))
    hyper = hyp2f1(r + x, b + x + 1.0, a + b + x, t / (alpha + age + t))
    given_alive = (a + b + x) / (a - 1.0) * (1.0 - shrink * hyper)
    return given_alive / (1.0 + _dropped_out_odds(fit, x, t_x, age))



# ---------------------------------------------------------------- BG/NBD or MBG/NBD: the holdout decides

# Model names as the marts write them; on a tie, or without a comparison, the first (BG/NBD) is used.
PURCHASE_MODELS = ("bg_nbd", "modified_bg_nbd")
PURCHASE_MODEL_LABELS = {"bg_nbd": "BG/NBD", "modified_bg_nbd": "MBG/NBD"}
Summary = tuple[ArrayLike, ArrayLike, ArrayLike]  # (frequency, recency, T) of the same customers


@dataclass(frozen=True)
class HoldoutComparison:
    """Each model's log-likelihood of the holdout purchases (fitted on calibration only) and the winner.

    A log-likelihood is NaN when that model cannot be fitted on the calibration
    period; `problems` then says why.
    """

    bg_nbd: float
    modified_bg_nbd: float
    n: int
    chosen: str
    problems: tuple[str, ...]


def fit_purchase_model(
    model: str, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, min_customers: int = 10
) -> BgNbdFit | MbgNbdFit:
    """Fit `model` ('bg_nbd' or 'modified_bg_nbd'); raises FitError like the model's own fit."""
    fitters = {"bg_nbd": fit_bgnbd, "modified_bg_nbd": fit_mbgnbd}
    if model not in fitters:
        raise ValueError(f"unknown purchase model '{model}': expected one of {PURCHASE_MODELS}")
    return fitters[model](frequency, recency, T, min_customers=min_customers)


def holdout_log_likelihood(fit: BgNbdFit | MbgNbdFit, calibration: Summary, whole: Summary) -> float:
    """Sum over customers of log L(whole history) - log L(calibration history) at the fit's parameters.

    Both likelihoods are densities of a customer's purchase times, and the
    calibration history is the start of the whole one, so the difference is the
    log-density of what the customer did in the holdout (how many purchases and
    when, or none) given what they did before: the conditional log-likelihood.
    """
    log_likelihood = mbgnbd_log_likelihood if isinstance(fit, MbgNbdFit) else bgnbd_log_likelihood
    params = (fit.r, fit.alpha, fit.a, fit.b)
    return float(np.sum(log_likelihood(*params, *whole) - log_likelihood(*params, *calibration)))


def compare_on_holdout(calibration: Summary, whole: Summary, *, min_customers: int = 10) -> HoldoutComparison:
    """Fit BG/NBD and MBG/NBD on the calibration summaries; choose the higher holdout log-likelihood.

    `calibration` and `whole` summarise the same customers (those whose first
    purchase lies in the calibration period), at the end of calibration and at
    the end of the holdout. A model that cannot be fitted loses; when neither
    can, BG/NBD is the choice, with the reasons in `problems`.
    """
    scores: dict[str, float] = {}
    problems = []
    for model in PURCHASE_MODELS:
        try:
            fit = fit_purchase_model(model, *calibration, min_customers=min_customers)
        except FitError as error:
            problems.append(f"{PURCHASE_MODEL_LABELS[model]} cannot be fitted on the calibration period: {error}")
            scores[model] = np.nan
            continue
        scores[model] = holdout_log_likelihood(fit, calibration, whole)
    finite = [model for model in PURCHASE_MODELS if np.isfinite(scores[model])]
    chosen = max(finite, key=lambda model: scores[model]) if finite else PURCHASE_MODELS[0]
    n = int(np.asarray(calibration[0]).size)
    return HoldoutComparison(scores["bg_nbd"], scores["modified_bg_nbd"], n, chosen, tuple(problems))
