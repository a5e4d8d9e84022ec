"""Shifted-beta-geometric (sBG) retention model for contractual (subscription) customers.

Fader & Hardie (2007), "How to project customer retention", J. Interactive
Marketing 21(1): each customer churns at the end of any period with a constant
probability theta, and theta varies across customers as beta(alpha, beta).
With T the period in which a customer churns (T = 1, 2, ...):

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)

A customer who has made n renewals has been seen through n + 1 periods and
has T > n. Their discounted expected residual lifetime (DERL) comes from
Fader & Hardie (2010), "Customer-base valuation in a contractual setting: the
perils of ignoring heterogeneity", Marketing Science 29(1); see `sbg_derl`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln

from churn_warehouse.predictive import FitError, maximise_log_likelihood

FloatOrArray = float | NDArray[np.float64]

BOUNDARY_HINT = (
    "alpha and beta running to infinity mean churn does not fall with tenure, so a constant "
    "churn rate fits at least as well; running to zero means churn is concentrated in the first "
    "periods and the survivors never churn"
)


@dataclass(frozen=True)
class SbgFit:
    """Maximum-likelihood sBG parameters with the log-likelihood and sample size behind them."""

    alpha: float
    beta: float
    loglik: float
    n: int
    converged: bool
    message: str


def _scalar_or_array(values: NDArray[np.float64]) -> FloatOrArray:
    """Return a plain float for 0-d results so scalar calls read naturally."""
    return float(values) if np.ndim(values) == 0 else values


def sbg_survival(alpha: float, beta: float, t: ArrayLike) -> FloatOrArray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta): share of a new cohort still active after t renewals."""
    t = np.asarray(t, dtype=float)
    return _scalar_or_array(np.exp(betaln(alpha, beta + t) - betaln(alpha, beta)))


def sbg_churn_probability(alpha: float, beta: float, t: ArrayLike) -> FloatOrArray:
    """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta): chance a new customer churns in period t >= 1."""
    t = np.asarray(t, dtype=float)
    return _scalar_or_array(np.exp(betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta)))


def sbg_retention_rate(alpha: float, beta: float, t: ArrayLike) -> FloatOrArray:
    """r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1): period-t retention of survivors, t >= 1.

    It rises with t because the customers most likely to churn leave first.
    """
    t = np.asarray(t, dtype=float)
    return _scalar_or_array((beta + t - 1.0) / (alpha + beta + t - 1.0))


def project_survivors(alpha: float, beta: float, t: ArrayLike, cohort_size: float) -> FloatOrArray:
    """Expected number still active after t periods out of a cohort of `cohort_size` starters."""
    return _scalar_or_array(cohort_size * np.asarray(sbg_survival(alpha, beta, t)))


def sbg_derl(alpha: float, beta: float, d: float, renewals: ArrayLike) -> FloatOrArray:
    """Discounted expected residual lifetime of a customer who has made `renewals` renewals.

    Convention (Fader & Hardie 2010): we stand at the end of the customer's
    current period, just before their next renewal decision. The payment for
    the current period is already made and is NOT counted; the next renewal
    payment is counted undiscounted if it happens, the one after it with
    1/(1+d), and so on. For n renewals made (so T > n):

        DERL(d | alpha, beta, n) = sum_{t>n} S(t)/S(n) / (1+d)^(t-n-1)
                                 = (beta + n) / (alpha + beta + n)
                                   * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1/(1+d))

    The paper writes this for a customer with n - 1 renewals (in period n) as
    (beta+n-1)/(alpha+beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d)); the
    expression above is the same with n -> n + 1. A brand-new customer's DEL
    (initial payment included) is 1 + DERL(d | alpha, beta, 0) / (1 + d).
    With d = 0 the sum is finite only for alpha > 1.
    """
    if d < 0:
        raise ValueError(f"discount rate d must be >= 0, got {d}")
    n = np.asarray(renewals, dtype=float)
    if np.any(n < 0):
        raise ValueError("renewals must be >= 0")
    distinct, position = np.unique(n, return_inverse=True)
    first_renewal = (beta + distinct) / (alpha + beta + distinct)
    if d == 0:
        # Gauss's sum 2F1(1, b; c; 1) = (c - 1) / (c - b - 1) gives (beta + n) / (alpha - 1); infinite for alpha <= 1.
        residual = (beta + distinct) / (alpha - 1.0) if alpha > 1 else np.full(distinct.shape, np.inf)
    else:
        residual = first_renewal * _hyp2f1_one_b_c(beta + distinct + 1.0, alpha + beta + distinct + 1.0, 1.0 / (1.0 + d))
    return _scalar_or_array(np.reshape(residual[position], n.shape))


