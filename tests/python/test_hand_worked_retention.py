"""The cohort retention, reactivation and simple CLTV marts must reproduce the figures worked out by hand.

The expected rows (tests/fixtures/hand_worked/expected_cohort_retention.csv,
expected_reactivation_monthly.csv, expected_cltv_monthly.csv) were worked out from docs/metrics.md
("Cohort retention", "Reactivation", "Customer lifetime value", "Conventions"), not from the
warehouse; the section "Cohort retention, reactivation and simple CLTV" of the fixture's README.md
explains every number.
"""

from __future__ import annotations

from typing import Any, Iterable

import duckdb
import pytest
from hand_worked import (
    Check,
    Row,
    as_month,
    as_number,
    as_text,
    compare_rows,
    fail_with,
    key_of,
    numbers_match,
    read_expected,
)

MONEY_TOLERANCE = 1e-6  # money is held to 6 decimals
RATE_TOLERANCE = 1e-12

COHORT_DIMENSIONS = ("all", "segment", "country", "acquisition_channel", "plan_interval")
COHORT_KEY = ("cohort_month", "months_since_start", "dimension", "dimension_value")
REACTIVATION_KEY = ("month",)
CLTV_KEY = ("month", "dimension", "dimension_value")

# ---------------------------------------------------------------- helpers


def money_matches(expected: Any, actual: Any) -> bool:
    return numbers_match(expected, actual, MONEY_TOLERANCE)


def rate_matches(expected: Any, actual: Any) -> bool:
    return numbers_match(expected, actual, RATE_TOLERANCE)


def count_matches(expected: Any, actual: Any) -> bool:
    """Counts compare exactly; a null count never matches."""
    got = as_number(actual)
    return got is not None and got == int(expected)


def checks_for(money: Iterable[str] = (), rates: Iterable[str] = (), counts: Iterable[str] = ()) -> dict[str, Check]:
    checks: dict[str, Check] = {column: money_matches for column in money}
    checks.update({column: rate_matches for column in rates})
    checks.update({column: count_matches for column in counts})
    return checks


COHORT_CHECKS = checks_for(
    money=("cohort_starting_mrr", "mrr"),
    rates=("logo_retention", "revenue_retention"),
    counts=("cohort_customers", "retained_customers"),
)
REACTIVATION_CHECKS = checks_for(
    money=("reactivation_mrr",),
    rates=("reactivation_rate", "win_back_3m", "win_back_6m", "win_back_12m"),
    counts=("former_customers", "reactivated_customers", "churned_customers"),
)
CLTV_CHECKS = checks_for(
    money=("arpa", "cltv_simple"),
    rates=("avg_customer_churn_rate", "gross_margin"),
)


def read_mart(build, sql: str, mart: str) -> list[Row]:
    """Rows of a mart; a clear failure (not an error trace) when the mart does not exist."""
    try:
        return build.query(sql)
    except duckdb.CatalogException as error:
        pytest.fail(f"{mart} is not in the built warehouse: {error}", pytrace=False)


def pick(rows: list[Row], **where: str) -> list[Row]:
    """Rows whose columns equal the given text values (months compared as 'YYYY-MM-DD')."""
    return [r for r in rows if all(key_of(r, (column,)) == (value,) for column, value in where.items())]


def by_age(rows: list[Row], column: str) -> list[float | None]:
    return [as_number(r[column]) for r in sorted(rows, key=lambda r: int(r["months_since_start"]))]


# --------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hand_worked_build(hand_worked_warehouse):
    """The whole project built once on the hand-worked raw files (the session's, shared with other modules)."""
    return hand_worked_warehouse


@pytest.fixture(scope="module")
def cohort_rows(hand_worked_build) -> list[Row]:
    return read_mart(
        hand_worked_build,
        "select * from marts.cohort_retention order by dimension, dimension_value, cohort_month, months_since_start",
        "marts.cohort_retention",
    )


@pytest.fixture(scope="module")
def reactivation_rows(hand_worked_build) -> list[Row]:
    return read_mart(
        hand_worked_build, "select * from marts.reactivation_monthly order by month", "marts.reactivation_monthly"
    )


@pytest.fixture(scope="module")
def cltv_rows(hand_worked_build) -> list[Row]:
    return read_mart(
        hand_worked_build,
        "select * from marts.cltv_monthly order by dimension, dimension_value, month",
        "marts.cltv_monthly",
    )


# ------------------------------------------------------ whole-mart checks


@pytest.mark.parametrize("dimension", COHORT_DIMENSIONS)
def test_cohort_retention_matches_hand_worked_rows(cohort_rows, dimension):
    expected = [r for r in read_expected("expected_cohort_retention.csv") if r["dimension"] == dimension]
    actual = [r for r in cohort_rows if r["dimension"] == dimension]
    fail_with(
        compare_rows(expected, actual, COHORT_KEY, COHORT_CHECKS),
        f"marts.cohort_retention (dimension {dimension!r}) vs expected_cohort_retention.csv",
    )


def test_cohort_retention_has_exactly_the_five_dimensions(cohort_rows):
    dimensions = sorted({as_text(r["dimension"]) for r in cohort_rows})
    assert dimensions == sorted(COHORT_DIMENSIONS)


def test_reactivation_monthly_matches_hand_worked_rows(reactivation_rows):
    fail_with(
        compare_rows(
            read_expected("expected_reactivation_monthly.csv"), reactivation_rows, REACTIVATION_KEY, REACTIVATION_CHECKS
        ),
        "marts.reactivation_monthly vs expected_reactivation_monthly.csv",
    )


def test_cltv_monthly_matches_hand_worked_rows(cltv_rows):
    fail_with(
        compare_rows(read_expected("expected_cltv_monthly.csv"), cltv_rows, CLTV_KEY, CLTV_CHECKS),
        "marts.cltv_monthly vs expected_cltv_monthly.csv",
    )


