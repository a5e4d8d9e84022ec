"""The Outlook page in Streamlit's AppTest on the parity sample (500 customers over 36 months, the session's
shared DuckDB build): it runs, and its headline figures, the backtest in words and the renewal CSV are the marts'."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

PROJECT_DIR = Path(__file__).resolve().parents[2]
APP_DIR = PROJECT_DIR / "app"
APP = APP_DIR / "streamlit_app.py"
TIMEOUT = 120

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from lib import formatting, outlook  # noqa: E402


@pytest.fixture
def page(parity_duckdb, monkeypatch) -> AppTest:
    """The Outlook page on the parity sample, after its first run."""
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(parity_duckdb.db_path))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.switch_page("app_pages/outlook.py").run()
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]
    return app


def test_outlook_headlines_are_month_0_mrr_and_the_twelfth_months_committed_and_forecast_mrr(page, parity_duckdb):
    assert [title.value for title in page.title] == ["Outlook"]
    forecast = pd.DataFrame(parity_duckdb.query(
        "select f.months_ahead, f.month, f.forecast_mrr, c.committed_mrr, m.mrr from marts.mrr_forecast f "
        "join marts.committed_mrr_monthly c using (months_ahead) left join marts.mrr_monthly m on m.month = f.month "
        "order by f.months_ahead"))
    now, ahead = forecast.iloc[0], forecast.iloc[-1]
    assert now["forecast_mrr"] == now["mrr"] == now["committed_mrr"]
    shown = {metric.label: metric.value for metric in page.metric}
    assert shown == {
        f"MRR at the end of {formatting.month_label(now['month'])}": formatting.money(now["mrr"]),
        f"Committed MRR in {formatting.month_label(ahead['month'])}": formatting.money(ahead["committed_mrr"]),
        f"Forecast MRR in {formatting.month_label(ahead['month'])}": formatting.money(ahead["forecast_mrr"]),
    }


def test_outlook_states_the_6_and_12_month_backtest_error_in_words(page, parity_duckdb):
    text = " ".join(element.value for element in page.markdown)
    for horizon in (6, 12):
        row = parity_duckdb.query(
            "select mape from marts.mrr_forecast_backtest where method = 'survival' and months_ahead = ?", [horizon])
        assert row, f"the 36-month sample has {horizon}-month backtests"
        said = f"Our {horizon}-month forecasts were off by {formatting.percent(row[0]['mape'])} on average"
        assert said in text.replace("\\", "")


def test_outlook_csv_holds_the_next_90_days_renewals_largest_first(parity_duckdb, monkeypatch):
    from lib import data, warehouse

    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(parity_duckdb.db_path))
    lines = data.upcoming_renewals_csv(warehouse.identify()).strip().splitlines()
    expected = parity_duckdb.query(
        "select subscription_id from marts.upcoming_renewals where is_within_90_days order by arr_rank")
    assert lines[0].startswith("customer_id,subscription_id,renewal_date,plan_interval,segment,arr_renewing")
    assert [line.split(",")[1] for line in lines[1:]] == [row["subscription_id"] for row in expected]


def test_backtest_sentence_says_when_ours_did_not_beat_the_naive_forecasts():
    backtest = pd.DataFrame({"method": ["survival", "flat", "trend_3m"], "months_ahead": [6, 6, 6],
                             "forecasts": [9, 9, 9], "mape": [0.031, 0.02, 0.05], "bias": [-0.01, 0.0, 0.02]})
    sentence = outlook.backtest_sentence(backtest, 6)
    assert sentence.startswith("Our 6-month forecasts were off by 3.1% on average (9 past forecasts, on average "
                               "1.0% too low)")
    assert "2.0% assuming MRR stays flat and 5.0% extending the last 3 months' growth" in sentence
    assert sentence.endswith("so ours did not beat them all.")
    assert outlook.backtest_sentence(backtest, 12).startswith("Our 12-month forecasts cannot be judged yet")


def test_renewals_table_shows_plans_segments_and_reasons_in_words_not_codes():
    renewals = pd.DataFrame({
        "customer_id": ["c1", "c2"], "renewal_date": ["2026-12-01", "2026-12-02"],
        "plan_interval": ["semi_annual", "annual"], "segment": ["mid_market", "smb"],
        "arr_renewing": [1200, 600], "risk_score": [0.7, 0.1], "risk_weighted_arr": [840, 60],
        "signals": ["inactive, email_disengaged", None], "is_cancellation_scheduled": [True, False],
    })
    view = outlook.renewals_view(renewals)
    assert view["Plan"].tolist() == ["Semi annual", "Annual"]
    assert view["Segment"].tolist() == ["Mid-market", "SMB"]
    assert view["Why"].tolist() == [
        "No product activity for 30 days or more; Stopped opening or clicking our emails", "No single warning sign"]
