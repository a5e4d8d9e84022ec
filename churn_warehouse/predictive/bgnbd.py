"""BG/NBD model of repeat purchasing for non-contractual (one-off purchase) customers.

Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2). While alive a
customer buys as Poisson(lambda), lambda ~ gamma(r, alpha); after each
purchase they drop out with probability p, p ~ beta(a, b). A customer is
summarised over the calibration period by frequency x (repeat purchases),
recency t_x (time of the last purchase, from the first) and age T (time from
the first purchase to the end of calibration), all times in one unit (weeks
for CDNOW).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, gammaln, hyp2f1

from churn_warehouse.predictive import FitError, maximise_log_likelihood


@dataclass(frozen=True)
class BgNbdFit:
    """Maximum-likelihood BG/NBD parameters with the log-likelihood and sample size behind them."""

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n: int
    converged: bool
    message: str


def _summary_arrays(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate (x, t_x, T) and return them as float arrays."""
    x, t_x, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    x, t_x, age = np.broadcast_arrays(x, t_x, age)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must hold non-negative whole numbers of repeat purchases")
    if np.any(t_x < 0) or np.any(t_x > age + 1e-9):
        raise ValueError("recency must lie between 0 and T")
    if np.any((x > 0) & (t_x <= 0)):
        raise ValueError("a customer with repeat purchases must have recency > 0")
    return x, t_x, age


class SummaryColumn:
    """One column of (x, t_x, T) summaries held as its distinct values and each row's place among them. A function
    of the column (`of`) is evaluated once per distinct value and spread to the rows: the same numbers as on every
    row, for far fewer special-function calls (frequency and age take a few hundred values over hundreds of
    thousands of summaries). Built once per fit; the likelihoods take it in place of an array."""

    def __init__(self, values: NDArray[np.float64]) -> None:
        self.values = values
        self._distinct, self._at = np.unique(values, return_inverse=True)

    def of(self, function: Callable[[NDArray[np.float64]], NDArray[np.float64]]) -> NDArray[np.float64]:
        return function(self._distinct)[self._at]


class _RowColumn(SummaryColumn):
    """A summary column evaluated row by row: SummaryColumn's interface for an array given once."""

    def __init__(self, values: NDArray[np.float64]) -> None:
        self.values = values

    def of(self, function: Callable[[NDArray[np.float64]], NDArray[np.float64]]) -> NDArray[np.float64]:
        return function(self.values)


def _summary_columns(
    frequency: ArrayLike | SummaryColumn, recency: ArrayLike | SummaryColumn, T: ArrayLike | SummaryColumn
) -> tuple[SummaryColumn, SummaryColumn, SummaryColumn]:
    """The likelihoods' inputs as summary columns: validated arrays (_summary_arrays), or the columns as given."""
    if isinstance(frequency, SummaryColumn) and isinstance(recency, SummaryColumn) and isinstance(T, SummaryColumn):
        return frequency, recency, T
    x, t_x, age = _summary_arrays(frequency, recency, T)  # type: ignore[arg-type]
    return _RowColumn(x), _RowColumn(t_x), _RowColumn(age)


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float,
    frequency: ArrayLike | SummaryColumn, recency: ArrayLike | SummaryColumn, T: ArrayLike | SummaryColumn,
) -> NDArray[np.float64]:
    """Per-customer log-likelihood, FHL (2005) eq. 6, summed in log space for stability.

    L = Gamma(r+x) alpha^r / Gamma(r) * [ B(a, b+x)/B(a, b) / (alpha+T)^(r+x)
        + 1{x>0} B(a+1, b+x-1)/B(a, b) / (alpha+t_x)^(r+x) ]
    """
    x, t_x, age = _summary_columns(frequency, recency, T)
    common = x.of(lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    still_alive = x.of(lambda v: betaln(a, b + v)) - (r + x.values) * age.of(lambda v: np.log(alpha + v))
    repeat = x.values > 0
    dropped_out = np.full_like(x.values, -np.inf)
    dropped_out[repeat] = (
        x.of(lambda v: betaln(a + 1.0, b + v - 1.0)) - (r + x.values) * t_x.of(lambda v: np.log(alpha + v))
    )[repeat]
    return common + np.logaddexp(still_alive, dropped_out)


def _start_values(x: NDArray[np.float64], age: NDArray[np.float64]) -> list[float]:
    """Start at r = 1 with alpha matching the observed purchase rate, and a = b = 1."""
    rate = max(x.sum() / age.sum(), 1e-6)
    return [1.0, 1.0 / rate, 1.0, 1.0]


def fit_purchase_counts(
    log_likelihood: Callable[..., NDArray[np.float64]], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike,
    min_customers: int,
) -> tuple[tuple[float, float, float, float], float, int, str]:
    """Maximise a BG/NBD-family log-likelihood over (r, alpha, a, b): (parameters, log-likelihood, n, message).

    Raises FitError when there are fewer than `min_customers` customers, when nobody made a repeat purchase,
    when no time was observed, or when the optimiser does not converge.
    """
    x, t_x, age = _summary_arrays(frequency, recency, T)
    n = x.size
    if n < min_customers:
        raise FitError(f"too few observations: {n} customers, at least {min_customers} needed")
    if not np.any(x > 0):
        raise FitError("no repeat purchases at all: the purchase and drop-out processes cannot be estimated")
    if not np.any(age > 0):
        raise FitError("every customer was acquired at the end of calibration (T = 0): no time observed")
    start = _start_values(x, age)
    # Customers with the same (x, t_x, T) have the same likelihood: each distinct summary counts once, weighted by
    # how many customers share it (about half as many rows as customers at 1,000,000 customers).
    summaries, customers = np.unique(np.column_stack([x, t_x, age]), axis=0, return_counts=True)
    x, t_x, age = (SummaryColumn(column) for column in summaries.T)
    weights = customers.astype(float)
    (r, alpha, a, b), loglik, message = maximise_log_likelihood(
        lambda p: float(weights @ log_likelihood(p[0], p[1], p[2], p[3], x, t_x, age)),
        start,
        ["r", "alpha", "a", "b"],
        n,
    )
    return (float(r), float(alpha), float(a), float(b)), loglik, n, message


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, min_customers: int = 10) -> BgNbdFit:
    """Fit the BG/NBD by maximum likelihood to one (x, t_x, T) row per customer (refusals: fit_purchase_counts)."""
    params, loglik, n, message = fit_purchase_counts(bgnbd_log_likelihood, frequency, recency, T, min_customers)
    return BgNbdFit(*params, loglik, n, True, message)