SERIES_CHUNK = 4096  # terms summed per step of `_hyp2f1_one_b_c`
SERIES_MAX_TERMS = 4_000_000  # about 15 / d terms are needed; this covers any d above 4e-6


def _hyp2f1_one_b_c(b: NDArray[np.float64], c: NDArray[np.float64], z: float) -> NDArray[np.float64]:
    """2F1(1, b; c; z) for 0 <= z < 1 and c > b > 0, by its power series sum_j (b)_j / (c)_j z^j.

    Every term is positive and each is the previous one times z (b + j) / (c + j) < z, so the
    sum has no cancellation and its tail after a term t is below t z / (1 - z). scipy's hyp2f1
    returns NaN near z = 1 when c - a - b is a whole number (alpha a whole number here); the
    series has no such case.
    """
    total = np.ones_like(b)
    term = np.ones_like(b)
    done = 0
    while done < SERIES_MAX_TERMS:
        j = done + np.arange(SERIES_CHUNK, dtype=float)
        terms = term[:, None] * np.cumprod(z * (b[:, None] + j) / (c[:, None] + j), axis=1)
        total = total + terms.sum(axis=1)
        term = terms[:, -1]
        done += SERIES_CHUNK
        if np.all(term * z / (1.0 - z) <= 1e-16 * total):
            break
    return total


def constant_churn_derl(churn_rate: float, d: float) -> float:
    """DERL when every customer churns with the same probability p each period, the sBG's limit.

    sum_{j >= 1} (1 - p)^j / (1 + d)^(j - 1) = (1 - p)(1 + d) / (d + p): the same for every age,
    with the convention of `sbg_derl` (the next renewal undiscounted).
    """
    if not 0 < churn_rate <= 1:
        raise ValueError(f"churn_rate must be in (0, 1], got {churn_rate}")
    if d < 0:
        raise ValueError(f"discount rate d must be >= 0, got {d}")
    return (1.0 - churn_rate) * (1.0 + d) / (d + churn_rate)


def constant_churn_log_likelihood(churn_rate: float, lifetime: ArrayLike, is_censored: ArrayLike) -> float:
    """Log-likelihood of the constant-churn (geometric) model: p (1 - p)^L if churned after L renewals, (1 - p)^L if not."""
    life = np.asarray(lifetime, dtype=float)
    churned = ~np.asarray(is_censored, dtype=bool)
    if churn_rate >= 1:
        return 0.0 if np.all(life == 0) and np.all(churned) else -np.inf
    return float(churned.sum() * np.log(churn_rate) + life.sum() * np.log1p(-churn_rate))


def fit_constant_churn(lifetime: ArrayLike, is_censored: ArrayLike) -> tuple[float, float]:
    """Maximum-likelihood constant churn rate (churns / renewal decisions observed) and its log-likelihood.

    Every renewal made and every churn is one renewal decision observed; the rate is null (nan) when
    nobody has churned, since the likelihood then runs to a churn rate of zero.
    """
    life = np.asarray(lifetime, dtype=float)
    churns = float((~np.asarray(is_censored, dtype=bool)).sum())
    decisions = float(life.sum()) + churns
    if churns == 0:
        return float("nan"), float("nan")
    rate = churns / decisions
    return rate, constant_churn_log_likelihood(rate, life, is_censored)


def _sbg_log_likelihood(
    alpha: float,
    beta: float,
    lifetime: NDArray[np.float64],
    is_censored: NDArray[np.bool_],
    weight: NDArray[np.float64],
) -> float:
    """Weighted log-likelihood: churned after L renewals -> P(T = L + 1); still active after L -> S(L)."""
    base = betaln(alpha, beta)
    churned = betaln(alpha + 1.0, beta + lifetime) - base
    censored = betaln(alpha, beta + lifetime) - base
    return float(np.sum(weight * np.where(is_censored, censored, churned)))


