"""The dashboard's helpers on their own: formatting, the waterfall, reasons in words, benchmarks, the period."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from lib import figures, formatting  # noqa: E402
from lib.controls import Context  # noqa: E402
from lib.warehouse import WarehouseId  # noqa: E402


def test_money_percent_points_and_ratios_read_as_an_executive_expects():
    assert formatting.money(Decimal("34950579.69")) == "$34,950,580"
    assert formatting.money(-1200.4, signed=True) == "-$1,200"
    assert formatting.money(1098652.2, signed=True) == "+$1,098,652"
    assert formatting.money(-0.3, signed=True) == "$0"
    assert formatting.money(1234.5, "CHF") == "1,234 CHF"  # 1234.5 rounds half to even
    assert formatting.percent(0.030612) == "3.1%"
    assert formatting.percent(0.1599) == "16.0%" and formatting.percent(0.0031) == "0.31%"
    assert formatting.percent(0.00996) == "1.0%" and formatting.percent(-0.004, signed=True) == "-0.40%"
    assert formatting.points(0.0012) == "+0.12 pp" and formatting.points(0.0234) == "+2.3 pp"
    assert formatting.category("mid_market") == "Mid-market" and formatting.category("paid_search") == "Paid search"
    assert formatting.category("DE") == "DE" and formatting.category("all") == "All customers"
    assert formatting.points(-0.0002) == "-0.02 pp"
    assert formatting.ratio(2.1449) == "2.14×"
    assert formatting.count(45978) == "45,978"
    assert formatting.signed_count(-87) == "-87"
    assert formatting.month_label(date(2026, 10, 1)) == "Oct 2026"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_a_null_figure_shows_a_dash_whatever_form_it_takes(missing):
    assert formatting.is_missing(missing)
    assert formatting.percent(missing) == formatting.DASH
    assert formatting.money(missing) == formatting.DASH


def test_the_waterfall_walks_from_last_months_mrr_to_this_months():
    row = pd.Series({
        "mrr": 1130.0, "opening_mrr": 1010.0, "fx_adjustment_mrr": 10.0, "new_mrr": 200.0,
        "expansion_mrr": 50.0, "reactivation_mrr": 30.0, "contraction_mrr": 40.0, "churn_mrr": 120.0,
    })
    steps = figures.waterfall(row)
    assert steps["step"].tolist() == [
        "Last month", "Exchange rates", "New", "Expansion", "Reactivation", "Contraction", "Churn", "This month",
    ]
    assert steps.iloc[0]["end"] == 1000.0  # opening MRR less the exchange-rate effect
    assert steps.iloc[-2]["end"] == pytest.approx(1130.0)  # the identity of docs/metrics.md closes the walk
    assert steps.iloc[-1]["end"] == 1130.0
    summary = figures.month_summary(row)
    assert summary == {"gained": 280.0, "lost": 160.0, "fx": 10.0, "net_change": 130.0}
    assert summary["gained"] - summary["lost"] + summary["fx"] == summary["net_change"]  # shown side by side
    low, high = figures.waterfall_axis(steps)
    assert low < 1000.0 < 1290.0 < high


def test_monthly_churn_compounds_to_an_annual_rate_for_the_benchmarks():
    assert figures.annual_equivalent(0.05) == pytest.approx(1 - 0.95**12)
    assert figures.annual_equivalent(None) is None


def test_reasons_are_spelled_out_in_the_order_the_mart_gives():
    assert figures.reasons_in_words("inactive, payment_failing") == (
        "No product activity for 30 days or more; A recent card payment failed and has not been paid since"
    )
    assert figures.reasons_in_words("") == "No single warning sign"


def test_benchmarks_read_as_ranges_with_their_year():
    seed = pd.DataFrame([
        {"metric": "customer_churn_rate", "industry": "SaaS companies", "low_value": 0.05, "high_value": 0.07,
         "unit": "fraction", "period": "annual", "reference_year": pd.NA, "source": "docs/metrics.md"},
        {"metric": "expansion_share", "industry": "Subscription businesses", "low_value": 0.323,
         "high_value": 0.323, "unit": "fraction", "period": "annual", "reference_year": 2023, "source": "report"},
    ])
    churn = figures.benchmark_points(seed, "customer_churn_rate")
    assert [(point.who, point.figure) for point in churn] == [("SaaS companies", "5.0%–7.0% a year")]
    expansion = figures.benchmark_points(seed, "expansion_share")
    assert [(point.who, point.figure) for point in expansion] == [("Subscription businesses (2023)", "32.3%")]


def test_a_page_without_the_chosen_breakdown_says_it_shows_all_customers():
    context = Context(WarehouseId("w", 0, 0, 0), "USD", (date(2026, 10, 1),), date(2026, 10, 1),
                      date(2026, 10, 1), "country", "DE")
    assert context.scope(("segment", "country")) == ("country", "DE", None)
    dimension, value, note = context.scope(("segment",))
    assert (dimension, value) == ("all", "all") and "segment only" in note
    assert context.filter_label == "Country: DE"


def test_a_medium_risk_customer_without_a_warning_sign_is_told_why_they_are_listed():
    row = pd.Series({"signals": "", "risk_tier": "medium", "activity_last_30d": 2, "activity_prev_30d": 3})
    why = figures.why_at_risk(row)
    assert "No warning sign fires" not in why
    assert why.startswith("No single warning sign: the risk model") and "2 in the last 30 days" in why
    assert figures.why_at_risk(pd.Series({"signals": "inactive", "risk_tier": "high"})) == (
        "No product activity for 30 days or more")


def test_unspecified_and_unknown_churn_reasons_read_as_two_different_things():
    assert figures.reason_label("unspecified") == "Cancelled, no reason given"
    assert figures.reason_label("unknown") == "Stopped paying, never cancelled"
    assert figures.reason_label("too_expensive") == "Too expensive"


def test_win_back_compares_the_same_churned_customers_across_windows():
    # The latest month known for 3 and 6 months (Mar) won more back than the only month known for 12 (Jan):
    # shown month by month, 12 months would read lower than 6.
    frame = pd.DataFrame({
        "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
        "churned_customers": [10, 0, 5],
        "win_back_3m": [0.1, None, 0.4],
        "win_back_6m": [0.2, None, 0.6],
        "win_back_12m": [0.3, None, None],
    })
    win_back = figures.comparable_win_back(frame)
    assert (win_back.first, win_back.last, win_back.churned) == (date(2025, 1, 1), date(2025, 1, 1), 10)
    assert win_back.shares == {3: pytest.approx(0.1), 6: pytest.approx(0.2), 12: pytest.approx(0.3)}
    no_year_yet = figures.comparable_win_back(frame.assign(win_back_12m=None))
    assert no_year_yet.churned == 15 and no_year_yet.shares[12] is None
    assert no_year_yet.shares[6] == pytest.approx((0.2 * 10 + 0.6 * 5) / 15)
    assert no_year_yet.shares[6] >= no_year_yet.shares[3]


def test_model_note_says_why_a_group_has_no_model_without_the_models_parameters():
    note = ("every semi-annual customer cannot be fitted (no finite maximum-likelihood estimate: the optimum runs to "
            "the edge of the parameter space (alpha=2.06e+04, beta=1.2e+05); the data do not identify the model's "
            "heterogeneity); the annual customers of segment 'mid_market' cannot be fitted (no customer is observed "
            "beyond the first period: one period of data cannot separate alpha from beta)")
    words = figures.model_note(note)
    assert words == (
        "every semi-annual customer cannot be fitted (the churn seen so far does not show how much customers differ "
        "from one another); the annual customers of segment Mid-market cannot be fitted (no customer is seen beyond "
        "the first renewal, too short to tell how churn changes with tenure)")


def test_themes_with_the_same_difference_show_in_the_same_order_whatever_order_the_engine_returns_them():
    from lib import campaigns

    # Two themes tie at +10 points; PostgreSQL and DuckDB may return them in either order.
    rows = pd.DataFrame({
        "theme": ["no_longer_needed", "missing_features", "price"],
        "churned_theme_share": [0.3, 0.3, 0.5],
        "stayed_theme_share": [0.2, 0.2, 0.1],
    })
    forward = campaigns.theme_churn_display(rows)["Theme"].tolist()
    backward = campaigns.theme_churn_display(rows.iloc[::-1])["Theme"].tolist()
    assert forward == backward == ["Price", "Missing features", "No longer needed"]


def test_rate_tooltips_read_as_rates_do_everywhere_else_one_decimal_and_two_below_one_percent():
    from lib import charts

    months = pd.DataFrame({"month": [date(2026, 9, 1), date(2026, 10, 1)], "churn": [0.1599, 0.0031]})
    spec = charts.trend(months, {"churn": "Customer churn"}, value_format=".1%", title="Churn").to_dict()
    rows = [row for data in spec["datasets"].values() for row in data]
    assert sorted(row["value_text"] for row in rows) == ["0.31%", "16.0%"]
    assert {"field": "value_text", "type": "nominal", "title": "Value"} in spec["encoding"]["tooltip"]

    cohorts = pd.DataFrame({"cohort_month": [date(2026, 1, 1)], "months_since_start": [3], "logo_retention": [0.004],
                            "cohort_customers": [250], "retained_customers": [1]})
    spec = charts.heatmap(cohorts, "logo_retention", title="Cohorts", value_title="Still paying").to_dict()
    assert [row["logo_retention_text"] for data in spec["datasets"].values() for row in data] == ["0.40%"]

    money = charts.trend(months, {"churn": "MRR"}, value_format="$,.3~s", title="MRR").to_dict()
    assert {"field": "value", "type": "quantitative", "format": "$,.3~s", "title": "Value"} in money["encoding"]["tooltip"]
