"""The MRR marts must reproduce the figures worked out by hand from docs/metrics.md.

The fixture (tests/fixtures/hand_worked/raw) and its expected rows were written
independently of the models; README.md beside them explains every number.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from hand_worked import (
    Row,
    as_month,
    as_number,
    as_text,
    compare_rows,
    fail_with,
    numbers_match,
    read_expected,
)


MONEY_TOLERANCE = 1e-6  # customer-month MRR is rounded to 6 decimals
RATE_TOLERANCE = 1e-12

MOVEMENT_KEY = ("customer_id", "month")
MOVEMENT_MONEY = (
    "mrr",
    "prev_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "reactivation_mrr",
    "fx_adjustment_mrr",
)
MOVEMENT_TEXT = ("movement", "churn_type")

MONTHLY_KEY = ("month",)
MONTHLY_MONEY = (
    "mrr",
    "arr",
    "arpa",
    "opening_mrr",
    "fx_adjustment_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "reactivation_mrr",
    "voluntary_churn_mrr",
    "involuntary_churn_mrr",
    "unknown_churn_mrr",
)
MONTHLY_COUNTS = (
    "active_customers",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
    "voluntary_churned_customers",
    "involuntary_churned_customers",
    "unknown_churned_customers",
)
MONTHLY_RATES = (
    "customer_churn_rate",
    "gross_revenue_churn_rate",
    "net_revenue_churn_rate",
    "net_revenue_churn_rate_incl_reactivation",
    "nrr",
    "grr",
    "nrr_t12m",
    "grr_t12m",
    "expansion_share",
    "quick_ratio",
)
MONTHLY_FLAGS = ("is_negative_churn",)



# ---------------------------------------------------------------- helpers


def as_flag(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "t", "1")


def movement_checks() -> dict[str, Callable[[Any, Any], bool]]:
    checks: dict[str, Callable[[Any, Any], bool]] = {
        c: (lambda e, a: numbers_match(e, a, MONEY_TOLERANCE)) for c in MOVEMENT_MONEY
    }
    checks.update({c: (lambda e, a: as_text(e) == as_text(a)) for c in MOVEMENT_TEXT})
    return checks


def monthly_checks() -> dict[str, Callable[[Any, Any], bool]]:
    checks: dict[str, Callable[[Any, Any], bool]] = {
        c: (lambda e, a: numbers_match(e, a, MONEY_TOLERANCE)) for c in MONTHLY_MONEY
    }
    checks.update({c: (lambda e, a: int(e) == a) for c in MONTHLY_COUNTS})
    checks.update({c: (lambda e, a: numbers_match(e, a, RATE_TOLERANCE)) for c in MONTHLY_RATES})
    checks.update({c: (lambda e, a: as_flag(e) == as_flag(a)) for c in MONTHLY_FLAGS})
    return checks


# --------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hand_worked_build(hand_worked_warehouse):
    """The whole project built once on the hand-worked raw files (the session's, shared with other modules)."""
    return hand_worked_warehouse


@pytest.fixture(scope="module")
def movements(hand_worked_build) -> list[Row]:
    return hand_worked_build.query("select * from marts.mrr_movements order by customer_id, month")


@pytest.fixture(scope="module")
def monthly(hand_worked_build) -> list[Row]:
    return hand_worked_build.query("select * from marts.mrr_monthly order by month")


def customer_rows(movements: list[Row], customer_id: str) -> dict[str, Row]:
    """One customer's movement rows keyed by month 'YYYY-MM-DD'."""
    return {as_month(r["month"]): r for r in movements if r["customer_id"] == customer_id}


def money(value: Any) -> float:
    number = as_number(value)
    assert number is not None, "money figure is null"
    return number


# ------------------------------------------------------ whole-mart checks


def test_mrr_movements_match_hand_worked_rows(movements):
    expected = read_expected("expected_mrr_movements.csv")
    fail_with(
        compare_rows(expected, movements, MOVEMENT_KEY, movement_checks()),
        "marts.mrr_movements vs tests/fixtures/hand_worked/expected_mrr_movements.csv",
    )


def test_mrr_monthly_matches_hand_worked_figures(monthly):
    expected = read_expected("expected_mrr_monthly.csv")
    fail_with(
        compare_rows(expected, monthly, MONTHLY_KEY, monthly_checks()),
        "marts.mrr_monthly vs tests/fixtures/hand_worked/expected_mrr_monthly.csv",
    )


def test_monthly_mart_covers_each_complete_month_from_first_active_month(monthly):
    months = [as_month(r["month"]) for r in monthly]
    assert months == [f"2024-{m:02d}-01" for m in range(1, 7)], (
        "expected January-June 2024 (June ends before the as-of date 2024-07-10, July does not), "
        f"got {months}"
    )


def test_mrr_identity_holds_row_by_row_and_month_by_month(movements, monthly):
    problems = []
    for r in movements:
        rebuilt = (
            money(r["prev_mrr"]) + money(r["new_mrr"]) + money(r["reactivation_mrr"])
            + money(r["expansion_mrr"]) - money(r["contraction_mrr"]) - money(r["churn_mrr"])
        )
        if abs(rebuilt - money(r["mrr"])) > MONEY_TOLERANCE:
            problems.append(f"{r['customer_id']} {as_month(r['month'])}: mrr {r['mrr']} != {rebuilt}")
    previous = 0.0
    for r in monthly:
        opening = previous + money(r["fx_adjustment_mrr"])
        rebuilt = (
            opening + money(r["new_mrr"]) + money(r["reactivation_mrr"]) + money(r["expansion_mrr"])
            - money(r["contraction_mrr"]) - money(r["churn_mrr"])
        )
        if abs(opening - money(r["opening_mrr"])) > MONEY_TOLERANCE:
            problems.append(f"{as_month(r['month'])}: opening_mrr {r['opening_mrr']} != {opening}")
        if abs(rebuilt - money(r["mrr"])) > MONEY_TOLERANCE:
            problems.append(f"{as_month(r['month'])}: mrr {r['mrr']} != {rebuilt}")
        previous = money(r["mrr"])
    fail_with(problems, "MRR identity")


# ----------------------------------------------------- focused behaviours


def test_annual_plan_counts_one_twelfth_per_month(movements):
    c02 = customer_rows(movements, "c02")  # 1000 USD for 2024-01-15 .. 2025-01-15
    assert sorted(c02) == [f"2024-{m:02d}-01" for m in range(1, 7)]
    for month, row in sorted(c02.items()):
        assert abs(money(row["mrr"]) - 83.333333) <= MONEY_TOLERANCE, (month, row)
    assert [c02[m]["movement"] for m in sorted(c02)] == ["new"] + ["unchanged"] * 5


def test_quarterly_plan_counts_one_third_per_month(movements):
    c03 = customer_rows(movements, "c03")  # 300 USD per quarter, 360 from May
    assert [money(c03[m]["mrr"]) for m in sorted(c03)] == pytest.approx([100, 100, 100, 120, 120], abs=1e-6)
    assert c03["2024-05-01"]["movement"] == "expansion"
    assert money(c03["2024-05-01"]["expansion_mrr"]) == pytest.approx(20, abs=1e-6)


def test_proration_only_invoice_neither_counts_nor_ends_the_line_in_force(movements):
    c03 = customer_rows(movements, "c03")  # proration line 2024-03-15 .. 2024-05-01 on its own invoice
    for month in ("2024-03-01", "2024-04-01"):
        row = c03[month]
        assert row["movement"] == "unchanged", row
        assert money(row["mrr"]) == pytest.approx(100, abs=1e-6), row


def test_upgrade_rebilled_mid_period_replaces_old_line_and_proration_never_counts(movements):
    c04 = customer_rows(movements, "c04")  # pro 100 re-billed as business 200 from 2024-03-20
    march = c04["2024-03-01"]
    assert money(march["mrr"]) == pytest.approx(200, abs=1e-6), march  # not 100 + 200, not 200 - 67.74
    assert march["movement"] == "expansion"
    assert money(march["expansion_mrr"]) == pytest.approx(100, abs=1e-6)


def test_downgrade_is_contraction(movements):
    april = customer_rows(movements, "c05")["2024-04-01"]  # 150 -> 90
    assert april["movement"] == "contraction", april
    assert money(april["contraction_mrr"]) == pytest.approx(60, abs=1e-6)
    assert money(april["churn_mrr"]) == 0


def test_plan_and_addon_with_same_period_start_both_count(movements):
    c06 = customer_rows(movements, "c06")  # pro 80 + add-on 20 (2 units) from March, 40 (4 units) from June
    mrr = [money(c06[m]["mrr"]) for m in sorted(c06)]
    assert mrr == pytest.approx([80, 80, 100, 100, 100, 120], abs=1e-6)
    assert [c06[m]["movement"] for m in sorted(c06)] == [
        "new", "unchanged", "expansion", "unchanged", "unchanged", "expansion",
    ]


def test_reactivation_after_gap_is_not_expansion(movements):
    c10 = customer_rows(movements, "c10")  # the 2024-03-12 invoice is void: no line in force on 2024-03-31
    assert c10["2024-03-01"]["movement"] == "churn"
    assert money(c10["2024-03-01"]["churn_mrr"]) == pytest.approx(120, abs=1e-6)
    april = c10["2024-04-01"]
    assert april["movement"] == "reactivation", april
    assert money(april["reactivation_mrr"]) == pytest.approx(120, abs=1e-6)
    assert money(april["expansion_mrr"]) == 0 and money(april["new_mrr"]) == 0

    c11 = customer_rows(movements, "c11")  # 90 until February, back at 110 in May
    assert c11["2024-04-01"]["movement"] == "inactive"
    may = c11["2024-05-01"]
    assert may["movement"] == "reactivation", may
    assert money(may["reactivation_mrr"]) == pytest.approx(110, abs=1e-6)
    assert money(may["expansion_mrr"]) == 0 and money(may["new_mrr"]) == 0


def test_eur_price_unchanged_has_only_fx_adjustment(movements):
    c12 = customer_rows(movements, "c12")  # 100 EUR every month; EUR month-end rates move
    month_end_rates = {"2024-01-01": 1.10, "2024-02-01": 1.08, "2024-03-01": 1.12,
                       "2024-04-01": 1.05, "2024-05-01": 1.09, "2024-06-01": 1.07}
    expected_fx = {"2024-02-01": -2, "2024-03-01": 4, "2024-04-01": -7, "2024-05-01": 4, "2024-06-01": -2}
    for month, rate in month_end_rates.items():
        assert money(c12[month]["mrr"]) == pytest.approx(100 * rate, abs=1e-6), c12[month]
    for month, fx in expected_fx.items():
        row = c12[month]
        assert row["movement"] == "unchanged", row
        assert money(row["prev_mrr"]) == pytest.approx(money(row["mrr"]), abs=1e-6), row
        for column in ("new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr"):
            assert money(row[column]) == 0, (column, row)
        assert money(row["fx_adjustment_mrr"]) == pytest.approx(fx, abs=1e-6), row


def test_two_currency_expansion_is_measured_at_this_months_rates(movements):
    april = customer_rows(movements, "c13")["2024-04-01"]  # GBP 40 -> 60, EUR 50 unchanged
    assert april["movement"] == "expansion", april
    assert money(april["expansion_mrr"]) == pytest.approx(20 * 1.24, abs=1e-6)
    assert money(april["prev_mrr"]) == pytest.approx(50 * 1.05 + 40 * 1.24, abs=1e-6)
    assert money(april["fx_adjustment_mrr"]) == pytest.approx(-4.3, abs=1e-6)


def test_churn_type_follows_cancel_reason_of_subscriptions_in_force(movements):
    expected = {
        ("c07", "2024-04-01"): "voluntary",  # canceled 2024-03-15, too_expensive
        ("c08", "2024-05-01"): "involuntary",  # canceled 2024-05-10, payment_failed
        ("c09", "2024-04-01"): "unknown",  # billing stopped, never canceled
        ("c10", "2024-03-01"): "unknown",  # void invoice left a gap
        ("c11", "2024-03-01"): "voluntary",  # canceled with a null reason
        ("c16", "2024-04-01"): "voluntary",  # canceled 2024-05-01T01:00+02:00 = 2024-04-30 UTC
        ("c17", "2024-02-01"): "voluntary",  # canceled 2024-02-05, seasonal
        ("c18", "2024-02-01"): "unknown",  # billing stopped until June, never canceled
    }
    actual = {
        (r["customer_id"], as_month(r["month"])): as_text(r["churn_type"])
        for r in movements
        if r["movement"] == "churn"
    }
    assert actual == expected


def test_cancellation_with_utc_offset_counts_on_its_utc_date(movements):
    april = customer_rows(movements, "c16")["2024-04-01"]
    assert april["movement"] == "churn"
    assert april["churn_type"] == "voluntary", (
        "canceled_at 2024-05-01T01:00:00+02:00 is 2024-04-30 23:00 UTC, on or before month_end(April)"
    )


def test_customers_never_active_have_no_movement_rows(movements):
    customers = {r["customer_id"] for r in movements}
    assert "c14" not in customers, "c14's trial never converted: never active"
    assert "c15" not in customers, "c15 bought one_time lines only: never active"


def test_invoice_issued_after_as_of_date_is_ignored(movements):
    june = customer_rows(movements, "c01")["2024-06-01"]  # inv_c01_08 issued 2024-07-20 back-dates a 75 line
    assert money(june["mrr"]) == pytest.approx(50, abs=1e-6), june
    assert june["movement"] == "unchanged"


def test_arr_is_twelve_times_the_rounded_mrr(monthly):
    january = next(r for r in monthly if as_month(r["month"]) == "2024-01-01")
    assert money(january["mrr"]) == pytest.approx(913.333333, abs=1e-6)
    assert money(january["arr"]) == pytest.approx(10959.999996, abs=1e-6)


def test_negative_churn_month_is_flagged(monthly):
    flags = {as_month(r["month"]): as_flag(r["is_negative_churn"]) for r in monthly}
    assert flags == {
        "2024-01-01": None,  # opening MRR 0: the net rate is null
        "2024-02-01": False,
        "2024-03-01": False,
        "2024-04-01": False,
        "2024-05-01": False,
        "2024-06-01": True,  # c06's add-on expansion, no churn or contraction
    }


def test_every_dbt_unit_test_of_the_project_runs_and_passes_in_this_build(hand_worked_build):
    """The job leaves dbt's unit tests out (build.SKIP_UNIT_TESTS): this build is where DuckDB runs each of them."""
    target = hand_worked_build.db_path.parent / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    declared = set(manifest["unit_tests"])
    passed = {result["unique_id"] for result in results
              if result["unique_id"].startswith("unit_test.") and result["status"] == "pass"}
    assert len(declared) > 30 and passed == declared, sorted(declared ^ passed)
