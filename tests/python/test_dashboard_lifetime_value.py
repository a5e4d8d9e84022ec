"""The Lifetime value page's shaping helpers: the fit-quality table and sentences in plain words, no data as Markdown."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from lib import figures  # noqa: E402

MARKDOWN_NOTE = "**bold** [link](http://example.com) :red[alarm]"


def quality() -> pd.DataFrame:
    """Two billing intervals: monthly fitted on its own, annual on a flat rate with nobody to check a year ago."""
    return pd.DataFrame({
        "segment": ["all", "smb", "all"],
        "interval_months": [1, 1, 12],
        "fit_source": ["segment_interval", "interval", "constant_churn"],
        "fit_note": [None, MARKDOWN_NOTE, "too few"],
        "customers": [200, 12, 40],
        "churned_customers": [80, 5, 6],
        "periods_observed": [30, 20, 2],
        "period_churn_rate": [0.05, 0.05, 0.2],
        "likelihood_ratio": [12.0, np.nan, np.nan],
        "holdout_periods": [12, 12, 1],
        "holdout_customers": [100, 6, 0],
        "holdout_mean_abs_error": [2.5, 0.5, np.nan],
    })


def test_fit_quality_table_speaks_plain_words_and_keeps_notes_in_cells() -> None:
    table = figures.fit_quality_table(quality())
    assert table["Customers"].tolist() == ["All customers, monthly plans", "SMB, monthly plans",
                                           "All customers, annual plans"]
    assert table["Model used"].tolist() == ["Own history", "Shared with its billing interval", "Flat churn rate"]
    assert table["Churn falls with tenure"].tolist() == ["yes, clearly", "not tested (no model of its own)",
                                                         "not tested (no model of its own)"]
    assert table["Chance of leaving at the first renewal"].tolist() == ["5.0%", "5.0%", "20.0%"]  # one precision
    assert table["Year-ago check: miss as a share"].tolist() == ["2.5%", "8.3%", "—"]
    assert table["Why this model"].iloc[1] == MARKDOWN_NOTE  # shown in a table cell, as plain text
    header = " ".join(table.columns).lower()
    assert "alpha" not in header and "α" not in header and "dbt" not in header


def test_holdout_sentences_give_each_interval_its_miss_in_customers_and_share() -> None:
    monthly, annual = figures.holdout_sentences(quality())
    assert monthly.startswith("Monthly plans: refitted on the data as they stood a year ago")
    assert "the 100 customers" in monthly and "each of the 12 renewals since" in monthly and "2.5 customers" in monthly
    assert "(2.5% of them)" in monthly
    assert annual == "Annual plans: no customer was with us a year ago, so nothing to check yet."


def test_mrr_by_model_sentence_sums_to_the_paying_mrr() -> None:
    sources = pd.DataFrame({"sbg_fit_source": ["constant_churn", "interval", "segment_interval"],
                            "customers": [1, 2, 3], "current_mrr": [10.0, 30.0, 60.0],
                            "mrr_without_prediction": [0.0, 0.0, 0.0]})
    sentence = figures.mrr_by_model_sentence(sources)
    assert sentence.startswith("Every paying customer has a predicted value: 60.0% of current MRR")
    assert "30.0% with the model of all customers on the same billing interval" in sentence
    assert "10.0% with a flat churn rate" in sentence
    missing = figures.mrr_by_model_sentence(sources.assign(mrr_without_prediction=[10.0, 0.0, 0.0]))
    assert missing.startswith("10.0% of current MRR has no predicted value")


def test_fit_summary_is_built_from_numbers_and_fixed_words_only() -> None:
    curve = pd.DataFrame({
        "segment": ["smb"] * 3, "interval_months": [12] * 3, "periods_since_start": [0, 1, 2],
        "is_projection": [False, False, True], "fitted_survival": [1.0, 0.75, 0.6],
        "sbg_fit_source": ["interval"] * 3, "sbg_fit_note": [MARKDOWN_NOTE] * 3,
        "sbg_alpha": [1.0] * 3, "sbg_beta": [3.0] * 3,
    })
    text = figures.fit_summary(curve)
    assert "the model of all annual customers is used" in text
    assert "25.0% chance of leaving at their first renewal" in text and "one year" in text
    assert MARKDOWN_NOTE not in text and "smb" not in text and "alpha" not in text
