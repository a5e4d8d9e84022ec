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
    assert formatting.percent(0.030612) == "3.06%"
    assert formatting.points(0.0012) == "+0.12 pp"
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
    assert figures.month_summary(row) == {"gained": 280.0, "lost": 160.0, "net_change": 130.0}
    low, high = figures.waterfall_axis(steps)
    assert low < 1000.0 < 1290.0 < high


def test_monthly_churn_compounds_to_an_annual_rate_for_the_benchmarks():
    assert figures.annual_equivalent(0.05) == pytest.approx(1 - 0.95**12)
    assert figures.annual_equivalent(None) is None


def test_reasons_are_spelled_out_in_the_order_the_mart_gives():
    assert figures.reasons_in_words("inactive, payment_failing") == (
        "No product activity for 30 days or more; A recent card payment failed and has not been paid since"
    )
    assert figures.reasons_in_words("") == "No warning sign fires"


def test_benchmarks_read_as_ranges_with_their_year():
    seed = pd.DataFrame([
        {"metric": "customer_churn_rate", "industry": "SaaS companies", "low_value": 0.05, "high_value": 0.07,
         "unit": "fraction", "period": "annual", "reference_year": pd.NA, "source": "docs/metrics.md"},
        {"metric": "expansion_share", "industry": "Subscription businesses", "low_value": 0.323,
         "high_value": 0.323, "unit": "fraction", "period": "annual", "reference_year": 2023, "source": "report"},
    ])
    churn = figures.benchmark_points(seed, "customer_churn_rate")
    assert [(point.who, point.figure) for point in churn] == [("SaaS companies", "5%–7% a year")]
    expansion = figures.benchmark_points(seed, "expansion_share")
    assert [(point.who, point.figure) for point in expansion] == [("Subscription businesses (2023)", "32.3%")]


def test_a_page_without_the_chosen_breakdown_says_it_shows_all_customers():
    context = Context(WarehouseId("w", 0, 0, 0), "USD", (date(2026, 10, 1),), date(2026, 10, 1),
                      date(2026, 10, 1), "country", "DE")
    assert context.scope(("segment", "country")) == ("country", "DE", None)
    dimension, value, note = context.scope(("segment",))
    assert (dimension, value) == ("all", "all") and "segment only" in note
    assert context.filter_label == "Country: DE"
