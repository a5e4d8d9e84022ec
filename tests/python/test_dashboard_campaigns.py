"""The Reactivation and Satisfaction pages' campaign and comment-theme sections in AppTest, on the parity build.

The figures shown are read again here, straight from the built file, so a section that shows another number
than its mart fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

PROJECT_DIR = Path(__file__).resolve().parents[2]
APP_DIR = PROJECT_DIR / "app"
TIMEOUT = 120

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from lib import campaigns, formatting  # noqa: E402


@pytest.fixture
def app(parity_duckdb, monkeypatch):
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(parity_duckdb.db_path))
    return AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=TIMEOUT).run()


def open_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]
    return app


def frame_with(app: AppTest, column: str) -> pd.DataFrame:
    [frame] = [element.value for element in app.dataframe if column in element.value.columns]
    return frame


def period_months(app: AppTest) -> tuple[str, str]:
    """The sidebar's period, as the first and last month (ISO dates) the page shows."""
    context = app.session_state["dashboard_context"]
    return context.start.isoformat(), context.end.isoformat()


def test_reactivation_page_shows_the_funnel_and_uplift_of_the_marts(app, parity_duckdb) -> None:
    open_page(app, "reactivation")
    start, end = period_months(app)
    funnel = frame_with(app, "Click-to-open").set_index("Campaign")
    [expected] = parity_duckdb.query(
        "select sum(emails_sent) as sent, sum(unique_opens) as opens, sum(unique_clicks) as clicks"
        " from marts.campaign_monthly where campaign = 'win_back' and month between ? and ?",
        [start, end],
    )
    win_back = funnel.loc["Win back"]
    assert win_back["Win-back"] == "yes"
    assert (win_back["E-mails sent"], win_back["Opened"], win_back["Clicked"]) == (
        expected["sent"], expected["opens"], expected["clicks"])
    assert win_back["Open rate"] == formatting.percent(expected["opens"] / expected["sent"])
    assert (funnel.drop(index="Win back")["Win-back"] == "no").all()

    [uplift] = parity_duckdb.query("select * from marts.win_back_uplift")
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Uplift"] == formatting.points(uplift["uplift"])
    assert shown["Back within 3 months, sent"] == formatting.percent(uplift["sent_reactivation_rate"])
    assert any(f"likely between {formatting.points(uplift['uplift_ci_low'])} and" in caption.value.replace("\\", "")
               for caption in app.caption)


def test_satisfaction_page_shows_theme_shares_newest_examples_and_a_csv(app, parity_duckdb) -> None:
    open_page(app, "satisfaction")
    start, end = period_months(app)
    shares = frame_with(app, "Detractors").set_index("Theme")
    [expected] = parity_duckdb.query(
        "select sum(theme_comments) as themed, sum(group_comments) as comments from marts.feedback_themes_monthly"
        " where dimension = 'all' and respondent_group = 'promoter' and theme = 'support' and month between ? and ?",
        [start, end],
    )
    assert shares.loc["Support", "Promoters"] == formatting.percent(expected["themed"] / expected["comments"])
    assert list(shares.index) == list(campaigns.THEME_LABELS.values())

    examples = frame_with(app, "Comment")
    newest = parity_duckdb.query(
        "select theme, comment from (select theme, comment, row_number() over (partition by theme"
        " order by responded_at desc, response_id) as n from marts.feedback_themes where month between ? and ?)"
        " where n <= ?",
        [start, end, campaigns.EXAMPLES_PER_THEME],
    )
    expected = sorted((campaigns.THEME_LABELS[row["theme"]], row["comment"]) for row in newest)
    assert sorted(zip(examples["Theme"], examples["Comment"])) == expected
    assert "Customers who stayed" in frame_with(app, "Customers who stayed").columns
    [button] = app.get("download_button")
    assert "CSV" in button.proto.label
