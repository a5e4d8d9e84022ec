"""The MRR forecast of docs/metrics.md (Outlook) on hand-worked customers, without a build.

Months January to June 2024 are complete; the as-of date is 2024-07-10, so month 0 is June. Every customer is
in segment smb. Retention models: monthly customers churn at a constant 10 % a month, annual ones at 20 % a
year (at each renewal).
- a: monthly, new in January at 100, tenure 5 months in June: 100 * 0.9^h.
- b: monthly, new in February at 50; asked on 2024-06-15 to cancel at 2024-08-01 (scheduled, known): pays 50 in
  July for sure, nothing from August.
- c: annual, new in March at 10 (120 a year), tenure 3: no renewal until month 9 (tenure 12), then 10 * 0.8.
- d: monthly, new in April at 40, asks on 2024-07-20 (after the as-of date) to cancel at 2024-08-01: unknown,
  so d is forecast by its survival like a: 40 * 0.9^h.
New business: the trailing 6 months (January to June) brought 100 + 50 + 10 + 40 = 200, 33.3333 a month. It
decays by the survival of those starters weighted by their starting MRR: 1 at age 0, (0.9 * 190 + 10) / 200 =
0.905 at age 1.
Month 1 (July): a 90 + b 50 + c 10 + d 36 + new 33.3333 * 1 = 219.3333.
Month 2 (August): a 81 + b 0 + c 10 + d 32.4 + new 33.3333 * (1 + 0.905) = 63.5 -> 186.9.
Committed: month 0 200, month 1 200, month 2 150 (b's 50 churned; d's request is not known yet).
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from churn_warehouse import subscription_cltv
from churn_warehouse.forecast import (
    _fits_as_of, backtest_inputs_digest, customer_months_read, forecast_runs, run_months,
)

MONTHS = pd.date_range("2024-01-01", "2024-06-01", freq="MS")
CUSTOMERS = {"a": (1, 0, 100.0), "b": (1, 1, 50.0), "c": (12, 2, 10.0), "d": (1, 3, 40.0)}  # interval, start, mrr


def _movements() -> pd.DataFrame:
    rows = []
    for customer, (_, start, mrr) in CUSTOMERS.items():
        for index, month in enumerate(MONTHS[start:]):
            new = index == 0
            rows.append({"customer_id": customer, "month": month.date(), "mrr": mrr,
                         "movement": "new" if new else "unchanged", "new_mrr": mrr if new else 0.0,
                         "reactivation_mrr": 0.0})
    return pd.DataFrame(rows)


def _monthly() -> pd.DataFrame:
    movements = _movements()
    return movements.assign(new_business_mrr=movements["new_mrr"] + movements["reactivation_mrr"]) \
        .groupby("month", as_index=False)[["mrr", "new_business_mrr"]].sum()


def _runs() -> pd.DataFrame:
    monthly = _monthly()
    return forecast_runs(_survival(), FITS, monthly, _movements(), SCHEDULED, "2024-07-10", min_customers=30,
                         starts=run_months(monthly["month"], 1))


def _survival() -> pd.DataFrame:
    rows = []
    for customer, (interval, start, _) in CUSTOMERS.items():
        tenure = 5 - start
        rows.append({"customer_id": customer, "segment": "smb", "interval_months": interval, "tenure_months": tenure,
                     "months_to_first_churn": np.nan, "renewals": tenure // interval, "is_censored": True})
    return pd.DataFrame(rows)


FITS = pd.DataFrame([
    {"segment": segment, "interval_months": interval, "fit_source": "constant_churn", "sbg_alpha": np.nan,
     "sbg_beta": np.nan, "period_churn_rate": rate, "fit_note": None}
    for segment in ("smb", "all") for interval, rate in ((1, 0.1), (12, 0.2))
])

SCHEDULED = pd.DataFrame([
    {"subscription_id": "sb", "customer_id": "b", "month": "2024-06-01", "share_of_customer_mrr": 1.0,
     "known_at": "2024-06-15", "cancel_at": "2024-08-01", "effective_month": "2024-08-01"},
    {"subscription_id": "sd", "customer_id": "d", "month": "2024-06-01", "share_of_customer_mrr": 1.0,
     "known_at": "2024-07-20", "cancel_at": "2024-08-01", "effective_month": "2024-08-01"},
])


@pytest.fixture(scope="module")
def latest() -> pd.DataFrame:
    runs = _runs()
    return runs[runs["method"] == "survival"].set_index("months_ahead")


def test_month_zero_is_the_current_mrr(latest) -> None:
    assert latest.loc[0, "forecast_mrr"] == pytest.approx(200.0)
    assert latest.loc[0, "committed_mrr"] == pytest.approx(200.0)
    assert latest.loc[0, "low_mrr"] == latest.loc[0, "high_mrr"] == pytest.approx(200.0)


def test_first_month_applies_survival_to_each_customer_and_adds_new_business(latest) -> None:
    assert latest.loc[1, "existing_mrr"] == pytest.approx(90 + 50 + 10 + 36)
    assert latest.loc[1, "new_business_mrr"] == pytest.approx(200 / 6)
    assert latest.loc[1, "forecast_mrr"] == pytest.approx(219.3333, abs=1e-4)
    # band from the survival variance: a 100^2 * 0.9 * 0.1 + d 40^2 * 0.9 * 0.1 = 1044
    assert latest.loc[1, "high_mrr"] - latest.loc[1, "forecast_mrr"] == pytest.approx(1.6449 * math.sqrt(1044))


def test_scheduled_cancellation_ends_on_its_month_and_only_once_known(latest) -> None:
    assert latest.loc[2, "existing_mrr"] == pytest.approx(81 + 0 + 10 + 32.4)
    assert latest.loc[2, "new_business_mrr"] == pytest.approx(200 / 6 * 1.905)
    assert latest.loc[1, "committed_mrr"] == pytest.approx(200.0)
    assert latest.loc[2, "committed_mrr"] == pytest.approx(150.0)
    assert latest.loc[2, "scheduled_churn_mrr"] == pytest.approx(50.0)
    assert latest.loc[2, "scheduled_contraction_mrr"] == pytest.approx(0.0)


def test_annual_customer_keeps_paying_until_its_renewal(latest) -> None:
    """c renews at tenure 12, month 9: its 10 drops to 8 there; a and d follow 0.9^h."""
    for h in (8, 9):
        expected = 100 * 0.9 ** h + 40 * 0.9 ** h + (10 if h < 9 else 8)
        assert latest.loc[h, "existing_mrr"] == pytest.approx(expected)


def test_runs_cover_months_zero_to_twelve_for_each_method() -> None:
    runs = _runs()
    assert sorted(runs["method"].unique()) == ["flat", "survival", "trend_3m"]
    assert runs.groupby("method")["months_ahead"].apply(list).map(lambda h: h == list(range(13))).all()
    flat = runs[runs["method"] == "flat"]
    assert (flat["forecast_mrr"] == 200.0).all()
    assert flat["low_mrr"].isna().all() and flat["high_mrr"].isna().all()
    trend = runs[runs["method"] == "trend_3m"].set_index("months_ahead")
    # March 160, June 200: growth (200 / 160)^(1/3) a month
    assert trend.loc[3, "forecast_mrr"] == pytest.approx(250.0)


def test_backtest_run_fits_each_group_once(monkeypatch) -> None:
    """A backtest run refits its models; the interval's fit, which a segment too small to fit falls back to, is
    made once per run, not again for each such segment (each fit costs a whole optimisation)."""
    rng = np.random.default_rng(7)
    tenure = rng.integers(14, 30, size=45)
    to_churn = np.where(rng.random(45) < 0.4, rng.integers(1, 14, size=45), np.nan)
    survival = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(45)], "segment": ["big"] * 40 + ["tiny"] * 5, "interval_months": 1,
        "tenure_months": tenure, "months_to_first_churn": to_churn,
        "renewals": np.where(np.isnan(to_churn), tenure, to_churn - 1), "is_censored": np.isnan(to_churn),
    })
    fitted = []
    original = subscription_cltv.fit_sbg

    def counting_fit(lifetime, is_censored, **kwargs):
        fitted.append((tuple(lifetime), tuple(is_censored)))
        return original(lifetime, is_censored, **kwargs)

    monkeypatch.setattr(subscription_cltv, "fit_sbg", counting_fit)
    _, models = _fits_as_of(survival, 3, 30, FITS)
    assert models[("tiny", 1)].source == subscription_cltv.SOURCE_INTERVAL
    assert models[("tiny", 1)].alpha == models[("all", 1)].alpha
    assert len(fitted) == len(set(fitted)) == 3  # the interval, big, tiny (which fails)


def test_run_months_are_the_last_month_and_every_nth_before_it_with_a_year_of_history() -> None:
    """January 2023 to June 2024: a run needs 12 complete months before its month 0, so January 2024 is the first
    that may run; every 3rd month counted back from June 2024 is March 2024 (and December 2023, too early)."""
    months = [*pd.date_range("2023-01-01", "2024-06-01", freq="MS")] * 2  # any order, repeats allowed
    months.reverse()
    assert run_months(months, 3) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]
    assert run_months(months, 1) == list(pd.date_range("2024-01-01", "2024-06-01", freq="MS"))
    assert run_months([], 3) == []
    with pytest.raises(ValueError, match="forecast_backtest_every_months"):
        run_months(months, 0)


def test_customer_rows_read_give_the_same_runs_as_every_row() -> None:
    """The model hands forecast_runs only the rows customer_months_read selects (June's paying customers and the
    four starts, 8 of the 18 rows here): the runs are the same as from every customer-month."""
    movements = _movements()
    starts = run_months(movements["month"], 1)
    condition = customer_months_read(starts)
    with duckdb.connect() as connection:
        read = connection.from_df(movements).filter(condition).df()
    assert len(read) == 8  # a, b, c, d in June; their four new months
    lean = forecast_runs(_survival(), FITS, _monthly(), read, SCHEDULED, "2024-07-10", min_customers=30,
                         starts=starts)
    pd.testing.assert_frame_equal(lean, _runs())


BACKTEST_STARTS = [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]  # a backtest run as of March, and June


def _runs_from(starts: list[pd.Timestamp], held: pd.DataFrame | None = None) -> pd.DataFrame:
    return forecast_runs(_survival(), FITS, _monthly(), _movements(), SCHEDULED, "2024-07-10", min_customers=30,
                         starts=starts, held=held)


def test_a_run_keeping_the_backtest_forecasts_held_gives_the_rows_of_running_every_run() -> None:
    """The held rows come back as the warehouse returns them (dates, doubles); the backtest run of March is taken
    from them, June's latest run and the naive forecasts are worked out again."""
    every_run = _runs_from(BACKTEST_STARTS)
    with duckdb.connect() as connection:
        held = connection.from_df(every_run).df()
    pd.testing.assert_frame_equal(_runs_from(BACKTEST_STARTS, held), every_run)
    march = (held["method"] == "survival") & ~held["is_latest"]
    assert march.sum() == 13
    shifted = held.assign(existing_mrr=held["existing_mrr"].where(~march, held["existing_mrr"] + 1.0),
                          low_mrr=held["low_mrr"].where(~march, -1.0))
    kept = _runs_from(BACKTEST_STARTS, shifted)
    kept_march = (kept["method"] == "survival") & ~kept["is_latest"]
    np.testing.assert_array_equal(kept.loc[kept_march, "existing_mrr"], every_run.loc[kept_march, "existing_mrr"] + 1)
    assert (kept.loc[kept_march, "low_mrr"] == -1.0).all(), "a backtest run's band is kept as held"
    pd.testing.assert_frame_equal(kept[~kept_march], every_run[~kept_march])


def test_the_backtest_digest_follows_what_backtest_runs_read_and_not_the_latest_runs_cancellations() -> None:
    digest = backtest_inputs_digest(_survival(), _monthly(), _movements(), SCHEDULED, BACKTEST_STARTS)
    june_request = SCHEDULED.assign(known_at=["2024-06-15", "2024-07-02"])  # both rows are of June, the latest run
    assert backtest_inputs_digest(_survival(), _monthly(), _movements(), june_request, BACKTEST_STARTS) == digest
    of_may = SCHEDULED.assign(month=["2024-05-01", "2024-06-01"])
    assert backtest_inputs_digest(_survival(), _monthly(), _movements(), of_may, BACKTEST_STARTS) != digest
    renewed = _survival().assign(renewals=[5, 4, 0, 3])
    assert backtest_inputs_digest(renewed, _monthly(), _movements(), SCHEDULED, BACKTEST_STARTS) != digest
    assert backtest_inputs_digest(_survival(), _monthly(), _movements(), SCHEDULED, BACKTEST_STARTS[1:]) != digest
