"""Subscription CLTV in contract periods: sBG fits per segment and billing interval, their checks and projections.

A monthly customer has one renewal opportunity a month, a quarterly one every three
months, an annual one a year: the sBG (Fader & Hardie 2007) is fitted per segment and
interval with the contract period as its time unit, so an annual plan's churn at month
12 is its first-period churn, not a spike in a monthly curve. Where a group cannot be
fitted, a documented fallback chain gives every paying customer a value
(DECISIONLOG.md, "Predictive CLTV"). The dbt Python models of
models/intermediate/lifetime_value/ call these functions through churn_warehouse.cltv.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from churn_warehouse.predictive import (
    FitError,
    SbgFit,
    constant_churn_derl,
    constant_churn_log_likelihood,
    fit_constant_churn,
    fit_sbg,
    sbg_derl,
    sbg_survival,
)

OVERALL = "all"  # the segment value of the fit on every customer of an interval, as in the `all` rows of other marts
PROJECTION_MONTHS = 24  # retention curves run this many months past the oldest observed age
HOLDOUT_MONTHS = 12  # the holdout check refits without the last 12 months: K = 12 / period months periods

# Where a group's parameters come from, in the order they are tried.
SOURCE_GROUP = "segment_interval"  # the group's own sBG fit
SOURCE_INTERVAL = "interval"  # the sBG fit on every customer of the interval, across segments
SOURCE_CONSTANT = "constant_churn"  # a constant churn rate per period, the sBG's limit
INTERVAL_NAMES = {1: "monthly", 3: "quarterly", 6: "semi-annual", 12: "annual"}

SURVIVAL_COLUMNS = ["segment", "interval_months", "tenure_months", "months_to_first_churn", "renewals", "is_censored"]
FIT_COLUMNS = [
    "segment",
    "interval_months",
    "fit_source",
    "sbg_alpha",
    "sbg_beta",
    "period_churn_rate",
    "fit_note",
    "n_customers",
    "n_churned",
    "renewal_decisions",
    "periods_observed",
    "log_likelihood",
    "constant_churn_log_likelihood",
    "likelihood_ratio",
    "holdout_periods",
    "holdout_customers",
    "holdout_mean_abs_error",
    "holdout_note",
]
SUBSCRIPTION_COLUMNS = [
    "customer_id",
    "segment",
    "tenure_months",
    "current_mrr",
    "sbg_period_months",
    "sbg_alpha",
    "sbg_beta",
    "sbg_fit_source",
    "sbg_fit_note",
    "expected_residual_lifetime_months",
    "cltv_predicted",
]
CURVE_COLUMNS = [
    "segment",
    "interval_months",
    "periods_since_start",
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


def period_discount_rate(annual_discount_rate: float, period_months: int = 1) -> float:
    """d = (1 + annual rate)^(k/12) - 1: the rate of a k-month period that compounds to the annual one."""
    if not np.isfinite(annual_discount_rate) or annual_discount_rate < 0:
        raise ValueError(f"annual_discount_rate must be a finite rate >= 0, got {annual_discount_rate}")
    return float((1.0 + annual_discount_rate) ** (period_months / 12.0) - 1.0)


def interval_name(period_months: int) -> str:
    """monthly, quarterly, semi-annual, annual, or `k-month` for any other interval."""
    return INTERVAL_NAMES.get(int(period_months), f"{int(period_months)}-month")


def _text(values: object, index: pd.Index | None = None) -> pd.Series:
    """A nullable text column, so an all-null column still lands in the warehouse as varchar."""
    return pd.Series(values, index=index, dtype="string")


# ---------------------------------------------------------------- the model of one group


@dataclass(frozen=True)
class PeriodModel:
    """A group's retention model in contract periods: sBG (alpha, beta) or, as its limit, a constant churn rate."""

    source: str
    alpha: float  # nan for constant churn
    beta: float
    churn_rate: float  # first-period churn alpha / (alpha + beta), or the constant rate
    note: str | None

    @property
    def is_sbg(self) -> bool:
        return bool(np.isfinite(self.alpha) and np.isfinite(self.beta))

    def survival(self, periods: ArrayLike) -> NDArray[np.float64]:
        """Share of a new cohort still active after `periods` renewal opportunities."""
        t = np.asarray(periods, dtype=float)
        if self.is_sbg:
            return np.asarray(sbg_survival(self.alpha, self.beta, t), dtype=float)
        return (1.0 - self.churn_rate) ** t

    def residual_periods(self, d: float, renewals: ArrayLike) -> NDArray[np.float64]:
        """Discounted expected further renewals (DERL) at the period rate d after `renewals` renewals."""
        n = np.asarray(renewals, dtype=float)
        if self.is_sbg:
            return np.asarray(sbg_derl(self.alpha, self.beta, d, n), dtype=float)
        return np.full(n.shape, constant_churn_derl(self.churn_rate, d))