def _alive_odds_ratio(
    fit: BgNbdFit, x: NDArray[np.float64], t_x: NDArray[np.float64], age: NDArray[np.float64]
) -> NDArray[np.float64]:
    """1{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): odds that a repeat buyer has already dropped out."""
    odds = np.zeros_like(x)
    rep = x > 0
    log_odds = (
        np.log(fit.a)
        - np.log(fit.b + x[rep] - 1.0)
        + (fit.r + x[rep]) * (np.log(fit.alpha + age[rep]) - np.log(fit.alpha + t_x[rep]))
    )
    odds[rep] = np.exp(log_odds)
    return odds


def bgnbd_p_alive(
    fit: BgNbdFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """P(alive | x, t_x, T) = 1 / (1 + odds of having dropped out); 1 for customers without repeat purchases.

    FHL (2005) only let customers drop out right after a purchase, so one
    who never bought again is certainly still alive in this model.
    """
    x, t_x, age = _summary_arrays(frequency, recency, T)
    return 1.0 / (1.0 + _alive_odds_ratio(fit, x, t_x, age))


def bgnbd_expected_purchases(
    fit: BgNbdFit, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t periods, FHL (2005) eq. 10.

    (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / (1 + odds of having dropped out).
    The expression holds for a < 1 too (numerator and a - 1 change sign together).
    """
    if t < 0:
        raise ValueError(f"horizon t must be >= 0, got {t}")
    x, t_x, age = _summary_arrays(frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    shrink = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t)))
    hyper = hyp2f1(r + x, b + x, a + b + x - 1.0, t / (alpha + age + t))
    given_alive = (a + b + x - 1.0) / (a - 1.0) * (1.0 - shrink * hyper)
    return given_alive / (1.0 + _alive_odds_ratio(fit, x, t_x, age))


def summarise_purchases(
    customer_id: ArrayLike,
    purchased_at: ArrayLike,
    amount: ArrayLike,
    calibration_end: str | pd.Timestamp,
    period_days: float = 7.0,
) -> pd.DataFrame:
    """Summarise purchase rows into BG/NBD and Gamma-Gamma inputs, one row per customer.

    `purchased_at` holds timezone-naive dates or timestamps (local business
    days). Purchases after `calibration_end` are dropped and purchases on the same day
    merge into one transaction (amounts summed). frequency = purchase days after
    the first; recency = first to last purchase day and T = first purchase day
    to `calibration_end`, both in periods of `period_days` days; monetary_value =
    mean amount of the repeat purchase days (0 when there are none, which the
    Gamma-Gamma formulas ignore because they weight it by frequency).
    """
    end = pd.Timestamp(calibration_end).normalize()
    rows = pd.DataFrame(
        {
            "customer_id": np.asarray(customer_id),
            "day": pd.to_datetime(np.asarray(purchased_at)).normalize(),
            "amount": np.asarray(amount, dtype=float),
        }
    )
    days = rows[rows["day"] <= end].groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    days = days.sort_values(["customer_id", "day"])
    by_customer = days.groupby("customer_id")
    first, last = by_customer["day"].min(), by_customer["day"].max()
    frequency = by_customer.size() - 1
    repeat_spend = days[by_customer.cumcount() > 0].groupby("customer_id")["amount"].mean()
    period = pd.Timedelta(days=period_days)
    return pd.DataFrame(
        {
            "frequency": frequency.astype(int),
            "recency": (last - first) / period,
            "T": (end - first) / period,
            "monetary_value": repeat_spend.reindex(frequency.index, fill_value=0.0),
        }
    )
