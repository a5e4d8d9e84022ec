"""The modified BG/NBD against an independent implementation, and the holdout choice between it and BG/NBD.

MBG/NBD: Batislam, Denizel & Filiztekin (2007). Its fit on the CDNOW sample (tests/fixtures/cdnow, the
39-week summary test_predictive.py uses) is checked against figures recorded from lifetimes 0.11.3, which
is not a dependency of the project: see LIFETIMES_* below for how they were made.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import churn_warehouse.cltv as cltv
from churn_warehouse.cltv import CALIBRATION_COLUMNS, fit_purchase_models, predict_one_off_value
from churn_warehouse.predictive import (
    FitError,
    MbgNbdFit,
    bgnbd_p_alive,
    fit_bgnbd,
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    mbgnbd_log_likelihood,
    mbgnbd_p_alive,
    summarise_purchases,
)
from churn_warehouse.predictive.mbgnbd import compare_on_holdout, holdout_log_likelihood

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow"

# Recorded from lifetimes 0.11.3 in a scratch environment outside the repository:
#   python3 -m venv /tmp/lifetimes-venv && /tmp/lifetimes-venv/bin/pip install lifetimes==0.11.3
#   (it pulled numpy 2.4.6, pandas 3.1.1, scipy 1.17.1, autograd 1.9.1 and ran on them unchanged)
# The summary was the `cdnow_summary` fixture below (summarise_purchases, calibration end 1997-09-30),
# written to CSV with 17 significant digits and read there; then
#   m = ModifiedBetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"])
# gave m.params_ r = 0.524843, alpha = 6.183082, a = 0.891360, b = 1.614003. lifetimes fits on rescaled
# times, so its stored objective is not the log-likelihood in weeks; that is
#   -len(s) * ModifiedBetaGeoFitter._negative_log_likelihood(np.log(params), x, t_x, T, np.ones(len(s)), 0.0)
# = -9582.1357. Per customer, m.conditional_probability_alive(x, t_x, T) and
# m.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T) gave the rows of LIFETIMES_CUSTOMERS.
LIFETIMES_PARAMS = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
LIFETIMES_LOGLIK = -9582.1357
LIFETIMES_CUSTOMERS = [  # (x, t_x, T, P(alive), expected purchases in the next 39 weeks)
    (0, 0.0, 38.86, 0.3897151861, 0.1539542769),
    (0, 0.0, 20.0, 0.4591464828, 0.2885367289),
    (2, 30.43, 38.86, 0.7061256993, 1.2626692203),
    (5, 5.0, 38.86, 0.0033577849, 0.0126863551),
    (5, 35.0, 38.86, 0.8189449134, 3.0941309313),
    (1, 10.0, 32.0, 0.4419936360, 0.5614154541),
]


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The 39-week CDNOW calibration summary, built as in test_predictive.py."""
    rows = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                       names=["master_id", "customer_id", "date", "cds", "dollars"], dtype={"date": str})
    return summarise_purchases(rows["customer_id"], pd.to_datetime(rows["date"], format="%Y%m%d"),
                               rows["dollars"], "1997-09-30")


@pytest.fixture(scope="module")
def mbgnbd_fit(cdnow_summary: pd.DataFrame) -> MbgNbdFit:
    return fit_mbgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])


# ---------------------------------------------------------------- the model on CDNOW


def test_mbgnbd_matches_lifetimes_modified_beta_geo_fitter_on_cdnow(mbgnbd_fit: MbgNbdFit) -> None:
    assert mbgnbd_fit.converged and mbgnbd_fit.n == 2357
    fitted = {"r": mbgnbd_fit.r, "alpha": mbgnbd_fit.alpha, "a": mbgnbd_fit.a, "b": mbgnbd_fit.b}
    assert {name: round(value, 3) for name, value in fitted.items()} == LIFETIMES_PARAMS
    assert mbgnbd_fit.loglik == pytest.approx(LIFETIMES_LOGLIK, abs=5e-4)