def _sbg_model(fit: SbgFit, source: str, note: str | None) -> PeriodModel:
    return PeriodModel(source, fit.alpha, fit.beta, fit.alpha / (fit.alpha + fit.beta), note)


def _fit_or_reason(customers: pd.DataFrame, min_customers: int) -> SbgFit | str:
    """The sBG fit of these customers, or the FitError message saying why there is none."""
    try:
        return fit_sbg(
            customers["renewals"].to_numpy(dtype=float),
            customers["is_censored"].to_numpy(dtype=bool),
            min_customers=min_customers,
        )
    except FitError as error:
        return str(error)


def _renewal_months(customers: pd.DataFrame) -> tuple[float, float]:
    """(monthly churns, monthly renewal decisions) of these customers, counted in months whatever their interval."""
    to_churn = customers["months_to_first_churn"].to_numpy(dtype=float, na_value=np.nan)
    tenure = customers["tenure_months"].to_numpy(dtype=float, na_value=np.nan)
    churned = np.isfinite(to_churn)
    return float(churned.sum()), float(np.where(churned, to_churn, tenure).sum())


def _constant_churn(interval_customers: pd.DataFrame, everyone: pd.DataFrame, period_months: int) -> tuple[float, str]:
    """The constant churn rate per period of an interval and how it was found.

    The interval's observed rate (churns / renewal decisions) when it has a churn; else every
    customer's monthly rate compounded to the period; else, with no churn anywhere yet, half a churn
    is assumed over every month observed, so the lifetime stays finite.
    """
    name = interval_name(period_months)
    rate, _ = fit_constant_churn(interval_customers["renewals"], interval_customers["is_censored"])
    if np.isfinite(rate):
        churns = int((~interval_customers["is_censored"].astype(bool)).sum())
        return rate, (f"constant churn per period: {churns} churns of {name} customers in "
                      f"{churns / rate:.0f} renewal decisions")
    churns, decisions = _renewal_months(everyone)
    if churns > 0:
        monthly = churns / decisions
        note = f"no {name} customer has churned yet: every customer's monthly churn rate compounded to the period"
    else:
        monthly = 0.5 / (decisions + 1.0)
        note = "no customer has churned yet: half a churn is assumed over every month observed"
    return float(1.0 - (1.0 - monthly) ** period_months), note


def choose_model(
    group: pd.DataFrame, interval_customers: pd.DataFrame, everyone: pd.DataFrame, *,
    segment: str, period_months: int, min_customers: int, interval_fit: SbgFit | str | None = None,
) -> tuple[PeriodModel, SbgFit | None]:
    """The first model that can be fitted, in order: the group's sBG, the interval's sBG, constant churn.

    Returns the model used and the group's own sBG fit (None without one). `segment` is the
    group's segment or `all` (then the group is the whole interval and the second step is skipped).
    `interval_fit` is the interval's fit (or why there is none) when the caller already has it.
    """
    name = interval_name(period_months)
    own = interval_fit if segment == OVERALL and interval_fit is not None else _fit_or_reason(group, min_customers)
    if isinstance(own, SbgFit):
        return _sbg_model(own, SOURCE_GROUP, None), own
    who = f"every {name} customer" if segment == OVERALL else f"the {name} customers of segment '{segment}'"
    why = f"{who} cannot be fitted ({own})"
    if segment != OVERALL:
        pooled = interval_fit if interval_fit is not None else _fit_or_reason(interval_customers, min_customers)
        if isinstance(pooled, SbgFit):
            return _sbg_model(pooled, SOURCE_INTERVAL, f"{why}; the fit on every {name} customer is used"), None
        why += f", nor can every {name} customer ({pooled})"
    rate, how = _constant_churn(interval_customers, everyone, period_months)
    return PeriodModel(SOURCE_CONSTANT, np.nan, np.nan, rate, f"{why}; {how}"), None


# ---------------------------------------------------------------- holdout check


