"""The retention marts agree with a recount in Python of the customer-level marts, on generated sample data.

The project is built once on a small generated data set with non-default CLTV vars; every figure of
cohort_retention (overall), reactivation_monthly and cltv_monthly is then recomputed here from
mrr_movements, mrr_monthly and the staged exchange rates, following docs/metrics.md, and compared.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import SAMPLE_VARS

CLTV_VARS = {name: SAMPLE_VARS[name] for name in ("gross_margin", "cltv_churn_window")}
REPORTING_CURRENCY = "USD"
MONEY_TOLERANCE = Decimal("0.000001")


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after `month` (a first day of month)."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def close(actual: Any, expected: Any, tolerance: float = 1e-9) -> bool:
    """Both null, or both numbers within `tolerance` (absolute, and relative for large values)."""
    if actual is None or expected is None:
        return actual is None and expected is None
    return abs(float(actual) - float(expected)) <= tolerance * max(1.0, abs(float(expected)))


@pytest.fixture(scope="module")
def build(sample_warehouse):
    """The session's generated sample (conftest.SAMPLE_*), built with CLTV_VARS among its vars."""
    return sample_warehouse


@pytest.fixture(scope="module")
def movements(build) -> list[dict[str, Any]]:
    return build.query("select customer_id, month, mrr, movement from marts.mrr_movements order by customer_id, month")


@pytest.fixture(scope="module")
def months(build) -> list[date]:
    return [row["month"] for row in build.query("select month from marts.mrr_monthly order by month")]


@pytest.fixture(scope="module")
def mrr_by_customer(movements) -> dict[str, dict[date, Decimal]]:
    """Each customer's MRR per month, from their first active month on."""
    table: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in movements:
        table[row["customer_id"]][row["month"]] = row["mrr"]
    return table


def first_active_months(mrr_by_customer: dict[str, dict[date, Decimal]]) -> dict[str, date]:
    return {customer: min(m for m, mrr in months.items() if mrr > 0) for customer, months in mrr_by_customer.items()}


def test_overall_cohort_rows_match_a_recount_of_customer_months(build, mrr_by_customer, months):
    cohorts = first_active_months(mrr_by_customer)
    expected: dict[tuple[date, int], list] = {}
    for customer, cohort_month in cohorts.items():
        for age, month in enumerate(m for m in months if m >= cohort_month):
            mrr = mrr_by_customer[customer].get(month, Decimal(0))
            totals = expected.setdefault((cohort_month, age), [0, 0, Decimal(0)])
            totals[0] += 1
            totals[1] += int(mrr > 0)
            totals[2] += mrr
    rows = build.query(
        "select cohort_month, months_since_start, cohort_customers, retained_customers, logo_retention, mrr"
        " from marts.cohort_retention where dimension = 'all'"
    )
    assert {(row["cohort_month"], row["months_since_start"]) for row in rows} == set(expected)
    for row in rows:
        customers, retained, mrr = expected[(row["cohort_month"], row["months_since_start"])]
        assert (row["cohort_customers"], row["retained_customers"], row["mrr"]) == (customers, retained, mrr), row
        assert close(row["logo_retention"], retained / customers), row
    assert any(row["logo_retention"] < 1 for row in rows), "the sample should lose some customers"


def test_age_zero_has_logo_and_revenue_retention_one_in_every_dimension_value(build):
    rows = build.query(
        "select dimension, logo_retention, revenue_retention from marts.cohort_retention where months_since_start = 0"
    )
    assert {row["dimension"] for row in rows} == {"all", "segment", "country", "acquisition_channel", "plan_interval"}
    assert all(row["logo_retention"] == 1 and close(row["revenue_retention"], 1, 1e-12) for row in rows)


def test_single_currency_cohort_starting_mrr_moves_only_with_the_exchange_rate(build):
    """A country whose customers all pay one currency: starting MRR at age a = age-0 value x rate(k+a) / rate(k)."""
    country_currencies = build.query(
        "select coalesce(customers.country, 'unknown') as country, min(invoices.currency) as currency"
        " from staging.stg_invoices as invoices"
        " inner join staging.stg_customers as customers on invoices.customer_id = customers.customer_id"
        " group by 1 having count(distinct invoices.currency) = 1"
    )
    currency_of = {row["country"]: row["currency"] for row in country_currencies}
    rates: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for row in build.query("select currency, rate_date, rate_to_reporting from staging.stg_exchange_rates order by 2"):
        rates[row["currency"]].append((row["rate_date"], float(row["rate_to_reporting"])))

    def rate(currency: str, day: date) -> float:
        if currency == REPORTING_CURRENCY:
            return 1.0
        series = rates[currency]
        return series[bisect.bisect_right([d for d, _ in series], day) - 1][1]

    rows = build.query(
        "select dimension_value as country, cohort_month, months_since_start, cohort_customers, cohort_starting_mrr"
        " from marts.cohort_retention where dimension = 'country'"
    )
    at_age_zero = {
        (r["country"], r["cohort_month"]): r["cohort_starting_mrr"] for r in rows if r["months_since_start"] == 0
    }
    checked_currencies = set()
    for row in rows:
        currency = currency_of.get(row["country"])
        if currency is None:
            continue
        k = row["cohort_month"]
        measured = month_end(add_months(k, row["months_since_start"]))
        expected = float(at_age_zero[(row["country"], k)]) * rate(currency, measured) / rate(currency, month_end(k))
        # each customer's part is rounded to 6 decimals, at age 0 and at age a
        assert abs(float(row["cohort_starting_mrr"]) - expected) <= 2e-6 * row["cohort_customers"] + 1e-9, row
        checked_currencies.add(currency)
    assert REPORTING_CURRENCY in checked_currencies and len(checked_currencies) >= 2, checked_currencies