# ----------------------------------------------------- focused behaviours


def test_cohorts_are_first_active_months_with_every_complete_age(cohort_rows):
    overall = pick(cohort_rows, dimension="all")
    ages = {(as_month(r["cohort_month"]), int(r["months_since_start"])) for r in overall}
    # January's twelve customers are seen at ages 0-5, February's four at 0-4 (June is the last complete month);
    # no customer is first active from March on, so there is no later cohort.
    assert ages == {("2024-01-01", a) for a in range(6)} | {("2024-02-01", a) for a in range(5)}


def test_age_zero_retains_everyone_and_all_first_month_revenue(cohort_rows):
    problems = [
        f"{r['dimension']}={r['dimension_value']} cohort {as_month(r['cohort_month'])}: {r}"
        for r in cohort_rows
        if int(r["months_since_start"]) == 0
        and not (
            count_matches(r["cohort_customers"], r["retained_customers"])
            and rate_matches(1, r["logo_retention"])
            and rate_matches(1, r["revenue_retention"])
            and money_matches(r["cohort_starting_mrr"], r["mrr"])
        )
    ]
    fail_with(problems, "age-0 rows must have logo and revenue retention 1")


def test_eur_customer_starting_mrr_is_revalued_at_each_later_month_end(cohort_rows):
    # c12 alone (country DE): 100 EUR a month; EUR month-end rates 1.10, 1.08, 1.12, 1.05, 1.09, 1.07.
    germany = pick(cohort_rows, dimension="country", dimension_value="DE", cohort_month="2024-01-01")
    assert by_age(germany, "cohort_starting_mrr") == pytest.approx([110, 108, 112, 105, 109, 107], abs=1e-6)
    assert by_age(germany, "revenue_retention") == pytest.approx([1] * 6, abs=1e-12), (
        "a price that never changes in EUR must not move the revenue curve"
    )


def test_starting_mrr_keeps_first_month_local_amounts_so_expansion_shows(cohort_rows):
    # c13 alone (country IE): 50 EUR + 40 GBP in February, GBP line raised to 60 from April.
    ireland = pick(cohort_rows, dimension="country", dimension_value="IE", cohort_month="2024-02-01")
    month_end_rates = [(1.08, 1.27), (1.12, 1.26), (1.05, 1.24), (1.09, 1.28), (1.07, 1.30)]  # EUR, GBP
    assert by_age(ireland, "cohort_starting_mrr") == pytest.approx(
        [50 * eur + 40 * gbp for eur, gbp in month_end_rates], abs=1e-6
    ), "the starting MRR keeps February's 40 GBP, not April's 60"
    assert by_age(ireland, "revenue_retention")[2] == pytest.approx(126.9 / 102.1, abs=1e-12)


def test_reactivated_customer_counts_as_retained_again(cohort_rows):
    # c10 alone (country AU): a void March invoice leaves March at 0, back from April.
    australia = pick(cohort_rows, dimension="country", dimension_value="AU", cohort_month="2024-01-01")
    assert by_age(australia, "retained_customers") == [1, 1, 0, 1, 1, 1]


def test_former_customers_are_those_gone_since_before_last_month(reactivation_rows):
    former = {as_month(r["month"]): as_number(r["former_customers"]) for r in reactivation_rows}
    # March: c17, c18 (gone in February); April: c10, c11, c17, c18; May: c07, c09, c11, c16, c17, c18;
    # June: c07, c08, c09, c16, c18.
    assert former == {
        "2024-01-01": 0, "2024-02-01": 0, "2024-03-01": 2, "2024-04-01": 4, "2024-05-01": 6, "2024-06-01": 5,
    }


def test_win_back_is_null_until_its_window_is_complete(reactivation_rows):
    win_back = {
        as_month(r["month"]): (r["win_back_3m"], r["win_back_6m"], r["win_back_12m"]) for r in reactivation_rows
    }
    # February's churners: c17 came back in May (February + 3: inside the window), c18 in June (February + 4:
    # outside it); February + 3 = May is complete, February + 6 = August is not.
    assert as_number(win_back["2024-02-01"][0]) == pytest.approx(0.5, abs=1e-12)
    assert win_back["2024-02-01"][1:] == (None, None)
    # March's churners c10 and c11 came back in April and May; March + 3 = June is complete, March + 6 is not.
    assert as_number(win_back["2024-03-01"][0]) == pytest.approx(1, abs=1e-12)
    assert win_back["2024-03-01"][1:] == (None, None)
    # April's three churners: April + 3 = July is not complete.
    assert win_back["2024-04-01"] == (None, None, None)


def test_cltv_is_null_while_the_churn_window_reaches_before_the_first_month(cltv_rows):
    overall = {as_month(r["month"]): r for r in pick(cltv_rows, dimension="all")}
    for month in ("2024-01-01", "2024-02-01", "2024-03-01"):
        assert overall[month]["avg_customer_churn_rate"] is None, overall[month]
        assert overall[month]["cltv_simple"] is None, overall[month]
    assert as_number(overall["2024-04-01"]["avg_customer_churn_rate"]) == pytest.approx(47 / 252, abs=1e-12)


def test_cltv_is_null_when_average_churn_is_zero(cltv_rows):
    enterprise = {as_month(r["month"]): r for r in pick(cltv_rows, dimension="segment", dimension_value="enterprise")}
    for month in ("2024-04-01", "2024-05-01", "2024-06-01"):  # c05 and c13 never churn
        assert as_number(enterprise[month]["avg_customer_churn_rate"]) == 0, enterprise[month]
        assert enterprise[month]["cltv_simple"] is None, enterprise[month]