@pytest.mark.parametrize(("x", "t_x", "age", "p_alive", "expected_39"), LIFETIMES_CUSTOMERS)
def test_mbgnbd_p_alive_and_expected_purchases_match_lifetimes(
    mbgnbd_fit: MbgNbdFit, x: int, t_x: float, age: float, p_alive: float, expected_39: float
) -> None:
    assert float(mbgnbd_p_alive(mbgnbd_fit, x, t_x, age)) == pytest.approx(p_alive, rel=1e-4)
    assert float(mbgnbd_expected_purchases(mbgnbd_fit, 39, x, t_x, age)) == pytest.approx(expected_39, rel=1e-4)


def test_mbgnbd_fits_cdnow_slightly_better_than_bgnbd_in_sample(
    mbgnbd_fit: MbgNbdFit, cdnow_summary: pd.DataFrame
) -> None:
    bgnbd = fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    assert bgnbd.loglik == pytest.approx(-9582.4, abs=0.05)  # FHL (2005)
    assert 0 < mbgnbd_fit.loglik - bgnbd.loglik < 1


def test_one_purchase_customers_are_not_certainly_alive_under_mbgnbd(
    mbgnbd_fit: MbgNbdFit, cdnow_summary: pd.DataFrame
) -> None:
    x, t_x, age = cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    bgnbd = fit_bgnbd(x, t_x, age)
    one_timers = x.to_numpy() == 0
    assert np.all(bgnbd_p_alive(bgnbd, x, t_x, age)[one_timers] == 1)  # the BG/NBD artefact
    modified = mbgnbd_p_alive(mbgnbd_fit, x, t_x, age)
    assert np.all((modified > 0) & (modified < 1))
    assert 0.3 < modified[one_timers].mean() < 0.5
    # The longer a one-time buyer has been silent, the less likely they are still around.
    by_age = mbgnbd_p_alive(mbgnbd_fit, 0, 0.0, np.array([1.0, 10.0, 20.0, 38.0]))
    assert np.all(np.diff(by_age) < 0)


def _brute_force_likelihood(r: float, alpha: float, a: float, b: float, x: int, t_x: float, age: float) -> float:
    """Integrate the individual MBG/NBD likelihood numerically over lambda ~ gamma(r, alpha) and p ~ beta(a, b).

    Given lambda and p: alive at T after x + 1 survived tosses, lambda^x e^(-lambda T) (1-p)^(x+1), or gone at
    the last purchase, lambda^x e^(-lambda t_x) p (1-p)^x. Lambda and p are independent, so each term is a
    product of two one-dimensional integrals.
    """
    def over_lambda(until: float) -> float:
        return integrate.quad(lambda lam: lam**x * np.exp(-lam * until) * stats.gamma.pdf(lam, r, scale=1 / alpha),
                              0, np.inf, epsabs=1e-14, epsrel=1e-12)[0]

    def over_p(stops: bool) -> float:
        return integrate.quad(lambda p: (p if stops else 1 - p) * (1 - p) ** x * stats.beta.pdf(p, a, b),
                              0, 1, epsabs=1e-14, epsrel=1e-12)[0]

    return over_lambda(age) * over_p(False) + over_lambda(t_x) * over_p(True)


@pytest.mark.parametrize(("x", "t_x", "age"), [(0, 0.0, 30.0), (1, 4.0, 30.0), (3, 20.0, 25.0)])
def test_mbgnbd_log_likelihood_matches_numerical_integration(x: int, t_x: float, age: float) -> None:
    r, alpha, a, b = 0.52, 6.2, 0.89, 1.61  # about the CDNOW fit
    expected = np.log(_brute_force_likelihood(r, alpha, a, b, x, t_x, age))
    assert float(mbgnbd_log_likelihood(r, alpha, a, b, x, t_x, age)) == pytest.approx(expected, abs=1e-6)