def test_former_and_reactivated_customers_match_a_recount(build, mrr_by_customer, months):
    cohorts = first_active_months(mrr_by_customer)
    rows = build.query("select * from marts.reactivation_monthly order by month")
    assert [row["month"] for row in rows] == months
    reactivations_seen = 0
    for row in rows:
        month, last_month = row["month"], add_months(row["month"], -1)
        former = sum(
            1
            for customer, cohort_month in cohorts.items()
            if cohort_month < last_month and mrr_by_customer[customer][last_month] == 0
        )
        back = [
            customer
            for customer, history in mrr_by_customer.items()
            if history.get(month, 0) > 0 and cohorts[customer] < last_month and history[last_month] == 0
        ]
        assert row["former_customers"] == former, row
        assert row["reactivated_customers"] == len(back), row
        assert row["reactivation_mrr"] == sum((mrr_by_customer[c][month] for c in back), Decimal(0)), row
        assert close(row["reactivation_rate"], len(back) / former if former else None), row
        reactivations_seen += len(back)
    assert reactivations_seen > 0, "the sample should have reactivations"


def test_win_back_shares_match_a_recount_and_stay_null_until_their_window_is_complete(build, movements, months):
    churns: dict[date, list[str]] = defaultdict(list)
    reactivations: dict[str, list[date]] = defaultdict(list)
    for row in movements:
        if row["movement"] == "churn":
            churns[row["month"]].append(row["customer_id"])
        elif row["movement"] == "reactivation":
            reactivations[row["customer_id"]].append(row["month"])
    last_month = months[-1]
    rows = build.query("select * from marts.reactivation_monthly order by month")
    non_null = 0
    for row in rows:
        month, churned = row["month"], churns[row["month"]]
        assert row["churned_customers"] == len(churned), row
        for n in (3, 6, 12):
            if add_months(month, n) > last_month or not churned:
                expected = None
            else:
                won_back = sum(
                    1 for c in churned if any(month < r <= add_months(month, n) for r in reactivations[c])
                )
                expected = won_back / len(churned)
                non_null += 1
            assert close(row[f"win_back_{n}m"], expected), (n, row)
    assert all(row["win_back_3m"] is None for row in rows[-3:])
    assert non_null > 0 and any((row["win_back_12m"] or 0) > 0 for row in rows)


def test_simple_cltv_follows_the_gross_margin_and_window_vars(build):
    window, margin = CLTV_VARS["cltv_churn_window"], CLTV_VARS["gross_margin"]
    figures = build.query(
        "select 'all' as dimension, 'all' as dimension_value, month, mrr, active_customers, customer_churn_rate"
        " from marts.mrr_monthly"
        " union all"
        " select dimension, dimension_value, month, mrr, active_customers, customer_churn_rate"
        " from marts.mrr_monthly_by_dimension where dimension = 'segment'"
        " order by 1, 2, 3"
    )
    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in figures:
        series[(row["dimension"], row["dimension_value"])].append(row)
    cltv = {
        (row["dimension"], row["dimension_value"], row["month"]): row
        for row in build.query("select * from marts.cltv_monthly")
    }
    assert len(cltv) == len(figures)
    values = 0
    for key, rows in series.items():
        for i, row in enumerate(rows):
            rates = [r["customer_churn_rate"] for r in rows[max(0, i - window + 1): i + 1]]
            avg = sum(rates) / window if len(rates) == window and None not in rates else None
            arpa = float(row["mrr"]) / row["active_customers"] if row["active_customers"] else None
            expected = arpa * margin / avg if arpa is not None and avg else None
            actual = cltv[(*key, row["month"])]
            assert actual["gross_margin"] == margin
            assert close(actual["avg_customer_churn_rate"], avg, 1e-12), actual
            assert close(actual["arpa"], arpa, 1e-6), actual
            assert close(actual["cltv_simple"], expected, 1e-6), (actual, expected)
            values += expected is not None
    assert values > 0