def _check_identifiable(
    lifetime: NDArray[np.float64],
    is_censored: NDArray[np.bool_],
    weight: NDArray[np.float64],
    min_customers: int,
) -> None:
    """Raise FitError, saying why, when the data cannot pin down alpha and beta."""
    n = int(weight.sum())
    if n < min_customers:
        raise FitError(f"too few observations: {n} customers, at least {min_customers} needed")
    churned = ~is_censored & (weight > 0)
    if not churned.any():
        raise FitError("no churn at all: every customer is still retained, so churn cannot be estimated")
    if np.all(lifetime[churned] == 0) and not np.any(lifetime[is_censored & (weight > 0)] >= 1):
        raise FitError(
            "all churned customers churned in period 1 and nobody is observed to renew, "
            "so retention is zero and the model cannot be fitted"
        )
    beyond_first = (churned & (lifetime >= 1)) | (is_censored & (weight > 0) & (lifetime >= 2))
    if not beyond_first.any():
        raise FitError(
            "no customer is observed beyond the first period: one period of data cannot "
            "separate alpha from beta"
        )


def _start_values(
    lifetime: NDArray[np.float64], is_censored: NDArray[np.bool_], weight: NDArray[np.float64]
) -> list[float]:
    """Start at alpha = 1 with beta matching the first-period churn rate."""
    at_risk = weight[(lifetime >= 1) | ~is_censored].sum()
    churned_first = weight[(lifetime == 0) & ~is_censored].sum()
    churn_rate = float(np.clip(churned_first / at_risk, 0.01, 0.99))
    return [1.0, (1.0 - churn_rate) / churn_rate]


def _fit_counts(
    lifetime: NDArray[np.float64],
    is_censored: NDArray[np.bool_],
    weight: NDArray[np.float64],
    min_customers: int,
) -> SbgFit:
    """Fit the sBG to (lifetime, censoring) cells holding `weight` customers each."""
    _check_identifiable(lifetime, is_censored, weight, min_customers)
    n = int(weight.sum())
    (alpha, beta), loglik, message = maximise_log_likelihood(
        lambda p: _sbg_log_likelihood(p[0], p[1], lifetime, is_censored, weight),
        _start_values(lifetime, is_censored, weight),
        ["alpha", "beta"],
        n,
        BOUNDARY_HINT,
    )
    return SbgFit(float(alpha), float(beta), loglik, n, True, message)


def fit_sbg(lifetime: ArrayLike, is_censored: ArrayLike, *, min_customers: int = 10) -> SbgFit:
    """Fit the sBG by maximum likelihood to one row per customer.

    `lifetime` is the number of renewals the customer made (periods survived
    after the first); `is_censored` is True while the customer is still
    active (we only know T > lifetime) and False once they churned (T =
    lifetime + 1). Cohorts of different ages mix freely. Customers are pooled
    into (lifetime, is_censored) cells first, so large segments fit fast.
    """
    life = np.asarray(lifetime, dtype=float)
    censored = np.asarray(is_censored, dtype=bool)
    if life.shape != censored.shape or life.ndim != 1:
        raise ValueError("lifetime and is_censored must be 1-d arrays of the same length")
    if np.any(life < 0) or np.any(life != np.round(life)):
        raise ValueError("lifetime must hold non-negative whole numbers of renewals")
    # One number per cell, 2 * lifetime + censored, sorts as the (lifetime, censored) pairs do, and far faster
    # than np.unique over rows.
    cells, counts = np.unique(2.0 * life + censored, return_counts=True)
    return _fit_counts(np.floor(cells / 2.0), cells % 2.0 == 1.0, counts.astype(float), min_customers)


def fit_sbg_from_survivors(survivors: Sequence[int], *, min_customers: int = 10) -> SbgFit:
    """Fit the sBG to one cohort's counts still active at t = 0, 1, ..., T.

    The drop between t - 1 and t are customers who churned in period t (made
    t - 1 renewals); the last count is right-censored (made T renewals, still
    active). Gives exactly the fit of `fit_sbg` on the matching customer rows.
    """
    counts = np.asarray(survivors, dtype=float)
    if counts.ndim != 1 or counts.size < 2:
        raise ValueError("survivors needs counts for t = 0 and at least one later period")
    if np.any(counts < 0) or np.any(np.diff(counts) > 0):
        raise ValueError("survivors must be non-negative and never increase")
    periods = counts.size - 1
    lifetime = np.arange(periods + 1, dtype=float)
    is_censored = np.arange(periods + 1) == periods
    weight = np.append(-np.diff(counts), counts[-1])
    keep = weight > 0
    return _fit_counts(lifetime[keep], is_censored[keep], weight[keep], min_customers)
