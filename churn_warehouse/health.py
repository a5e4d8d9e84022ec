"""Customer health: the fitted churn-risk model and the ranking measure of its backtest.

The risk model is a logistic regression of "churned within the next 3 month ends" on the eight signal
booleans of docs/metrics.md (and, optionally, the activity counts the signals are built from). For each snapshot
day D it is fitted only on month ends whose 3-month outcome was known by D, so no score ever learns from
the future it is judged on. The coefficients are returned in long form so that they can be published and
every score explained (dbt model int_health_logistic_fits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

SIGNALS: tuple[str, ...] = (
    "inactive",
    "usage_drop",
    "spend_decline",
    "survey_silence",
    "detractor",
    "complaints_rising",
    "payment_failing",
    "email_disengaged",
)
"""The signal columns, in the fixed order of the `signals` text."""

ACTIVITY_TERMS: tuple[str, ...] = ("log_activity_last_30d", "log_activity_prev_30d")
"""Optional graded terms: ln(1 + activity count) of the last 30 days and of the 30 days before."""

INTERCEPT = "intercept"

PATTERN_COUNT = "customer_snapshots"
"""Column of pre-aggregated training rows: how many customer-month ends share the row's pattern."""

FIT_COLUMNS: dict[str, str] = {
    "snapshot_date": "datetime64[us]",
    "term": "string",
    "term_order": "int64",
    "coefficient": "float64",
    "training_rows": "int64",
    "training_churned": "int64",
}
"""Columns of one fit per snapshot day and term, with their pandas types."""


def model_terms(use_activity: bool) -> list[str]:
    """The terms of the logistic model, intercept excluded, in the order coefficients are reported."""
    return list(SIGNALS) + (list(ACTIVITY_TERMS) if use_activity else [])


def design_matrix(rows: pd.DataFrame, terms: Sequence[str]) -> np.ndarray:
    """The model's inputs for `rows` (signal booleans as 0/1, activity counts as ln(1 + count))."""
    columns = []
    for term in terms:
        if term.startswith("log_"):
            columns.append(np.log1p(rows[term[len("log_"):]].to_numpy(dtype=float)))
        else:
            columns.append(rows[term].to_numpy(dtype=float))
    return np.column_stack(columns) if columns else np.empty((len(rows), 0))


def fit_logistic(
    features: np.ndarray,
    churned: np.ndarray,
    weights: np.ndarray | None = None,
    l2: float = 1.0,
    nonnegative: Sequence[bool] | None = None,
    start: np.ndarray | None = None,
    max_iterations: int = 100,
) -> np.ndarray:
    """Penalised maximum-likelihood logistic regression by projected Newton steps; returns [intercept, *coefs].

    The L2 penalty (`l2`, not on the intercept) keeps the fit finite when a signal fires only for churners.
    `nonnegative[j]` keeps coefficient j at or above 0 (a signal that fires never lowers the risk).
    `weights` counts identical rows once each (rows may be pre-aggregated); `start` warm-starts the search.
    """
    churned = np.asarray(churned, dtype=float)
    features = np.asarray(features, dtype=float).reshape(len(churned), -1)
    weights = np.ones(len(churned)) if weights is None else np.asarray(weights, dtype=float)
    design = np.column_stack([np.ones(len(churned)), features])
    penalty = np.full(design.shape[1], float(l2))
    penalty[0] = 0.0
    bounded = np.array([False, *(nonnegative if nonnegative is not None else [False] * features.shape[1])])

    def loss(beta: np.ndarray) -> float:
        linear = design @ beta
        return float(weights @ (np.logaddexp(0.0, linear) - churned * linear) + 0.5 * penalty @ beta**2)

    if start is None:
        share = np.clip(np.average(churned, weights=weights), 1e-6, 1 - 1e-6)
        beta = np.zeros(design.shape[1])
        beta[0] = np.log(share / (1 - share))
    else:
        beta = np.where(bounded, np.maximum(start, 0.0), start).astype(float)
    current = loss(beta)
    for _ in range(max_iterations):
        probability = 0.5 * (1.0 + np.tanh(0.5 * (design @ beta)))
        gradient = design.T @ (weights * (probability - churned)) + penalty * beta
        curvature = design.T @ (design * (weights * probability * (1 - probability))[:, None]) + np.diag(penalty)
        # Coefficients held at their bound 0 while the loss would fall only by going below it.
        held = bounded & (beta <= 0.0) & (gradient > 0.0)
        free = ~held
        step = np.zeros_like(beta)
        step[free] = np.linalg.solve(curvature[np.ix_(free, free)] + 1e-10 * np.eye(free.sum()), gradient[free])
        scale = 1.0
        while True:
            candidate = beta - scale * step
            candidate[bounded] = np.maximum(candidate[bounded], 0.0)
            candidate_loss = loss(candidate)
            if candidate_loss <= current - 1e-4 * gradient @ (beta - candidate) or scale < 1e-10:
                break
            scale /= 2
        moved = np.max(np.abs(candidate - beta))
        beta, current = candidate, min(candidate_loss, current)
        if moved < 1e-7:
            break
    return beta