def calibration_frame(customers: pd.DataFrame, holdout_months: int = HOLDOUT_MONTHS) -> pd.DataFrame:
    """The customers as they were `holdout_months` earlier: later churns unseen, later starters absent."""
    age = customers["tenure_months"].to_numpy(dtype=float, na_value=np.nan) - holdout_months
    to_churn = customers["months_to_first_churn"].to_numpy(dtype=float, na_value=np.nan)
    period = customers["interval_months"].to_numpy(dtype=float)
    churned_by_then = np.isfinite(to_churn) & (to_churn <= age)
    calibration = customers.assign(
        tenure_months=age,
        months_to_first_churn=np.where(churned_by_then, to_churn, np.nan),
        renewals=np.floor(np.where(churned_by_then, to_churn - 1.0, age) / period),
        is_censored=~churned_by_then,
    )
    return calibration[np.isfinite(age) & (age >= 0)]


def holdout_error(
    group: pd.DataFrame, fit_calibrated: Callable[[pd.DataFrame], PeriodModel], period_months: int,
    holdout_months: int = HOLDOUT_MONTHS,
) -> tuple[int, int, float, str | None]:
    """(K periods, customers alive at the cut, mean absolute error of projected vs observed survivors, note).

    The model is refitted as it would have been `holdout_months` ago, the survivors of the customers
    alive then are projected over the K = holdout_months / period renewal opportunities since, and
    compared with those observed at each one.
    """
    periods = holdout_months // period_months
    calibration = calibration_frame(group, holdout_months)
    alive = calibration[calibration["is_censored"]]
    if periods < 1 or alive.empty:
        return periods, 0, np.nan, f"nobody in this group was a customer {holdout_months} months ago"
    model = fit_calibrated(calibration)
    start = alive["renewals"].to_numpy(dtype=float)
    age = alive["tenure_months"].to_numpy(dtype=float)
    to_churn = group.loc[alive.index, "months_to_first_churn"].to_numpy(dtype=float, na_value=np.nan)
    errors = []
    for step in range(1, periods + 1):
        projected = float(np.sum(model.survival(start + step) / model.survival(start)))
        observed = float(np.sum(~(to_churn <= age + step * period_months)))
        errors.append(abs(projected - observed))
    return periods, len(alive), float(np.mean(errors)), None


# ---------------------------------------------------------------- fits per segment and interval


def _check_survival(survival: pd.DataFrame) -> None:
    missing = [c for c in SURVIVAL_COLUMNS if c not in survival.columns]
    if missing:
        raise ValueError(f"int_customer_survival lacks column(s) {missing}: rebuild it")
    if OVERALL in set(survival["segment"].dropna()):
        raise ValueError(f"a segment is called '{OVERALL}', the name reserved for the fit across segments: rename it")
    bad = survival.loc[~(survival["interval_months"] >= 1), "interval_months"]
    if len(bad):
        raise ValueError(f"interval_months must be a whole number of months >= 1; {len(bad)} rows are not, "
                         f"e.g. {bad.iloc[0]!r}")


def _groups(survival: pd.DataFrame) -> list[tuple[int, str, pd.DataFrame, pd.DataFrame]]:
    """(period months, segment or `all`, the group's customers, the interval's customers), interval by interval."""
    groups = []
    for period_months, interval_customers in survival.groupby("interval_months", sort=True):
        groups.append((int(period_months), OVERALL, interval_customers, interval_customers))
        for segment, customers in interval_customers.groupby("segment", sort=True):
            groups.append((int(period_months), str(segment), customers, interval_customers))
    return groups


def _fit_row(
    segment: str, period_months: int, customers: pd.DataFrame, model: PeriodModel, own: SbgFit | None,
    holdout: tuple[int, int, float, str | None],
) -> dict[str, object]:
    """One row of the fits table: the model used, the group's own fits beside the constant-churn one, the holdout."""
    lifetime = customers["renewals"].to_numpy(dtype=float)
    censored = customers["is_censored"].to_numpy(dtype=bool)
    rate, geometric = fit_constant_churn(lifetime, censored)
    if not np.isfinite(rate):
        geometric = constant_churn_log_likelihood(model.churn_rate, lifetime, censored)
    own_loglik = own.loglik if own else np.nan
    periods, alive, error, note = holdout
    return {
        "segment": segment,
        "interval_months": period_months,
        "fit_source": model.source,
        "sbg_alpha": model.alpha,
        "sbg_beta": model.beta,
        "period_churn_rate": model.churn_rate,
        "fit_note": model.note,
        "n_customers": len(customers),
        "n_churned": int((~censored).sum()),
        "renewal_decisions": int(lifetime.sum() + (~censored).sum()),
        "periods_observed": int(np.max(lifetime + ~censored)) if len(customers) else 0,
        "log_likelihood": own_loglik,
        "constant_churn_log_likelihood": geometric,
        "likelihood_ratio": max(0.0, 2.0 * (own_loglik - geometric)) if own else np.nan,
        "holdout_periods": periods,
        "holdout_customers": alive,
        "holdout_mean_abs_error": error,
        "holdout_note": note,
    }


