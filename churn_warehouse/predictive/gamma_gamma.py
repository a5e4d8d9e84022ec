"""Gamma-Gamma model of spend per transaction for repeat buyers.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
base analysis", J. Marketing Research 42(4), and Fader & Hardie's note "The
Gamma-Gamma Model of Monetary Value" (2013). A customer's transaction values
are gamma(p, nu) with mean p/nu, and nu ~ gamma(q, gamma) across customers.
Only the x repeat transactions' mean zbar is used, so only customers with
x > 0 inform the fit. The model assumes spend is independent of frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

from churn_warehouse.predictive import FitError, maximise_log_likelihood


@dataclass(frozen=True)
class GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters with the log-likelihood and number of repeat buyers used."""

    p: float
    q: float
    gamma: float
    loglik: float
    n: int
    converged: bool
    message: str


def _repeat_buyers(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Keep customers with at least one repeat transaction; their mean spend must be positive."""
    x, zbar = np.broadcast_arrays(np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float))
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must hold non-negative whole numbers of repeat purchases")
    repeat = x > 0
    if np.any(~np.isfinite(zbar[repeat])) or np.any(zbar[repeat] <= 0):
        raise ValueError("monetary_value must be positive and finite for customers with frequency > 0")
    return x[repeat], zbar[repeat]


def gamma_gamma_log_likelihood(
    p: float, q: float, gamma: float, frequency: NDArray[np.float64], monetary_value: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per-customer log density of the mean spend zbar over x transactions (x > 0 only).

    f(zbar | x) = Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q x^(px) zbar^(px-1) / (gamma + x zbar)^(px+q)
    """
    x, zbar = frequency, monetary_value
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + px * np.log(x)
        + (px - 1.0) * np.log(zbar)
        - (px + q) * np.log(gamma + x * zbar)
    )


def fit_gamma_gamma(
    frequency: ArrayLike, monetary_value: ArrayLike, *, min_customers: int = 10
) -> GammaGammaFit:
    """Fit the Gamma-Gamma by maximum likelihood on the customers with frequency > 0.

    Customers without repeat purchases are dropped silently (they carry no
    repeat spend); `n` in the result counts the repeat buyers used.
    """
    x, zbar = _repeat_buyers(frequency, monetary_value)
    n = x.size
    if n < min_customers:
        raise FitError(f"too few observations: {n} repeat buyers, at least {min_customers} needed")
    if np.ptp(zbar) == 0:
        raise FitError("every repeat buyer has the same mean spend: spend heterogeneity cannot be estimated")
    (p, q, gamma), loglik, message = maximise_log_likelihood(
        lambda params: float(np.sum(gamma_gamma_log_likelihood(params[0], params[1], params[2], x, zbar))),
        [1.0, 2.0, float(np.mean(zbar))],
        ["p", "q", "gamma"],
        n,
    )
    return GammaGammaFit(float(p), float(q), float(gamma), loglik, n, True, message)


def gamma_gamma_expected_spend(
    fit: GammaGammaFit, frequency: ArrayLike, monetary_value: ArrayLike
) -> NDArray[np.float64]:
    """E[spend per transaction | x, zbar] = p (gamma + x zbar) / (p x + q - 1).

    A weighted average of the population mean p gamma / (q - 1) and the
    customer's own mean zbar, the weight on zbar growing with x; a customer
    with x = 0 gets the population mean (needs q > 1).
    """
    x = np.asarray(frequency, dtype=float)
    zbar = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
    return fit.p * (fit.gamma + x * zbar) / (fit.p * x + fit.q - 1.0)