def fit_logistic_by_snapshot(
    training_rows: pd.DataFrame,
    snapshot_dates: pd.DataFrame,
    use_activity: bool = True,
    l2: float = 1.0,
    min_churned: int = 10,
    start: np.ndarray | None = None,
) -> pd.DataFrame:
    """One logistic fit per snapshot day D, on the rows whose outcome was known by D.

    `training_rows`: one row per customer and past month end, with the signal booleans, the activity counts,
    `churned` (bool) and `outcome_known_on` (the third month end after the row's day); or, with a column
    `customer_snapshots`, one row per distinct pattern of those with how many such rows it stands for (the same
    fits, from far fewer rows: dbt model int_health_training_patterns). `snapshot_dates`:
    column `snapshot_date`. Returns one row per snapshot day and term (intercept first) with the coefficient,
    the training rows and the churners it was fitted on. A day whose known outcomes hold fewer than
    `min_churned` churners or non-churners gets no rows (its scores fall back to the weighted score). Each fit
    starts from the coefficients of the day fitted before it; the first from `start` when given (the latest fit
    an incremental run keeps, see days_to_refit), else from the share of churners.
    """
    terms = model_terms(use_activity)
    if training_rows.empty:
        return _fits_frame([])
    nonnegative = [term in SIGNALS for term in terms]
    patterns = pd.DataFrame(design_matrix(training_rows, terms), columns=terms)
    patterns["churned"] = training_rows["churned"].astype(bool).to_numpy().astype(float)
    patterns["known_on"] = pd.to_datetime(training_rows["outcome_known_on"]).to_numpy()
    counted = PATTERN_COUNT in training_rows
    patterns["rows"] = training_rows[PATTERN_COUNT].to_numpy(dtype="int64") if counted else 1
    # Sorted groups: the fit sees the same rows in the same order whatever order the engine returned them in.
    patterns = patterns.groupby(terms + ["churned", "known_on"], sort=True)["rows"].sum().reset_index()
    known_on = patterns["known_on"].to_numpy()
    features = patterns[terms].to_numpy()
    churned = patterns["churned"].to_numpy()
    counts = patterns["rows"].to_numpy(dtype=float)
    fits: list[tuple] = []
    beta = start
    for snapshot_date in sorted(pd.to_datetime(snapshot_dates["snapshot_date"]).unique()):
        known = known_on <= np.datetime64(snapshot_date)
        rows = int(counts[known].sum())
        churners = int(counts[known] @ churned[known])
        if churners < min_churned or rows - churners < min_churned:
            continue
        beta = fit_logistic(
            features[known], churned[known], counts[known], l2=l2, nonnegative=nonnegative, start=beta
        )
        for order, (term, coefficient) in enumerate(zip([INTERCEPT, *terms], beta)):
            fits.append((snapshot_date, term, order, float(coefficient), rows, churners))
    return _fits_frame(fits)


def days_to_refit(
    held_fits: pd.DataFrame, snapshot_dates: pd.DataFrame, lookback_days: int, use_activity: bool
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """What an incremental run of int_health_logistic_fits fits: the snapshot days on or after (the latest day in
    `held_fits`, the table the last run left, - `lookback_days`), the days its `replace_window` strategy deletes
    (macro incremental_window_start), and the coefficients of the latest held day before them, where a fit of
    every day would have started the first of them. The kept days read only outcomes known by their day, which
    later rows cannot change, so the result equals a full fit's."""
    if held_fits.empty:
        return snapshot_dates, None
    held_days = pd.to_datetime(held_fits["snapshot_date"])
    first_day = held_days.max() - pd.Timedelta(days=lookback_days)
    refit = snapshot_dates[pd.to_datetime(snapshot_dates["snapshot_date"]) >= first_day]
    kept = held_fits[held_days < first_day]
    if kept.empty:
        return refit, None
    latest = kept[pd.to_datetime(kept["snapshot_date"]) == pd.to_datetime(kept["snapshot_date"]).max()]
    latest = latest.sort_values("term_order")
    expected = [INTERCEPT, *model_terms(use_activity)]
    if latest["term"].tolist() != expected:
        raise ValueError(
            f"int_health_logistic_fits holds the terms {latest['term'].tolist()}, the model now fits {expected}: "
            "rebuild it with --full-refresh"
        )
    return refit, latest["coefficient"].to_numpy(dtype=float)


def _fits_frame(fits: list[tuple]) -> pd.DataFrame:
    """The fits as a typed frame (typed even when empty, so the warehouse table always has its columns)."""
    columns = list(zip(*fits)) if fits else [[] for _ in FIT_COLUMNS]
    return pd.DataFrame({
        name: pd.Series(values, dtype=dtype) for (name, dtype), values in zip(FIT_COLUMNS.items(), columns)
    })


def roc_auc(scores: Sequence[float], churned: Sequence[bool]) -> float | None:
    """Area under the ROC curve: the chance that a churner scores above a non-churner, ties counting one half.

    None when there is no churner or no non-churner.
    """
    scores = np.asarray(scores, dtype=float)
    churned = np.asarray(churned, dtype=bool)
    positives, negatives = int(churned.sum()), int((~churned).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores, method="average")
    return float((ranks[churned].sum() - positives * (positives + 1) / 2) / (positives * negatives))