def fit_sbg_by_segment_and_interval(
    survival: pd.DataFrame, *, min_customers: int, holdout_months: int = HOLDOUT_MONTHS
) -> pd.DataFrame:
    """One row per (segment, interval) and per (`all`, interval): the model used, its diagnostics and holdout.

    `survival` has one row per customer (int_customer_survival): segment, interval_months,
    renewals in contract periods, is_censored, tenure_months and months_to_first_churn.
    """
    _check_survival(survival)
    # In customer order, so the holdout's float sums are the same on every build whatever order dbt reads in.
    survival = survival.sort_values("customer_id", kind="stable", ignore_index=True)
    everyone_then = calibration_frame(survival, holdout_months)
    rows = []
    interval_fits: dict[int, tuple[SbgFit | str, pd.DataFrame, SbgFit | str]] = {}  # each interval's fits, now and then
    for period_months, segment, customers, interval_customers in _groups(survival):
        if period_months not in interval_fits:
            interval_then = calibration_frame(interval_customers, holdout_months)
            interval_fits[period_months] = (_fit_or_reason(interval_customers, min_customers), interval_then,
                                            _fit_or_reason(interval_then, min_customers))
        pooled_now, interval_then, pooled_then = interval_fits[period_months]
        model, own = choose_model(customers, interval_customers, survival, segment=segment,
                                  period_months=period_months, min_customers=min_customers, interval_fit=pooled_now)

        def refit(calibration: pd.DataFrame) -> PeriodModel:
            return choose_model(calibration, interval_then, everyone_then, segment=segment,
                                period_months=period_months, min_customers=min_customers,
                                interval_fit=pooled_then)[0]

        holdout = holdout_error(customers, refit, period_months, holdout_months)
        rows.append(_fit_row(segment, period_months, customers, model, own, holdout))
    fits = pd.DataFrame(rows, columns=FIT_COLUMNS)
    for column in ("segment", "fit_source", "fit_note", "holdout_note"):
        fits[column] = _text(fits[column])
    return fits.astype({
        "interval_months": "int64", "n_customers": "int64", "n_churned": "int64", "renewal_decisions": "int64",
        "periods_observed": "int64", "holdout_periods": "int64", "holdout_customers": "int64",
        "sbg_alpha": float, "sbg_beta": float, "period_churn_rate": float, "log_likelihood": float,
        "constant_churn_log_likelihood": float, "likelihood_ratio": float, "holdout_mean_abs_error": float,
    })


def _model_of(fit: pd.Series | object) -> PeriodModel:
    """The PeriodModel of one row of the fits table."""
    note = getattr(fit, "fit_note")
    return PeriodModel(str(getattr(fit, "fit_source")), float(getattr(fit, "sbg_alpha")),
                       float(getattr(fit, "sbg_beta")), float(getattr(fit, "period_churn_rate")),
                       note if isinstance(note, str) else None)


# ---------------------------------------------------------------- subscription CLTV


def predict_subscription_cltv(
    survival: pd.DataFrame, fits: pd.DataFrame, *, annual_discount_rate: float, gross_margin: float
) -> pd.DataFrame:
    """Per customer: residual lifetime in months and cltv = current_mrr * gross_margin * that lifetime.

    The customer's (segment, interval) fit gives DERL(d_k | alpha, beta, n) in periods of k months,
    n = tenure_periods renewals made (0 in the first, incomplete period) and d_k the k-month rate of
    `annual_discount_rate`; k * DERL is the lifetime in months. Only customers paying at the last
    complete month have one; the others get a null lifetime and cltv 0 (they pay nothing now).
    """
    keys = ["segment", "interval_months"]
    merged = survival.merge(fits, on=keys, how="left", validate="many_to_one")
    unknown = merged["fit_source"].isna()
    if unknown.any():
        sample = merged.loc[unknown, keys].drop_duplicates().head(5).to_dict("records")
        raise ValueError(f"no fit row for (segment, interval_months) {sample}: fit the same survival frame")
    mrr = merged["current_mrr"].to_numpy(dtype=float)
    period = merged["interval_months"].to_numpy(dtype=np.int64)
    tenure = merged["tenure_months"].to_numpy(dtype=float)
    active = mrr > 0
    residual = np.full(len(merged), np.nan)
    for fit in fits.itertuples(index=False):
        same = active & (merged["segment"].to_numpy() == fit.segment) & (period == fit.interval_months)
        if same.any():
            d = period_discount_rate(annual_discount_rate, fit.interval_months)
            periods_made = np.floor(tenure[same] / fit.interval_months)
            residual[same] = fit.interval_months * _model_of(fit).residual_periods(d, periods_made)
    return pd.DataFrame(
        {
            "customer_id": _text(merged["customer_id"]),
            "segment": _text(merged["segment"]),
            "tenure_months": merged["tenure_months"].astype("int64"),
            "current_mrr": mrr,
            "sbg_period_months": period,
            "sbg_alpha": merged["sbg_alpha"].to_numpy(dtype=float),
            "sbg_beta": merged["sbg_beta"].to_numpy(dtype=float),
            "sbg_fit_source": _text(merged["fit_source"]),
            "sbg_fit_note": _text(merged["fit_note"]),
            "expected_residual_lifetime_months": residual,
            "cltv_predicted": np.where(active, mrr * gross_margin * residual, 0.0),
        },
        columns=SUBSCRIPTION_COLUMNS,
    )