def test_mbgnbd_expected_purchases_start_at_zero_and_grow_with_horizon(
    mbgnbd_fit: MbgNbdFit, cdnow_summary: pd.DataFrame
) -> None:
    x, t_x, age = cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    np.testing.assert_allclose(mbgnbd_expected_purchases(mbgnbd_fit, 0, x, t_x, age), 0.0, atol=1e-12)
    short, long = (mbgnbd_expected_purchases(mbgnbd_fit, t, x, t_x, age) for t in (13, 52))
    assert np.all(np.isfinite(long)) and np.all(short > 0) and np.all(long > short)


def test_mbgnbd_refuses_data_it_cannot_fit() -> None:
    with pytest.raises(FitError, match="no repeat purchases"):
        fit_mbgnbd(np.zeros(20), np.zeros(20), np.full(20, 30.0))
    with pytest.raises(FitError, match="too few observations"):
        fit_mbgnbd([1, 2], [3.0, 4.0], [30.0, 30.0])
    with pytest.raises(ValueError, match="horizon"):
        mbgnbd_expected_purchases(MbgNbdFit(1.0, 1.0, 1.0, 1.0, 0.0, 1, True, ""), -1, 0, 0.0, 1.0)


# ---------------------------------------------------------------- choosing on the holdout

WEEKS, CUT = 104.0, 78.0  # two years observed; the last 26 weeks are the holdout


def simulate(n: int, r: float, alpha: float, a: float, b: float, *, modified: bool, seed: int) -> pd.DataFrame:
    """Purchase histories of n customers acquired over the calibration period, summarised at CUT and at WEEKS.

    While alive a customer buys as Poisson(lambda), lambda ~ gamma(r, alpha); after each repeat purchase
    (and, when `modified`, after the first purchase as well) they stop for good with probability p ~ beta(a, b).
    Columns are those of int_customer_one_off_purchases.
    """
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, CUT, n)
    rates = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    rows = []
    for start, rate, p in zip(first, rates, drop):
        times = [start]
        alive = not (modified and rng.random() < p)
        while alive:
            next_time = times[-1] + rng.exponential(1 / rate)
            if next_time > WEEKS:
                break
            times.append(next_time)
            alive = rng.random() >= p
        seen = np.asarray(times)
        by_cut = seen[seen <= CUT]
        rows.append((len(seen) - 1, seen[-1] - start, WEEKS - start,
                     len(by_cut) - 1, by_cut[-1] - start, CUT - start))
    frame = pd.DataFrame(rows, columns=["frequency", "recency_weeks", "t_weeks", *CALIBRATION_COLUMNS])
    frame.insert(0, "customer_id", [f"s{i:04d}" for i in range(n)])
    frame["monetary_value"] = np.where(frame["frequency"] > 0, rng.gamma(6.0, 5.0, n), np.nan)
    return frame


def _summaries(frame: pd.DataFrame) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    calibration = tuple(frame[column].to_numpy(float) for column in CALIBRATION_COLUMNS)
    whole = tuple(frame[column].to_numpy(float) for column in ("frequency", "recency_weeks", "t_weeks"))
    return calibration, whole


@pytest.fixture(scope="module")
def many_stop_at_once() -> pd.DataFrame:
    """MBG/NBD data: half of the customers stop right after their first purchase (p ~ uniform)."""
    return simulate(800, 2.0, 10.0, 1.0, 1.0, modified=True, seed=0)


@pytest.fixture(scope="module")
def one_timers_keep_buying() -> pd.DataFrame:
    """BG/NBD data with the same parameters: nobody stops before a repeat purchase."""
    return simulate(800, 2.0, 10.0, 1.0, 1.0, modified=False, seed=0)


