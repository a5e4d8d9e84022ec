"""The contract-period sBG recovers known parameters from simulated customers of every billing interval.

A small simulator draws each customer's churn probability per period from
Beta(alpha, beta) of their (segment, interval), lets them renew at every period
until a geometric draw says they leave, and censors everyone at the last complete
month. The frame has the columns of int_customer_survival, and the project's own
fitting and prediction functions run on it, as the dbt Python models do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churn_warehouse.cltv import fit_sbg_by_segment_and_interval, predict_subscription_cltv
from churn_warehouse.predictive import sbg_derl
from churn_warehouse.subscription_cltv import OVERALL, period_discount_rate

OBSERVED_MONTHS = 60  # cohorts start in months 0..59; month 59 is the last complete month
ANNUAL_DISCOUNT_RATE = 0.10
# (segment, interval months): (alpha, beta, customers). The last group is too small for its own fit.
TRUTH = {
    ("smb", 1): (0.8, 6.0, 900),
    ("smb", 12): (1.2, 3.0, 600),
    ("mid_market", 3): (1.0, 8.0, 500),
    ("enterprise", 6): (2.0, 9.0, 400),
    ("enterprise", 12): (3.0, 12.0, 300),
    ("enterprise", 1): (0.7, 9.0, 12),
}


def simulate_survival(truth: dict[tuple[str, int], tuple[float, float, int]], seed: int) -> pd.DataFrame:
    """One row per customer, shaped like int_customer_survival, drawn from known sBG parameters per group."""
    rng = np.random.default_rng(seed)
    frames = []
    for (segment, period), (alpha, beta, n) in truth.items():
        churn_probability = rng.beta(alpha, beta, size=n)
        churn_period = rng.geometric(churn_probability)  # the period T >= 1 in which the customer leaves
        tenure = OBSERVED_MONTHS - 1 - rng.integers(0, OBSERVED_MONTHS, size=n)  # months since the start
        churn_month = churn_period * period  # first month without MRR, months since the start
        churned = churn_month <= tenure
        frames.append(pd.DataFrame({
            "customer_id": [f"{segment}_{period}_{i}" for i in range(n)],
            "segment": segment,
            "interval_months": period,
            "tenure_months": tenure,
            "months_to_first_churn": pd.Series(churn_month).where(churned).astype("Int64"),
            "renewals": np.where(churned, churn_period - 1, tenure // period),
            "is_censored": ~churned,
            "current_mrr": np.where(churned, 0.0, 100.0),
        }))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module", params=[7, 2024])
def simulated(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, pd.DataFrame]:
    survival = simulate_survival(TRUTH, seed=request.param)
    return survival, fit_sbg_by_segment_and_interval(survival, min_customers=30)


def test_per_period_churn_is_recovered_within_20_percent(simulated) -> None:
    _, fits = simulated
    fits = fits.set_index(["segment", "interval_months"])
    for (segment, period), (alpha, beta, n) in TRUTH.items():
        if n < 300:
            continue
        fit = fits.loc[(segment, period)]
        assert fit["fit_source"] == "segment_interval", (segment, period, fit["fit_note"])
        truth = alpha / (alpha + beta)
        assert fit["period_churn_rate"] == pytest.approx(truth, rel=0.20), (segment, period)


def test_expected_residual_lifetimes_are_recovered_within_25_percent(simulated) -> None:
    survival, fits = simulated
    predicted = predict_subscription_cltv(survival, fits, annual_discount_rate=ANNUAL_DISCOUNT_RATE, gross_margin=1.0)
    predicted = predicted.assign(interval_months=survival["interval_months"].to_numpy())
    for (segment, period), (alpha, beta, n) in TRUTH.items():
        paying = predicted[(predicted["segment"] == segment) & (predicted["interval_months"] == period)
                           & (predicted["current_mrr"] > 0)]
        assert paying["cltv_predicted"].notna().all() and (paying["sbg_period_months"] == period).all()
        if n < 300:
            continue
        made = paying["tenure_months"].to_numpy() // period
        truth = period * np.asarray(sbg_derl(alpha, beta, period_discount_rate(ANNUAL_DISCOUNT_RATE, period), made))
        ratio = paying["expected_residual_lifetime_months"].to_numpy() / truth
        assert np.all(np.abs(ratio - 1) <= 0.25), (segment, period, ratio.min(), ratio.max())


def test_a_small_group_falls_back_to_its_interval_and_every_payer_gets_a_value(simulated) -> None:
    survival, fits = simulated
    small = fits.set_index(["segment", "interval_months"]).loc[("enterprise", 1)]
    assert small["fit_source"] == "interval" and "too few observations" in small["fit_note"]
    monthly_all = fits.set_index(["segment", "interval_months"]).loc[(OVERALL, 1)]
    assert small["sbg_alpha"] == monthly_all["sbg_alpha"]
    predicted = predict_subscription_cltv(survival, fits, annual_discount_rate=ANNUAL_DISCOUNT_RATE, gross_margin=0.8)
    paying = predicted[predicted["current_mrr"] > 0]
    assert len(paying) > 1000 and paying["cltv_predicted"].notna().all()
    assert (paying["cltv_predicted"] > 0).all()


def test_holdout_error_is_small_against_the_survivors_it_projects(simulated) -> None:
    _, fits = simulated
    for fit in fits[fits["holdout_customers"] >= 200].itertuples():
        assert fit.holdout_periods == 12 // fit.interval_months
        # the sBG is the true model here: the error is sampling noise, a few percent of the customers followed
        assert fit.holdout_mean_abs_error <= 0.08 * fit.holdout_customers, (fit.segment, fit.interval_months)


def test_the_fits_and_their_holdout_do_not_depend_on_the_order_of_the_rows(simulated) -> None:
    """dbt hands the Python model its rows in any order; two builds must give the same figures to the last bit."""
    survival, fits = simulated
    shuffled = survival.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = fit_sbg_by_segment_and_interval(shuffled, min_customers=30)
    pd.testing.assert_frame_equal(again, fits, check_exact=True)
