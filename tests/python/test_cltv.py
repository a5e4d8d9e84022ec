"""Predictive CLTV: the functions behind the dbt Python models, and the lifetime-value marts they feed.

Unit tests run churn_warehouse.cltv on tiny hand-made frames (and on the
papers' data where a published value exists); the build tests run `dbt build`
on the hand-worked fixture and on generated sample data and check the marts.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_VARS

import churn_warehouse.cltv as cltv
from churn_warehouse.cltv import (
    HORIZON_12M_WEEKS,
    OVERALL,
    PurchaseFits,
    customer_cltv,
    fit_purchase_models,
    fit_sbg_by_segment_and_interval,
    monthly_discount_rate,
    observed_survival,
    predict_one_off_value,
    predict_subscription_cltv,
    retention_curves,
)
from churn_warehouse.subscription_cltv import FIT_COLUMNS
from churn_warehouse.predictive import (
    GammaGammaFit,
    bgnbd_expected_purchases,
    fit_sbg,
    fit_sbg_from_survivors,
    sbg_survival,
    summarise_purchases,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CDNOW = FIXTURES / "cdnow"

# Fader & Hardie (2007), Table 1, years 0-7: customers still active out of 1,000.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
MONTHLY_10_PERCENT = 1.10 ** (1 / 12) - 1


def survival_rows(segment: str, survivors: list[int], prefix: str | None = None, interval: int = 1) -> pd.DataFrame:
    """One row per customer of one cohort, in the columns of int_customer_survival, with `interval`-month periods.

    The drop at period t churned after t - 1 renewals (t * interval months in); the last count is censored,
    observed through the last period.
    """
    deaths = -np.diff(survivors)
    periods = len(survivors) - 1
    renewals = np.concatenate([np.repeat(np.arange(periods), deaths), np.full(survivors[-1], periods)])
    censored = np.concatenate([np.zeros(deaths.sum(), bool), np.ones(survivors[-1], bool)])
    ids = [f"{prefix or segment}{interval}_{i}" for i in range(renewals.size)]
    to_churn = pd.Series((renewals + 1) * interval).where(~censored).astype("Int64")
    return pd.DataFrame({"customer_id": ids, "segment": segment, "interval_months": interval,
                         "tenure_months": periods * interval, "months_to_first_churn": to_churn,
                         "renewals": renewals, "is_censored": censored, "current_mrr": np.where(censored, 10.0, 0.0)})


def brute_force_derl(alpha: float, beta: float, d: float, renewals: int, horizon: int = 20_000) -> float:
    """sum over t > n of S(t)/S(n) / (1+d)^(t-n-1): the next renewal undiscounted, each later one discounted once more."""
    t = np.arange(renewals + 1, renewals + 1 + horizon)
    conditional = np.asarray(sbg_survival(alpha, beta, t)) / sbg_survival(alpha, beta, renewals)
    return float(np.sum(conditional * np.exp(-(t - renewals - 1) * np.log1p(d))))


# ---------------------------------------------------------------- discount rate


def test_monthly_discount_rate_compounds_to_the_annual_rate() -> None:
    d = monthly_discount_rate(0.10)
    assert d == pytest.approx(0.0079741404, abs=1e-10)
    assert (1 + d) ** 12 == pytest.approx(1.10, rel=1e-12)
    assert d < 0.10 / 12  # compounding, not simple division
    assert monthly_discount_rate(0.0) == 0.0


def test_monthly_discount_rate_refuses_a_negative_rate() -> None:
    with pytest.raises(ValueError, match="annual_discount_rate"):
        monthly_discount_rate(-0.05)


# ---------------------------------------------------------------- sBG fits per segment and interval


def fits_by_group(survival: pd.DataFrame, min_customers: int = 30) -> pd.DataFrame:
    return fit_sbg_by_segment_and_interval(survival, min_customers=min_customers).set_index(
        ["segment", "interval_months"]
    )


def test_the_fit_counts_in_contract_periods_so_annual_and_monthly_groups_reproduce_the_paper() -> None:
    # The paper's years as monthly periods for one segment and as annual periods for the other.
    survival = pd.concat([survival_rows("regular", REGULAR), survival_rows("high_end", HIGH_END, interval=12)],
                         ignore_index=True)
    fits = fits_by_group(survival)
    assert fits.index.tolist() == [(OVERALL, 1), ("regular", 1), (OVERALL, 12), ("high_end", 12)]
    assert (fits.loc[[("regular", 1), ("high_end", 12)], "fit_source"] == "segment_interval").all()
    assert fits["fit_note"].isna().all()
    # Fader & Hardie (2007): regular alpha 0.704, beta 1.182; high end alpha 0.668, beta 3.806.
    assert fits.loc[("regular", 1), ["sbg_alpha", "sbg_beta"]].tolist() == pytest.approx([0.704, 1.182], abs=5e-4)
    assert fits.loc[("high_end", 12), ["sbg_alpha", "sbg_beta"]].tolist() == pytest.approx([0.668, 3.806], abs=5e-4)
    assert fits.loc[("high_end", 12), "period_churn_rate"] == pytest.approx(0.668 / (0.668 + 3.806), abs=5e-4)
    regular = fits.loc[("regular", 1)]
    assert regular["n_customers"] == 1000 and regular["n_churned"] == 1000 - 241
    assert regular["periods_observed"] == 7 and regular["renewal_decisions"] == sum(REGULAR[1:]) + 759


def test_the_diagnostics_compare_the_fit_with_constant_churn() -> None:
    fits = fits_by_group(survival_rows("regular", REGULAR))
    row = fits.loc[("regular", 1)]
    churned, decisions = 759, sum(REGULAR[1:]) + 759
    rate = churned / decisions
    geometric = churned * np.log(rate) + (decisions - churned) * np.log(1 - rate)
    assert row["constant_churn_log_likelihood"] == pytest.approx(geometric, rel=1e-12)
    assert row["log_likelihood"] == pytest.approx(fit_sbg(*survival_rows("x", REGULAR)[["renewals", "is_censored"]]
                                                          .to_numpy().T.tolist()).loglik, rel=1e-9)
    assert row["likelihood_ratio"] == pytest.approx(2 * (row["log_likelihood"] - geometric), rel=1e-12)
    assert row["likelihood_ratio"] > 100  # churn clearly falls with tenure in the paper's data


def test_the_holdout_refits_twelve_months_earlier_and_projects_the_survivors() -> None:
    # All 13 years of the regular cohort as annual periods: the holdout refits on years 0-11 and projects year 12.
    regular_13 = REGULAR + [223, 207, 194, 183, 173]
    fits = fits_by_group(survival_rows("regular", regular_13, interval=12))
    row = fits.loc[("regular", 12)]
    earlier = fit_sbg_from_survivors(regular_13[:12], min_customers=30)
    projected = 183 * sbg_survival(earlier.alpha, earlier.beta, 12) / sbg_survival(earlier.alpha, earlier.beta, 11)
    assert row["holdout_periods"] == 1 and row["holdout_customers"] == 183
    assert row["holdout_mean_abs_error"] == pytest.approx(abs(projected - 173), rel=1e-6)
    assert pd.isna(row["holdout_note"])


def test_a_small_group_uses_its_interval_then_constant_churn_and_says_why() -> None:
    survival = pd.concat(
        [
            survival_rows("regular", REGULAR),
            survival_rows("tiny", [3, 2, 1]),  # 3 monthly customers: too few, the monthly fit is used
            survival_rows("tiny", [20, 15, 12], interval=3),  # 20 quarterly customers: constant churn
            survival_rows("loyal", [40, 40, 40], interval=12),  # 40 annual customers, nobody churned
        ],
        ignore_index=True,
    )
    fits = fits_by_group(survival)
    tiny = fits.loc[("tiny", 1)]
    assert tiny["fit_source"] == "interval"
    assert tiny["fit_note"].startswith("the monthly customers of segment 'tiny' cannot be fitted (too few")
    assert (tiny["sbg_alpha"], tiny["sbg_beta"]) == (fits.loc[(OVERALL, 1), "sbg_alpha"], fits.loc[(OVERALL, 1), "sbg_beta"])
    assert np.isnan(tiny["log_likelihood"]) and np.isnan(tiny["likelihood_ratio"])
    quarterly = fits.loc[("tiny", 3)]
    assert quarterly["fit_source"] == "constant_churn" and np.isnan(quarterly["sbg_alpha"])
    assert "nor can every quarterly customer (too few" in quarterly["fit_note"]
    assert quarterly["period_churn_rate"] == pytest.approx(8 / (15 + 12 + 8))  # churns / renewal decisions
    assert fits.loc[(OVERALL, 3), "fit_source"] == "constant_churn"
    loyal = fits.loc[("loyal", 12)]
    assert loyal["fit_source"] == "constant_churn" and "no annual customer has churned yet" in loyal["fit_note"]
    # Every customer's churns, and months observed up to the first churn or the last complete month:
    # regular 1 month per renewal decision; tiny monthly 1 + 2 + 2; tiny quarterly 5 * 3 + 3 * 6 + 12 * 6; loyal 40 * 24.
    monthly_churns = 759 + 2 + 8
    monthly_decisions = sum(REGULAR[1:]) + 759 + 5 + 105 + 960
    assert loyal["period_churn_rate"] == pytest.approx(1 - (1 - monthly_churns / monthly_decisions) ** 12)


def test_the_parameter_limit_is_named_as_the_reason_for_a_fallback() -> None:
    # Churn rising with tenure: the sBG optimum runs to alpha, beta -> infinity; constant churn takes over.
    survival = survival_rows("rising", [1000, 900, 700, 400, 100])
    row = fits_by_group(survival).loc[("rising", 1)]
    assert row["fit_source"] == "constant_churn"
    assert "edge of the parameter space" in row["fit_note"] and "did not converge" not in row["fit_note"]


def test_a_segment_called_all_is_refused_because_the_name_is_taken() -> None:
    with pytest.raises(ValueError, match="reserved for the fit across segments"):
        fit_sbg_by_segment_and_interval(survival_rows(OVERALL, REGULAR), min_customers=30)


# ---------------------------------------------------------------- subscription CLTV


def hand_fits(source: str = "segment_interval", alpha: float = 0.704, beta: float = 1.182,
              churn_rate: float | None = None) -> pd.DataFrame:
    """smb monthly with the given model, smb annual with the high-end parameters."""
    rate = churn_rate if churn_rate is not None else alpha / (alpha + beta)
    return pd.DataFrame(
        {
            "segment": ["smb", "smb"],
            "interval_months": [1, 12],
            "fit_source": [source, "segment_interval"],
            "sbg_alpha": [alpha, 0.668],
            "sbg_beta": [beta, 3.806],
            "period_churn_rate": [rate, 0.668 / (0.668 + 3.806)],
            "fit_note": [None if source == "segment_interval" else "why", None],
        }
    )


def hand_survival() -> pd.DataFrame:
    """c1 new this month, c2 five months in, c3 churned, c4 churned and came back (age 3, pays 30); c5 annual."""
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5"],
            "segment": ["smb"] * 5,
            "interval_months": [1, 1, 1, 1, 12],
            "tenure_months": [0, 5, 5, 3, 17],
            "renewals": [0, 5, 1, 0, 1],
            "is_censored": [True, True, False, False, True],
            "current_mrr": [100.0, 50.0, 0.0, 30.0, 80.0],
        }
    )


def test_derl_uses_the_monthly_rate_of_the_annual_discount_rate_and_cltv_multiplies_mrr_and_margin() -> None:
    result = predict_subscription_cltv(hand_survival(), hand_fits(), annual_discount_rate=0.10, gross_margin=0.8)
    result = result.set_index("customer_id")
    for customer, tenure, mrr in [("c1", 0, 100.0), ("c2", 5, 50.0), ("c4", 3, 30.0)]:
        expected = brute_force_derl(0.704, 1.182, MONTHLY_10_PERCENT, tenure)
        assert result.loc[customer, "expected_residual_lifetime_months"] == pytest.approx(expected, rel=1e-9)
        assert result.loc[customer, "cltv_predicted"] == pytest.approx(mrr * 0.8 * expected, rel=1e-9)
        # Discounting monthly at the annual 10 % would give a far shorter lifetime.
        assert expected > 1.5 * brute_force_derl(0.704, 1.182, 0.10, tenure)
    assert np.isnan(result.loc["c3", "expected_residual_lifetime_months"])  # churned: no residual lifetime
    assert result.loc["c3", "cltv_predicted"] == 0.0
    assert (result["sbg_fit_source"] == "segment_interval").all() and result["sbg_fit_note"].isna().all()
    assert result.loc["c2", "sbg_alpha"] == 0.704 and result.loc["c2", "tenure_months"] == 5


def test_an_annual_customer_counts_in_years_at_the_annual_rate_and_reports_months() -> None:
    result = predict_subscription_cltv(hand_survival(), hand_fits(), annual_discount_rate=0.10, gross_margin=0.8)
    c5 = result.set_index("customer_id").loc["c5"]
    # 17 months in: one renewal made (month 12), in the second year; a year discounts at 10 %.
    years = brute_force_derl(0.668, 3.806, 0.10, 1)
    assert c5["sbg_period_months"] == 12
    assert c5["expected_residual_lifetime_months"] == pytest.approx(12 * years, rel=1e-9)
    assert c5["cltv_predicted"] == pytest.approx(80.0 * 0.8 * 12 * years, rel=1e-9)


def test_constant_churn_gives_every_paying_customer_the_same_finite_lifetime() -> None:
    fits = hand_fits("constant_churn", np.nan, np.nan, churn_rate=0.05)
    result = predict_subscription_cltv(hand_survival(), fits, annual_discount_rate=0.10,
                                       gross_margin=0.8).set_index("customer_id")
    d = MONTHLY_10_PERCENT
    expected = float(np.sum(0.95 ** np.arange(1, 20_000) / (1 + d) ** np.arange(0, 19_999)))
    for customer in ("c1", "c2", "c4"):
        assert result.loc[customer, "expected_residual_lifetime_months"] == pytest.approx(expected, rel=1e-9)
        assert result.loc[customer, "sbg_fit_source"] == "constant_churn"
        assert result.loc[customer, "sbg_fit_note"] == "why"
    assert result.loc[["c1", "c2", "c4", "c5"], "cltv_predicted"].notna().all()


def test_a_customer_whose_group_has_no_fit_row_is_an_error() -> None:
    survival = hand_survival().assign(segment="enterprise")
    with pytest.raises(ValueError, match="no fit row for"):
        predict_subscription_cltv(survival, hand_fits(), annual_discount_rate=0.10, gross_margin=0.8)


# ---------------------------------------------------------------- observed survival and curves


def test_observed_survival_pools_cohorts_period_by_period() -> None:
    # a churned after 0 renewals (leaves at age 1), b is seen up to age 1, c up to age 3, d churns at age 3.
    observed = observed_survival(pd.Series([0, 1, 3, 2]), pd.Series([False, True, True, False]))
    assert observed["periods_since_start"].tolist() == [0, 1, 2, 3]
    assert observed["customers_at_risk"].tolist() == [4, 4, 2, 2]
    assert observed["churned_customers"].tolist() == [0, 1, 0, 1]
    assert observed["observed_survival"].tolist() == pytest.approx([1.0, 0.75, 0.75, 0.375])


def test_observed_survival_of_one_cohort_is_the_share_still_never_churned() -> None:
    rows = survival_rows("regular", REGULAR)
    observed = observed_survival(rows["renewals"], rows["is_censored"])
    assert observed["observed_survival"].tolist() == pytest.approx([n / 1000 for n in REGULAR], abs=1e-12)


def test_observed_survival_never_rises_when_the_cohort_mix_changes_with_age() -> None:
    # An old loyal cohort (10, one churns at age 1) and a young leaky one (100, half churn at age 1, seen to age 1).
    renewals = pd.Series([0] + [2] * 9 + [0] * 50 + [1] * 50)
    censored = pd.Series([False] + [True] * 9 + [False] * 50 + [True] * 50)
    observed = observed_survival(renewals, censored)
    # The plain pooled share would jump from 59/110 at age 1 to 9/10 at age 2.
    assert observed["observed_survival"].tolist() == pytest.approx([1.0, 59 / 110, 59 / 110])
    assert observed["customers_at_risk"].tolist() == [110, 110, 9]


def test_retention_curves_count_renewals_per_interval_then_project_24_months() -> None:
    survival = pd.concat([survival_rows("regular", REGULAR), survival_rows("tiny", [3, 2, 1]),
                          survival_rows("high_end", HIGH_END, interval=12)], ignore_index=True)
    fits = fit_sbg_by_segment_and_interval(survival, min_customers=30)
    curves = retention_curves(survival, fits)
    assert set(zip(curves["segment"], curves["interval_months"])) == {
        (OVERALL, 1), ("regular", 1), ("tiny", 1), (OVERALL, 12), ("high_end", 12)}
    for (segment, period), curve in curves.groupby(["segment", "interval_months"]):
        curve = curve.sort_values("periods_since_start")
        observed, projected = curve[~curve["is_projection"]], curve[curve["is_projection"]]
        assert len(projected) == 24 // period
        assert projected["periods_since_start"].min() == observed["periods_since_start"].max() + 1
        assert (curve["months_since_start"] == curve["periods_since_start"] * period).all()
        assert projected["observed_survival"].isna().all() and projected["customers_at_risk"].isna().all()
        assert curve["fitted_survival"].iloc[0] == pytest.approx(1.0)
        assert np.all(np.diff(curve["fitted_survival"]) <= 0)
        assert np.all(np.diff(observed["observed_survival"]) <= 0)
    high_end = curves[curves["segment"] == "high_end"].set_index("periods_since_start")
    assert high_end.loc[7, "months_since_start"] == 84
    assert high_end.loc[7, "observed_survival"] == pytest.approx(0.491)
    assert high_end.loc[7, "fitted_survival"] == pytest.approx(sbg_survival(0.668, 3.806, 7), abs=5e-4)
    tiny = curves[curves["segment"] == "tiny"]
    assert (tiny["sbg_fit_source"] == "interval").all() and tiny["sbg_fit_note"].str.contains("'tiny'").all()


def test_retention_curves_with_constant_churn_fit_the_geometric_survival() -> None:
    survival = survival_rows("smb", [5, 3, 2])
    curves = retention_curves(survival, fit_sbg_by_segment_and_interval(survival, min_customers=30))
    assert (curves["sbg_fit_source"] == "constant_churn").all() and curves["sbg_alpha"].isna().all()
    smb = curves[curves["segment"] == "smb"].set_index("periods_since_start")
    rate = 3 / (3 + 3 + 2)  # 3 churns in 8 renewal decisions
    assert smb.loc[2, "fitted_survival"] == pytest.approx((1 - rate) ** 2)
    assert smb.loc[[0, 1, 2], "observed_survival"].tolist() == pytest.approx([1.0, 0.6, 0.4])


# ---------------------------------------------------------------- one-off purchases


@pytest.fixture(scope="module")
def cdnow_purchases() -> pd.DataFrame:
    """The CDNOW 39-week calibration summary, in the column names of int_customer_one_off_purchases."""
    rows = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                       names=["master_id", "customer_id", "date", "cds", "dollars"], dtype={"date": str})
    summary = summarise_purchases(rows["customer_id"], pd.to_datetime(rows["date"], format="%Y%m%d"),
                                  rows["dollars"], "1997-09-30")
    return pd.DataFrame(
        {
            "customer_id": summary.index.astype(str),
            "frequency": summary["frequency"].to_numpy(),
            "recency_weeks": summary["recency"].to_numpy(),
            "t_weeks": summary["T"].to_numpy(),
            # null without repeat purchases, as the SQL summary writes it
            "monetary_value": summary["monetary_value"].where(summary["frequency"] > 0).to_numpy(),
        }
    )


def test_purchase_models_fitted_on_every_one_off_buyer_reproduce_cdnow(cdnow_purchases: pd.DataFrame) -> None:
    fits = fit_purchase_models(cdnow_purchases)
    assert fits.bgnbd_problem is None and fits.gamma_gamma_problem is None
    assert (fits.bgnbd.r, fits.bgnbd.alpha, fits.bgnbd.a, fits.bgnbd.b) == pytest.approx(
        (0.243, 4.414, 0.793, 2.426), abs=1e-3
    )
    assert (fits.gamma_gamma.p, fits.gamma_gamma.q, fits.gamma_gamma.gamma) == pytest.approx(
        (6.25, 3.74, 15.44), abs=0.005
    )


def test_one_off_value_is_purchases_times_spend_times_margin_over_the_next_12_months(
    cdnow_purchases: pd.DataFrame,
) -> None:
    fits = fit_purchase_models(cdnow_purchases)
    result = predict_one_off_value(cdnow_purchases, fits, gross_margin=0.8)
    assert len(result) == 2357 and result["purchase_model_note"].isna().all()
    assert result["p_alive"].between(0, 1).all()
    assert HORIZON_12M_WEEKS == pytest.approx(52.1786, abs=1e-4)
    first = cdnow_purchases.iloc[0]
    expected = bgnbd_expected_purchases(fits.bgnbd, 365.25 / 7, first["frequency"], first["recency_weeks"],
                                        first["t_weeks"])
    assert result["expected_purchases_12m"].iloc[0] == pytest.approx(float(expected), rel=1e-12)
    np.testing.assert_allclose(
        result["expected_margin_12m"],
        result["expected_purchases_12m"] * result["expected_spend_per_purchase"] * 0.8,
        rtol=1e-12,
    )
    # A customer without repeat purchases is expected to spend the population mean p * gamma / (q - 1).
    gg = fits.gamma_gamma
    one_timers = result[cdnow_purchases["frequency"].to_numpy() == 0]
    assert one_timers["expected_spend_per_purchase"].to_numpy() == pytest.approx(gg.p * gg.gamma / (gg.q - 1))


def test_purchase_models_that_cannot_be_fitted_leave_null_figures_and_the_reason() -> None:
    purchases = pd.DataFrame({"customer_id": ["c15"], "frequency": [1], "recency_weeks": [10.4],
                              "t_weeks": [17.4], "monetary_value": [250.0]})
    fits = fit_purchase_models(purchases)
    assert fits.bgnbd is None and fits.gamma_gamma is None
    result = predict_one_off_value(purchases, fits, gross_margin=0.8)
    assert result[["p_alive", "expected_purchases_12m", "expected_margin_12m"]].isna().all().all()
    note = result["purchase_model_note"].iloc[0]
    assert "BG/NBD cannot be fitted on the customers with one-off purchases (1): too few observations" in note
    assert "Gamma-Gamma cannot be fitted on the repeat buyers: too few observations" in note


def test_a_gamma_gamma_fit_without_a_finite_mean_spend_is_refused(
    cdnow_purchases: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cltv, "fit_gamma_gamma",
                        lambda *args, **kwargs: GammaGammaFit(2.0, 0.9, 10.0, -1.0, 946, True, "ok"))
    fits = fit_purchase_models(cdnow_purchases)
    assert fits.gamma_gamma is None and "q = 0.9 <= 1" in fits.gamma_gamma_problem
    result = predict_one_off_value(cdnow_purchases, fits, gross_margin=0.8)
    assert result["p_alive"].notna().all() and result["expected_margin_12m"].isna().all()


def test_customer_cltv_puts_both_parts_side_by_side_one_row_per_customer(cdnow_purchases: pd.DataFrame) -> None:
    survival = hand_survival()
    purchases = cdnow_purchases.head(300).copy()
    purchases.loc[0, "customer_id"] = "c2"  # c2 both subscribes and buys one-off
    combined = customer_cltv(survival, hand_fits(), purchases, annual_discount_rate=0.10, gross_margin=0.8)
    assert combined["customer_id"].is_unique and len(combined) == 5 + 299
    assert combined.set_index("customer_id").loc["c5", "sbg_period_months"] == 12
    by_id = combined.set_index("customer_id")
    assert by_id.loc["c2", ["cltv_predicted", "p_alive"]].notna().all()
    assert np.isnan(by_id.loc["c1", "p_alive"])  # no one-off purchases
    one_off_only = by_id.loc[purchases["customer_id"].iloc[1]]
    assert pd.isna(one_off_only["sbg_alpha"]) and pd.isna(one_off_only["tenure_months"])
    assert 0 <= one_off_only["p_alive"] <= 1


def test_without_one_off_buyers_the_prediction_is_an_empty_frame_with_its_columns() -> None:
    empty = pd.DataFrame({"customer_id": [], "frequency": [], "recency_weeks": [], "t_weeks": [],
                          "monetary_value": []})
    result = predict_one_off_value(empty, PurchaseFits(None, None, "none", None), gross_margin=0.8)
    assert list(result.columns) == cltv.ONE_OFF_COLUMNS and result.empty


def test_a_warehouse_without_subscribers_or_buyers_gives_empty_predictions_and_says_why() -> None:
    survival = hand_survival().iloc[0:0]
    purchases = pd.DataFrame({"customer_id": pd.Series([], dtype=str), "frequency": pd.Series([], dtype=int),
                              "recency_weeks": [], "t_weeks": [], "monetary_value": []})
    fits = fit_sbg_by_segment_and_interval(survival.assign(months_to_first_churn=pd.Series([], dtype="Int64")),
                                           min_customers=30)
    assert fits.empty and list(fits.columns) == FIT_COLUMNS  # no customer, no group to fit
    combined = customer_cltv(survival, fits, purchases, annual_discount_rate=0.10, gross_margin=0.8)
    assert combined.empty
    assert retention_curves(survival, fits).empty


# ---------------------------------------------------------------- the marts, built by dbt


# Survival inputs worked out from tests/fixtures/hand_worked/README.md (complete months January to June 2024):
# (customer, renewals, never churned). c07 churns in April after January to March, c08 in May, c09 (from
# February) and c16 (from February) in April, c10 and c11 in March, c17 and c18 (January only) in February
# after 0 renewals; c10, c11, c17 and c18 come back later, which does not revive them in the sBG model.
HAND_WORKED_SURVIVAL = [
    ("c01", 5, True), ("c02", 0, True), ("c03", 1, True), ("c04", 5, True), ("c05", 5, True),
    ("c06", 5, True), ("c07", 2, False), ("c08", 3, False), ("c09", 1, False), ("c10", 1, False),
    ("c11", 1, False), ("c12", 5, True), ("c13", 4, True), ("c16", 1, False), ("c17", 0, False),
    ("c18", 0, False),
]


@pytest.fixture(scope="module")
def hand_worked_build(hand_worked_warehouse):
    """The hand-worked fixture with sbg_min_customers 10: the 16 customers fit overall, no segment has 10."""
    return hand_worked_warehouse


def test_hand_worked_survival_inputs_and_overall_fit_match_the_readme(hand_worked_build) -> None:
    rows = hand_worked_build.query(
        "select customer_id, renewals, is_censored, interval_months from intermediate.int_customer_survival"
        " order by customer_id"
    )
    assert [(r["customer_id"], r["renewals"], r["is_censored"]) for r in rows] == HAND_WORKED_SURVIVAL
    # c02 pays annually (5 months in: no renewal yet), c03 quarterly (4 months in: one renewal); the rest monthly.
    assert {r["customer_id"]: r["interval_months"] for r in rows if r["interval_months"] != 1} == {"c02": 12, "c03": 3}
    fits = {(r["segment"], r["interval_months"]): r
            for r in hand_worked_build.query("select * from intermediate.int_sbg_segment_fits")}
    monthly = [(renewals, censored) for customer, renewals, censored in HAND_WORKED_SURVIVAL
               if customer not in ("c02", "c03")]
    expected = fit_sbg(*map(np.array, zip(*monthly)), min_customers=10)
    assert fits[(OVERALL, 1)]["fit_source"] == "segment_interval" and fits[(OVERALL, 1)]["n_customers"] == 14
    assert (fits[(OVERALL, 1)]["sbg_alpha"], fits[(OVERALL, 1)]["sbg_beta"]) == pytest.approx(
        (expected.alpha, expected.beta), rel=1e-9
    )
    for segment in ("smb", "mid_market", "enterprise", "unknown"):  # fewer than 10 monthly customers each
        assert fits[(segment, 1)]["fit_source"] == "interval"
        assert fits[(segment, 1)]["fit_note"].startswith(f"the monthly customers of segment '{segment}' cannot")
    # One annual and one quarterly customer, neither churned: every customer's monthly churn rate, compounded.
    months = sum(r if censored else r + 1 for r, censored in monthly) + 5 + 4  # c02 5 months, c03 4
    churns = sum(not censored for _, censored in monthly)
    for period in (3, 12):
        assert fits[(OVERALL, period)]["fit_source"] == "constant_churn"
        assert fits[(OVERALL, period)]["period_churn_rate"] == pytest.approx(1 - (1 - churns / months) ** period)


def test_hand_worked_customer_cltv_uses_the_fit_of_the_interval_at_its_period_rate(hand_worked_build) -> None:
    rows = {r["customer_id"]: r for r in hand_worked_build.query("select * from marts.customer_cltv")}
    assert len(rows) == 18  # every staged customer, c14 (never active) and c15 (one-off only) included
    fit = hand_worked_build.query(
        f"select * from intermediate.int_sbg_segment_fits where segment = '{OVERALL}' and interval_months = 1"
    )[0]
    alpha, beta = fit["sbg_alpha"], fit["sbg_beta"]
    # c01 pays 50 in June, 5 months after January; c11 churned in March and is back, paying 110 at age 5;
    # c17 and c18 churned in February after 0 renewals and are back, paying 20 and 10 at age 5.
    for customer, mrr in [("c01", 50), ("c11", 110), ("c17", 20), ("c18", 10)]:
        derl = brute_force_derl(alpha, beta, MONTHLY_10_PERCENT, 5)
        assert rows[customer]["tenure_months"] == 5 and rows[customer]["sbg_fit_source"] == "interval"
        assert rows[customer]["sbg_period_months"] == 1
        assert rows[customer]["expected_residual_lifetime_months"] == pytest.approx(derl, rel=1e-9)
        assert float(rows[customer]["cltv_predicted"]) == pytest.approx(mrr * 0.8 * derl, abs=1e-6)
    # c02 pays 1,000 a year (MRR 83.33), in its first, incomplete year: a value all the same, in years at 10 %.
    annual = hand_worked_build.query(
        f"select * from intermediate.int_sbg_segment_fits where segment = '{OVERALL}' and interval_months = 12"
    )[0]
    rate = annual["period_churn_rate"]
    assert rows["c02"]["sbg_period_months"] == 12 and rows["c02"]["sbg_fit_source"] == "constant_churn"
    assert rows["c02"]["expected_residual_lifetime_months"] == pytest.approx(12 * (1 - rate) * 1.1 / (0.1 + rate))
    assert float(rows["c02"]["cltv_predicted"]) > 0 and rows["c03"]["sbg_period_months"] == 3
    paying = [r for r in rows.values() if float(r["current_mrr"]) > 0]
    assert paying and all(r["cltv_predicted"] is not None for r in paying)
    assert float(rows["c07"]["cltv_predicted"]) == 0 and rows["c07"]["expected_residual_lifetime_months"] is None
    assert rows["c14"]["tenure_months"] is None and rows["c14"]["cltv_predicted"] is None
    assert float(rows["c14"]["revenue_to_date"]) == 0
    # c15 bought twice (500 and 250, both paid): one one-off buyer cannot be fitted, and the note says so.
    assert float(rows["c15"]["revenue_to_date"]) == 750
    assert rows["c15"]["p_alive"] is None and "too few observations" in rows["c15"]["purchase_model_note"]
    # c12 paid 100 EUR a month; revenue is at each payment day's rate, so it is not a round number of USD.
    assert 700 < float(rows["c12"]["revenue_to_date"]) < 800


def test_hand_worked_fit_quality_has_one_row_per_group_with_its_holdout(hand_worked_build) -> None:
    rows = hand_worked_build.query("select * from marts.cltv_fit_quality order by interval_months, segment")
    groups = {(r["segment"], r["interval_months"]) for r in rows}
    assert len(groups) == len(rows) and {(OVERALL, 1), (OVERALL, 3), (OVERALL, 12)} <= groups
    assert sum(r["customers"] for r in rows if r["segment"] == OVERALL) == 16
    for row in rows:
        # six complete months only: nobody was a customer twelve months earlier
        assert row["holdout_customers"] == 0 and row["holdout_mean_abs_error"] is None
        assert "12 months ago" in row["holdout_note"]
        assert row["holdout_periods"] == 12 // row["interval_months"]


GENERATED_VARS = {"gross_margin": 0.6, "annual_discount_rate": 0.05}  # not the defaults, so the wiring shows


@pytest.fixture(scope="module")
def generated_build(sample_warehouse):
    """The session's generated sample: 500 customers over 36 months (every billing interval), built with
    non-default CLTV vars (GENERATED_VARS among them), as of its last day, 2025-06-20."""
    assert all(SAMPLE_VARS[name] == value for name, value in GENERATED_VARS.items())
    assert sample_warehouse.query("select as_of_date from marts.build_info") == [{"as_of_date": date(2025, 6, 20)}]
    return sample_warehouse


def test_generated_customer_cltv_has_one_row_per_customer_and_sane_figures(generated_build) -> None:
    q = generated_build.query
    assert q("select count(*) as n from marts.customer_cltv")[0]["n"] == q("select count(*) as n from marts.customers")[0]["n"]
    bad = q(
        """
        select count(*) as n from marts.customer_cltv
        where not (p_alive between 0 and 1) or expected_purchases_12m < 0 or expected_margin_12m < 0
           or cltv_predicted < 0 or expected_residual_lifetime_months < 0
           or (current_mrr > 0 and cltv_predicted is null)
           or (current_mrr = 0 and cltv_predicted != 0)
        """
    )
    assert bad[0]["n"] == 0
    buyers = q("select count(*) as n from intermediate.int_customer_one_off_purchases")[0]["n"]
    assert buyers > 25
    assert q("select count(p_alive) as n from marts.customer_cltv")[0]["n"] == buyers
    active = q("select * from marts.customer_cltv where current_mrr > 0 order by customer_id")
    assert len(active) > 100
    assert {row["sbg_period_months"] for row in active} == {1, 3, 6, 12}  # the sample has every interval
    for row in active[::10]:
        if row["sbg_fit_source"] == "constant_churn":
            continue
        period = row["sbg_period_months"]
        d = 1.05 ** (period / 12) - 1
        derl = brute_force_derl(row["sbg_alpha"], row["sbg_beta"], d, row["tenure_months"] // period)
        assert row["expected_residual_lifetime_months"] == pytest.approx(period * derl, rel=1e-9)
    for row in active:
        expected = float(row["current_mrr"]) * 0.6 * row["expected_residual_lifetime_months"]
        assert float(row["cltv_predicted"]) == pytest.approx(expected, abs=1e-6)
    margins = q("select * from marts.customer_cltv where expected_margin_12m is not null")
    assert len(margins) == buyers


def test_generated_fits_cover_every_group_with_a_model_and_a_holdout(generated_build) -> None:
    fits = generated_build.query("select * from marts.cltv_fit_quality")
    groups = {(f["segment"], f["interval_months"]) for f in fits}
    assert {(OVERALL, period) for period in (1, 3, 6, 12)} <= groups
    for fit in fits:
        assert (fit["fit_note"] is None) == (fit["fit_source"] == "segment_interval")
        assert 0 < fit["period_churn_rate"] < 1
        if fit["fit_source"] != "constant_churn":
            assert fit["sbg_alpha"] > 0 and fit["sbg_beta"] > 0
        if fit["log_likelihood"] is not None:
            assert fit["likelihood_ratio"] >= 0
            assert fit["log_likelihood"] >= fit["constant_churn_log_likelihood"] - 1e-6
        assert fit["holdout_periods"] == 12 // fit["interval_months"]
        assert (fit["holdout_mean_abs_error"] is None) == (fit["holdout_customers"] == 0)
    monthly = {f["segment"]: f for f in fits if f["interval_months"] == 1}
    assert monthly[OVERALL]["fit_source"] == "segment_interval" and monthly[OVERALL]["holdout_customers"] > 50
    assert monthly[OVERALL]["holdout_mean_abs_error"] < 0.1 * monthly[OVERALL]["holdout_customers"]


def test_generated_retention_curves_never_rise_and_project_24_months(generated_build) -> None:
    rows = generated_build.query(
        "select * from marts.retention_curves order by segment, interval_months, periods_since_start"
    )
    curves = pd.DataFrame(rows)
    assert set(curves["interval_months"]) == {1, 3, 6, 12}
    for (segment, period), curve in curves.groupby(["segment", "interval_months"]):
        observed = curve[~curve["is_projection"]]
        assert curve["is_projection"].sum() == 24 // period
        assert observed["observed_survival"].iloc[0] == 1.0
        assert np.all(np.diff(observed["observed_survival"].astype(float)) <= 1e-12), segment
        assert np.all(np.diff(curve["fitted_survival"].astype(float)) <= 1e-12), segment
        assert np.all(np.diff(observed["customers_at_risk"].astype(float)) <= 0), segment


def test_generated_purchase_summary_agrees_with_the_reference_summariser(generated_build) -> None:
    lines = pd.DataFrame(
        generated_build.query(
            """
            select invoices.customer_id, invoices.issued_at, invoices.currency, lines.amount
            from staging.stg_invoice_lines as lines
            inner join staging.stg_invoices as invoices on lines.invoice_id = invoices.invoice_id
            where lines.line_type = 'one_time' and lines.amount > 0 and invoices.status != 'void'
              and cast(invoices.issued_at as date) <= date '2025-06-20'
            """
        )
    )
    reference = summarise_purchases(lines["customer_id"], pd.to_datetime(lines["issued_at"]),
                                    lines["amount"].astype(float), "2025-06-20")
    summary = pd.DataFrame(
        generated_build.query("select * from intermediate.int_customer_one_off_purchases")
    ).set_index("customer_id").loc[reference.index]
    np.testing.assert_array_equal(summary["frequency"], reference["frequency"])
    np.testing.assert_allclose(summary["recency_weeks"], reference["recency"], rtol=1e-12)
    np.testing.assert_allclose(summary["t_weeks"], reference["T"], rtol=1e-12)
    usd_only = lines.groupby("customer_id")["currency"].agg(lambda c: set(c) == {"USD"})
    repeat_usd = reference.index[usd_only.loc[reference.index].to_numpy() & (reference["frequency"] > 0).to_numpy()]
    assert len(repeat_usd) > 10
    np.testing.assert_allclose(summary.loc[repeat_usd, "monetary_value"].astype(float),
                               reference.loc[repeat_usd, "monetary_value"], rtol=1e-9)


def test_conftest_imports_without_psycopg2() -> None:
    """The base install has no psycopg2: the shared fixtures must still load, so model tests can run."""
    blocked = "import sys; sys.modules['psycopg2'] = None; sys.path.insert(0, 'tests/python'); import conftest"
    result = subprocess.run([sys.executable, "-c", blocked], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