def test_holdout_prefers_mbgnbd_when_many_stop_after_the_first_purchase(many_stop_at_once: pd.DataFrame) -> None:
    comparison = compare_on_holdout(*_summaries(many_stop_at_once))
    assert comparison.chosen == "modified_bg_nbd" and comparison.problems == () and comparison.n == 800
    assert comparison.modified_bg_nbd - comparison.bg_nbd > 10  # measured: 16.4


def test_holdout_prefers_bgnbd_when_one_time_buyers_keep_buying(one_timers_keep_buying: pd.DataFrame) -> None:
    comparison = compare_on_holdout(*_summaries(one_timers_keep_buying))
    assert comparison.chosen == "bg_nbd"
    assert comparison.bg_nbd - comparison.modified_bg_nbd > 50  # measured: 100.3


def test_holdout_log_likelihood_is_the_whole_history_given_the_calibration_one(
    many_stop_at_once: pd.DataFrame,
) -> None:
    calibration, whole = _summaries(many_stop_at_once)
    fit = fit_mbgnbd(*calibration)
    per_customer = mbgnbd_log_likelihood(fit.r, fit.alpha, fit.a, fit.b, *whole) - mbgnbd_log_likelihood(
        fit.r, fit.alpha, fit.a, fit.b, *calibration
    )
    assert holdout_log_likelihood(fit, calibration, whole) == pytest.approx(per_customer.sum(), rel=1e-12)
    # A customer with no purchase in the holdout scores log P(none in the holdout) < 0; nobody scores above 0
    # without buying, since that is a probability.
    quiet = whole[0] == calibration[0]
    assert np.all(per_customer[quiet] < 0)


def test_the_build_uses_the_holdout_choice_and_states_it(many_stop_at_once: pd.DataFrame) -> None:
    fits = fit_purchase_models(many_stop_at_once)
    assert fits.purchase_model == "modified_bg_nbd" and fits.bgnbd is None and fits.mbgnbd is not None
    assert fits.mbgnbd.n == 800  # refitted on the whole history, not the calibration summary
    whole = fit_mbgnbd(many_stop_at_once["frequency"], many_stop_at_once["recency_weeks"],
                       many_stop_at_once["t_weeks"])
    assert (fits.mbgnbd.r, fits.mbgnbd.a, fits.mbgnbd.b) == pytest.approx((whole.r, whole.a, whole.b), rel=1e-9)
    result = predict_one_off_value(many_stop_at_once, fits, gross_margin=0.8)
    assert (result["purchase_model"] == "modified_bg_nbd").all() and result["purchase_model_note"].isna().all()
    assert (result["modified_bg_nbd_holdout_log_likelihood"] > result["bg_nbd_holdout_log_likelihood"]).all()
    one_timers = many_stop_at_once["frequency"].to_numpy() == 0
    assert result.loc[one_timers, "p_alive"].max() < 1
    expected = mbgnbd_expected_purchases(fits.mbgnbd, cltv.HORIZON_12M_WEEKS, many_stop_at_once["frequency"],
                                         many_stop_at_once["recency_weeks"], many_stop_at_once["t_weeks"])
    np.testing.assert_allclose(result["expected_purchases_12m"], expected, rtol=1e-12)


def test_without_a_holdout_comparison_bgnbd_is_used_and_the_note_says_why(
    one_timers_keep_buying: pd.DataFrame,
) -> None:
    late_starters = one_timers_keep_buying.copy()
    late_starters[CALIBRATION_COLUMNS] = np.nan  # as if everyone first bought in the holdout
    fits = fit_purchase_models(late_starters)
    assert fits.purchase_model == "bg_nbd" and fits.bgnbd is not None
    result = predict_one_off_value(late_starters, fits, gross_margin=0.8)
    assert result["bg_nbd_holdout_log_likelihood"].isna().all()
    assert "holdout comparison: BG/NBD cannot be fitted on the calibration period: too few observations: " \
           "0 customers" in result["purchase_model_note"].iloc[0]
    no_columns = fit_purchase_models(one_timers_keep_buying.drop(columns=CALIBRATION_COLUMNS))
    assert no_columns.purchase_model == "bg_nbd" and no_columns.holdout is None