# ---------------------------------------------------------------- retention curves


def observed_survival(renewals: pd.Series, is_censored: pd.Series) -> pd.DataFrame:
    """Product-limit (Kaplan-Meier) share never churned after each number of periods, pooling every cohort.

    A customer who churned after L renewals leaves at age L + 1; one still active
    after L renewals is observed up to age L. At age j the customers at risk are
    those alive at j - 1 whose age j is observed; S(j) = S(j - 1) * (1 - churned
    at j / at risk at j), S(0) = 1. With a single cohort this is the plain share
    still never churned; with many it never rises with age.
    """
    life = renewals.to_numpy(dtype=np.int64)
    censored = is_censored.to_numpy(dtype=bool)
    if life.size == 0:
        return pd.DataFrame({"periods_since_start": [], "customers_at_risk": [], "churned_customers": [],
                             "observed_survival": []}).astype({"periods_since_start": "int64",
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
            "periods_since_start": np.arange(max_age + 1, dtype=np.int64),
            "customers_at_risk": at_risk.astype(np.int64),
            "churned_customers": churned.astype(np.int64),
            "observed_survival": survival,
        }
    )


def retention_curves(
    survival: pd.DataFrame, fits: pd.DataFrame, *, projection_months: int = PROJECTION_MONTHS
) -> pd.DataFrame:
    """Per (segment, interval) and (`all`, interval): observed survival in renewals beside the fitted one, projected.

    Observed ages run from 0 to the oldest number of periods seen; projection_months / k more
    periods follow (at least one) with is_projection true and only the fitted survival.
    """
    curves = []
    for fit in fits.itertuples(index=False):
        same_interval = survival["interval_months"] == fit.interval_months
        in_group = same_interval if fit.segment == OVERALL else same_interval & (survival["segment"] == fit.segment)
        customers = survival[in_group]
        observed = observed_survival(customers["renewals"], customers["is_censored"])
        observed["is_projection"] = False
        last_observed = int(observed["periods_since_start"].max()) if len(observed) else -1
        extra = max(1, projection_months // int(fit.interval_months))
        projected = pd.DataFrame({
            "periods_since_start": np.arange(last_observed + 1, last_observed + 1 + extra, dtype=np.int64),
            "is_projection": True,
        })
        curve = pd.concat([observed, projected], ignore_index=True)
        curve["fitted_survival"] = _model_of(fit).survival(curve["periods_since_start"].to_numpy(dtype=float))
        curve["months_since_start"] = curve["periods_since_start"] * int(fit.interval_months)
        curve["segment"] = fit.segment
        curve["interval_months"] = int(fit.interval_months)
        curve["sbg_alpha"] = fit.sbg_alpha
        curve["sbg_beta"] = fit.sbg_beta
        curve["sbg_fit_source"] = fit.fit_source
        curve["sbg_fit_note"] = fit.fit_note if isinstance(fit.fit_note, str) else None
        curves.append(curve)
    if not curves:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    result = pd.concat(curves, ignore_index=True)[CURVE_COLUMNS]
    for column in ("segment", "sbg_fit_source", "sbg_fit_note"):
        result[column] = _text(result[column])
    return result.astype({"interval_months": "int64", "months_since_start": "int64",
                          "customers_at_risk": "Int64", "churned_customers": "Int64", "is_projection": bool,
                          "observed_survival": float, "fitted_survival": float})
