"""End to end on generated sample data: the whole project builds, every dbt test passes, the marts hold data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import SAMPLE_END_DATE

from churn_warehouse.summary import fetch_summary, format_summary

END_DATE = SAMPLE_END_DATE


@pytest.fixture(scope="module")
def sample_build(sample_warehouse):
    """The session's generated sample (conftest.SAMPLE_*), which other modules read too."""
    return sample_warehouse


def test_every_model_and_dbt_test_passes_on_sample_data(sample_build):
    assert "ERROR=0" in sample_build.output and "SKIP=0" in sample_build.output


def test_default_as_of_date_is_the_latest_event_or_invoice_date(sample_build):
    assert sample_build.query("select as_of_date from marts.build_info") == [{"as_of_date": END_DATE}]


def test_monthly_mart_ends_with_the_last_complete_month(sample_build):
    months = [row["month"] for row in sample_build.query("select month from marts.mrr_monthly order by month")]
    assert months[-1] == date(2025, 5, 1)
    assert len(months) >= 20


def test_sample_data_exercises_every_movement_and_churn_type(sample_build):
    movements = {
        row["movement"]
        for row in sample_build.query("select distinct movement from marts.mrr_movements")
    }
    assert movements == {"new", "expansion", "contraction", "churn", "reactivation", "unchanged", "inactive"}
    churn_types = {
        row["churn_type"]
        for row in sample_build.query("select distinct churn_type from marts.mrr_movements where churn_type is not null")
    }
    assert {"voluntary", "involuntary"} <= churn_types


def test_several_currencies_produce_an_fx_adjustment(sample_build):
    rows = sample_build.query("select count(*) as months from marts.mrr_monthly where fx_adjustment_mrr != 0")
    assert rows[0]["months"] > 0


def test_summary_names_the_marts_and_last_months_figures(sample_build):
    summary = fetch_summary(sample_build.db_path)
    text = format_summary(Path(sample_build.db_path), summary)
    assert summary["month"] == date(2025, 5, 1)
    assert "mrr_monthly" in summary["marts"]
    assert "Last complete month 2025-05" in text and "customer churn" in text