def test_a_chosen_model_that_cannot_be_fitted_on_the_whole_history_gives_way_to_the_other(
    many_stop_at_once: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = cltv.fit_purchase_model

    def refuse_mbgnbd(model: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if model == "modified_bg_nbd":
            raise FitError("no finite maximum-likelihood estimate")
        return original(model, *args, **kwargs)

    monkeypatch.setattr(cltv, "fit_purchase_model", refuse_mbgnbd)
    fits = fit_purchase_models(many_stop_at_once)
    assert fits.holdout.chosen == "modified_bg_nbd" and fits.purchase_model == "bg_nbd"
    note = predict_one_off_value(many_stop_at_once, fits, gross_margin=0.8)["purchase_model_note"].iloc[0]
    assert note == ("MBG/NBD cannot be fitted on the customers with one-off purchases (800): "
                    "no finite maximum-likelihood estimate")


# ---------------------------------------------------------------- the mart, built by dbt


@pytest.fixture(scope="module")
def small_build(sample_warehouse):
    """The session's generated sample (conftest.SAMPLE_*: the generator's buyers may stop after any purchase),
    whose as-of date, its last day, the calibration window below is measured to."""
    assert sample_warehouse.query("select as_of_date from marts.build_info") == [{"as_of_date": date(2025, 6, 20)}]
    return sample_warehouse


def test_generated_calibration_summary_agrees_with_the_reference_summariser(small_build) -> None:
    purchases = pd.DataFrame(small_build.query("select * from intermediate.int_customer_one_off_purchases"))
    cut = purchases["calibration_end_date"].iloc[0]
    first_day = pd.Timestamp(purchases["first_purchase_date"].min())
    window_days = (pd.Timestamp("2025-06-20") - first_day).days
    assert (pd.Timestamp(cut) - first_day).days == int(np.floor(0.75 * window_days))
    lines = pd.DataFrame(small_build.query(
        "select customer_id, purchase_date, amount from intermediate.int_one_off_lines_converted"
    ))
    reference = summarise_purchases(lines["customer_id"], pd.to_datetime(lines["purchase_date"]),
                                    lines["amount"].astype(float), pd.Timestamp(cut))
    calibrated = purchases.dropna(subset=CALIBRATION_COLUMNS).set_index("customer_id").loc[reference.index]
    assert len(calibrated) == purchases["calibration_frequency"].notna().sum() > 50
    np.testing.assert_array_equal(calibrated["calibration_frequency"], reference["frequency"])
    np.testing.assert_allclose(calibrated["calibration_recency_weeks"], reference["recency"], rtol=1e-12)
    np.testing.assert_allclose(calibrated["calibration_t_weeks"], reference["T"], rtol=1e-12)


def test_generated_customer_cltv_states_the_purchase_model_the_holdout_chose(small_build) -> None:
    rows = pd.DataFrame(small_build.query(
        "select * from marts.customer_cltv where p_alive is not null order by customer_id"
    ))
    assert len(rows) > 50 and rows["purchase_model"].nunique() == 1
    bg, modified = rows["bg_nbd_holdout_log_likelihood"].iloc[0], rows["modified_bg_nbd_holdout_log_likelihood"].iloc[0]
    assert np.isfinite(bg) and np.isfinite(modified)
    assert rows["purchase_model"].iloc[0] == ("modified_bg_nbd" if modified > bg else "bg_nbd")
    purchases = pd.DataFrame(small_build.query("select * from intermediate.int_customer_one_off_purchases"))
    expected = fit_purchase_models(purchases)
    assert expected.purchase_model == rows["purchase_model"].iloc[0]
    assert expected.holdout.bg_nbd == pytest.approx(bg, rel=1e-9)
