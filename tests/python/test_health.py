"""Customer health: the fitted risk model and its AUC on their own, then the whole build on generated data.

The build test is the issue's "done means": on generated sample data the backtest's mean ROC AUC over its
last 12 month ends is at least 0.75 and the high tier churns at least 3 times as often as the low tier.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from churn_warehouse.generator import generate
from churn_warehouse.health import (
    ACTIVITY_TERMS,
    INTERCEPT,
    SIGNALS,
    days_to_refit,
    design_matrix,
    fit_logistic,
    fit_logistic_by_snapshot,
    model_terms,
    roc_auc,
)

# --- the ranking measure ---------------------------------------------------------------------------------


def brute_force_auc(scores: list[float], churned: list[bool]) -> float:
    """Every (churner, non-churner) pair: 1 when the churner scores higher, 1/2 on a tie."""
    pairs = [
        1.0 if s_pos > s_neg else 0.5 if s_pos == s_neg else 0.0
        for (s_pos, y_pos), (s_neg, y_neg) in itertools.product(zip(scores, churned), repeat=2)
        if y_pos and not y_neg
    ]
    return sum(pairs) / len(pairs)


def test_auc_counts_a_tied_churner_and_non_churner_as_one_half():
    assert roc_auc([0.9, 0.5, 0.5, 0.1], [True, True, False, False]) == pytest.approx(0.875)


def test_auc_of_one_constant_score_is_one_half_and_of_a_perfect_ranking_is_one():
    assert roc_auc([0.3] * 6, [True, False, True, False, False, False]) == pytest.approx(0.5)
    assert roc_auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == pytest.approx(1.0)


def test_auc_agrees_with_counting_every_pair_on_random_tied_scores():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, 60).astype(float).tolist()
    churned = (rng.random(60) < 0.3).tolist()
    assert roc_auc(scores, churned) == pytest.approx(brute_force_auc(scores, churned))


def test_auc_is_none_without_churners_or_without_non_churners():
    assert roc_auc([0.1, 0.2], [False, False]) is None
    assert roc_auc([0.1, 0.2], [True, True]) is None


# --- the logistic model --------------------------------------------------------------------------------


def simulated_rows(n: int, seed: int, intercept: float, coefficients: dict[str, float]) -> pd.DataFrame:
    """Rows with random signals and activity whose churn follows a known logistic model."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({name: rng.random(n) < 0.25 for name in SIGNALS})
    rows["activity_last_30d"] = rng.poisson(rng.gamma(2.0, 5.0, n))
    rows["activity_prev_30d"] = rng.poisson(rng.gamma(2.0, 5.0, n))
    linear = np.full(n, intercept)
    for term, coefficient in coefficients.items():
        linear += coefficient * design_matrix(rows, [term])[:, 0]
    rows["churned"] = rng.random(n) < 1 / (1 + np.exp(-linear))
    return rows


def test_fit_recovers_the_coefficients_the_data_were_drawn_from():
    truth = {"inactive": 2.0, "payment_failing": 1.0, "email_disengaged": 0.5, "log_activity_last_30d": -0.8}
    rows = simulated_rows(60_000, 1, -1.0, truth)
    terms = model_terms(use_activity=True)
    beta = fit_logistic(design_matrix(rows, terms), rows["churned"].to_numpy(), l2=0.0)
    fitted = dict(zip([INTERCEPT, *terms], beta))
    assert fitted[INTERCEPT] == pytest.approx(-1.0, abs=0.12)
    for term in terms:
        assert fitted[term] == pytest.approx(truth.get(term, 0.0), abs=0.1), term


def test_a_signal_that_lowers_churn_in_the_data_gets_coefficient_zero_when_signals_must_not_lower_risk():
    rows = simulated_rows(20_000, 2, -1.0, {"inactive": 1.5, "usage_drop": -1.0})
    terms = list(SIGNALS)
    features = design_matrix(rows, terms)
    free = dict(zip([INTERCEPT, *terms], fit_logistic(features, rows["churned"].to_numpy(), l2=1.0)))
    bounded = dict(zip([INTERCEPT, *terms], fit_logistic(
        features, rows["churned"].to_numpy(), l2=1.0, nonnegative=[True] * len(terms))))
    assert free["usage_drop"] < -0.5
    assert bounded["usage_drop"] == 0.0
    assert bounded["inactive"] > 1.0
    assert all(bounded[term] >= 0.0 for term in terms)


def test_aggregated_rows_with_counts_fit_the_same_as_the_rows_themselves():
    rows = simulated_rows(5_000, 4, -1.5, {"detractor": 1.0, "survey_silence": 0.7})
    features = design_matrix(rows, list(SIGNALS)).astype(int)
    churned = rows["churned"].to_numpy()
    frame = pd.DataFrame(features).assign(churned=churned.astype(int))
    grouped = frame.groupby(list(frame.columns)).size().reset_index(name="rows")
    one_by_one = fit_logistic(features, churned, l2=1.0)
    counted = fit_logistic(
        grouped.drop(columns=["churned", "rows"]).to_numpy(), grouped["churned"].to_numpy(), grouped["rows"].to_numpy(),
        l2=1.0,
    )
    np.testing.assert_allclose(one_by_one, counted, atol=1e-6)


def test_each_snapshot_is_fitted_only_on_outcomes_known_by_that_day():
    rows = simulated_rows(6_000, 5, -1.0, {"inactive": 2.0})
    rows["outcome_known_on"] = pd.to_datetime(np.where(np.arange(len(rows)) % 2 == 0, "2024-03-31", "2024-06-30"))
    days = pd.DataFrame({"snapshot_date": pd.to_datetime(["2024-01-31", "2024-04-30", "2024-06-30"])})
    fits = fit_logistic_by_snapshot(rows, days, use_activity=False, l2=1.0, min_churned=10)
    # Rewriting the outcomes that become known only on June 30 must not move the April fit, and must move June's.
    later = rows["outcome_known_on"] > "2024-04-30"
    rewritten = rows.assign(churned=np.where(later, ~rows["churned"], rows["churned"]))
    refits = fit_logistic_by_snapshot(rewritten, days, use_activity=False, l2=1.0, min_churned=10)
    april, june = pd.Timestamp("2024-04-30"), pd.Timestamp("2024-06-30")
    assert set(fits["snapshot_date"]) == {april, june}, "January knows no outcome yet: no fit"
    assert (fits.loc[fits["snapshot_date"] == april, "training_rows"] == (rows.index % 2 == 0).sum()).all()
    def coefficients(frame: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
        return frame.loc[frame["snapshot_date"] == day, "coefficient"].to_numpy()

    np.testing.assert_allclose(coefficients(fits, april), coefficients(refits, april))
    assert not np.allclose(coefficients(fits, june), coefficients(refits, june))


def test_an_incremental_run_refits_only_its_window_from_the_kept_fit_and_equals_fitting_every_day():
    # Outcomes become known on four month ends; the held table is what a run as of 2024-05-31 wrote, so with a
    # lookback of 3 days a run as of 2024-07-01 replaces the days from 2024-05-28 on (2024-05-31's fit, now
    # gone as a snapshot day, and the new days) and starts the first from the fit of 2024-04-30, the latest kept.
    rows = simulated_rows(9_000, 8, -1.0, {"inactive": 1.2, "detractor": 0.6})
    rows["outcome_known_on"] = pd.to_datetime(
        np.array(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"])[np.arange(len(rows)) % 4])
    month_ends = ["2024-02-29", "2024-03-31", "2024-04-30"]
    held = fit_logistic_by_snapshot(rows, pd.DataFrame({"snapshot_date": pd.to_datetime([*month_ends, "2024-05-31"])}))
    days = pd.DataFrame({"snapshot_date": pd.to_datetime([*month_ends, "2024-06-30", "2024-07-01"])})
    refit_days, start = days_to_refit(held, days, lookback_days=3, use_activity=True)
    assert refit_days["snapshot_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-06-30", "2024-07-01"]
    april = held[held["snapshot_date"] == pd.Timestamp("2024-04-30")].sort_values("term_order")
    np.testing.assert_array_equal(start, april["coefficient"].to_numpy())
    kept = held[held["snapshot_date"] < pd.Timestamp("2024-05-28")]
    incremental = pd.concat([kept, fit_logistic_by_snapshot(rows, refit_days, start=start)], ignore_index=True)
    pd.testing.assert_frame_equal(incremental, fit_logistic_by_snapshot(rows, days))
    # Without the kept fit the new days start from the share of churners and end a little elsewhere.
    cold = fit_logistic_by_snapshot(rows, refit_days)
    assert not np.array_equal(cold["coefficient"].to_numpy(), incremental["coefficient"].tail(len(cold)).to_numpy())


def test_an_incremental_run_refuses_held_fits_of_other_terms_and_refits_everything_from_an_empty_table():
    rows = simulated_rows(3_000, 9, -1.0, {"inactive": 1.0})
    rows["outcome_known_on"] = pd.Timestamp("2024-01-31")
    days = pd.DataFrame({"snapshot_date": pd.to_datetime(["2024-02-29", "2024-03-31"])})
    held = fit_logistic_by_snapshot(rows, days, use_activity=False)
    with pytest.raises(ValueError, match="int_health_logistic_fits holds the terms .* --full-refresh"):
        days_to_refit(held, days.assign(snapshot_date=pd.to_datetime(["2024-03-31", "2024-04-30"])),
                      lookback_days=3, use_activity=True)
    refit_days, start = days_to_refit(held.head(0), days, lookback_days=3, use_activity=False)
    assert refit_days.equals(days) and start is None


def test_patterns_with_counts_give_exactly_the_fits_of_the_rows_they_count():
    # int_health_training_patterns hands the model each distinct pattern once with customer_snapshots, its count.
    rows = simulated_rows(8_000, 7, -1.0, {"inactive": 1.5, "log_activity_prev_30d": 0.3})
    rows["activity_last_30d"] = rows["activity_last_30d"] % 4
    rows["activity_prev_30d"] = rows["activity_prev_30d"] % 3
    rows[list(SIGNALS[4:])] = False
    rows["outcome_known_on"] = pd.to_datetime(np.where(np.arange(len(rows)) % 3 == 0, "2024-03-31", "2024-06-30"))
    days = pd.DataFrame({"snapshot_date": pd.to_datetime(["2024-04-30", "2024-06-30"])})
    patterns = rows.groupby(list(rows.columns)).size().reset_index(name="customer_snapshots")
    assert len(patterns) < len(rows) / 4
    for use_activity in (True, False):
        from_rows = fit_logistic_by_snapshot(rows, days, use_activity=use_activity)
        from_patterns = fit_logistic_by_snapshot(patterns.sample(frac=1, random_state=1), days, use_activity=use_activity)
        pd.testing.assert_frame_equal(from_rows, from_patterns)


def test_fits_list_the_intercept_then_the_signals_then_the_activity_terms():
    rows = simulated_rows(3_000, 6, -1.0, {"inactive": 1.0})
    rows["outcome_known_on"] = pd.Timestamp("2024-01-31")
    fits = fit_logistic_by_snapshot(rows, pd.DataFrame({"snapshot_date": [pd.Timestamp("2024-02-29")]}))
    assert fits.sort_values("term_order")["term"].tolist() == [INTERCEPT, *SIGNALS, *ACTIVITY_TERMS]


def test_no_training_rows_give_an_empty_table_that_the_warehouse_still_types():
    empty = fit_logistic_by_snapshot(pd.DataFrame(), pd.DataFrame({"snapshot_date": [pd.Timestamp("2024-01-31")]}))
    assert empty.empty
    assert list(empty.columns) == [
        "snapshot_date", "term", "term_order", "coefficient", "training_rows", "training_churned"
    ]
    types = [str(column_type) for column_type in duckdb.sql("select * from empty").types]
    assert types == ["TIMESTAMP", "VARCHAR", "BIGINT", "DOUBLE", "BIGINT", "BIGINT"]


# --- the whole build on generated data ------------------------------------------------------------------

END_DATE = date(2026, 11, 20)


@pytest.fixture(scope="module")
def health_build(build_warehouse, tmp_path_factory):
    raw = tmp_path_factory.mktemp("health_raw")
    generate(raw, customers=2000, months=36, seed=42, end_date=END_DATE)
    outcome = build_warehouse(raw)
    assert outcome.ok, outcome.output[-5000:]
    return outcome


def last_twelve_backtest_months(build) -> pd.DataFrame:
    rows = build.query("select * from marts.health_backtest order by month_end desc limit 12")
    assert len(rows) == 12
    return pd.DataFrame(rows)


def test_risk_score_ranks_churners_first_with_mean_auc_of_at_least_075_over_the_last_12_month_ends(health_build):
    backtest = last_twelve_backtest_months(health_build)
    assert backtest["roc_auc"].mean() >= 0.75


def test_high_tier_churns_at_least_three_times_as_often_as_the_low_tier(health_build):
    backtest = last_twelve_backtest_months(health_build)
    high = backtest["high_tier_churned"].sum() / backtest["high_tier_customers"].sum()
    low = backtest["low_tier_churned"].sum() / backtest["low_tier_customers"].sum()
    assert high >= 3 * low


def test_the_kept_score_ranks_at_least_as_well_as_the_weighted_score(health_build):
    backtest = last_twelve_backtest_months(health_build)
    assert (backtest["risk_model"] == "logistic").all()
    assert backtest["roc_auc"].mean() >= backtest["roc_auc_weighted"].mean()


def test_backtest_auc_agrees_with_the_auc_computed_from_the_history_and_the_outcomes(health_build):
    rows = pd.DataFrame(health_build.query(
        """
        select history.month_end, history.risk_score, outcomes.churned
        from marts.customer_health_history as history
        inner join intermediate.int_customer_health_outcomes as outcomes
            on history.customer_id = outcomes.customer_id and history.month_end = outcomes.snapshot_date
        """
    ))
    backtest = pd.DataFrame(health_build.query(
        "select month_end, customers_scored, customers_churned, roc_auc from marts.health_backtest"
    ))
    for _, day in backtest.iterrows():
        scored = rows[rows["month_end"] == day["month_end"]]
        assert len(scored) == day["customers_scored"]
        assert scored["churned"].sum() == day["customers_churned"]
        assert day["roc_auc"] == pytest.approx(roc_auc(scored["risk_score"], scored["churned"]), abs=1e-9)


def test_month_end_snapshots_use_the_same_mrr_as_the_monthly_marts(health_build):
    differences = health_build.query(
        """
        select count(*) as rows
        from marts.customer_health_history as history
        full outer join (select * from marts.mrr_movements where mrr > 0) as movements
            on history.customer_id = movements.customer_id and history.month = movements.month
        where history.current_mrr is distinct from movements.mrr
        """
    )
    assert differences == [{"rows": 0}]


def test_every_fit_used_only_outcomes_known_by_its_day(health_build):
    mismatches = health_build.query(
        """
        with fits as (
            select distinct cast(snapshot_date as date) as snapshot_date, training_rows
            from intermediate.int_health_logistic_fits
        ),
        known as (
            select fits.snapshot_date, count(outcomes.customer_id) as rows_known
            from fits
            left join intermediate.int_customer_health_outcomes as outcomes
                on outcomes.outcome_known_on <= fits.snapshot_date
            group by fits.snapshot_date
        )
        select fits.snapshot_date
        from fits inner join known on fits.snapshot_date = known.snapshot_date
        where fits.training_rows != known.rows_known
        """
    )
    assert mismatches == []
    fitted_days = health_build.query(
        "select count(distinct snapshot_date) as days from intermediate.int_health_logistic_fits"
    )
    assert fitted_days[0]["days"] > 20


def test_the_at_risk_list_holds_every_customer_paying_on_the_as_of_date_once(health_build):
    rows = health_build.query(
        """
        select count(*) as customers, count(distinct customer_id) as distinct_customers,
            min(as_of_date) as first_day, max(as_of_date) as last_day
        from marts.customer_health
        """
    )
    assert rows[0]["customers"] == rows[0]["distinct_customers"] > 0
    assert rows[0]["first_day"] == rows[0]["last_day"] == END_DATE


def test_signals_text_lists_exactly_the_signals_that_fire_in_the_fixed_order(health_build):
    rows = health_build.query(
        f"select {', '.join(SIGNALS)}, signals from marts.customer_health_history"
    )
    for row in rows:
        assert row["signals"] == ", ".join(name for name in SIGNALS if row[name])


def test_alerts_are_customers_high_now_and_not_high_at_the_previous_month_end(health_build):
    expected = health_build.query(
        """
        select today.customer_id
        from marts.customer_health as today
        left join marts.customer_health_history as previous
            on today.customer_id = previous.customer_id
            and previous.month_end = (select max(month_end) from marts.customer_health_history)
        where today.risk_tier = 'high' and coalesce(previous.risk_tier, '') != 'high'
        order by 1
        """
    )
    alerts = health_build.query("select customer_id from marts.health_alerts order by 1")
    assert alerts == expected and len(alerts) > 0


# The signals of docs/metrics.md, written the slow and literal way (one correlated lookup per customer and day), for
# the last two month ends, the month end a year before the last and the as-of date: the windows over periods must
# give exactly the same.
LITERAL_SIGNALS_SQL = """
with snapshots as (
    select customer_id, month_end as snapshot_date, days_since_last_activity, activity_last_30d, activity_prev_30d,
        inactive, usage_drop, spend_decline, survey_silence, detractor, complaints_rising, payment_failing,
        email_disengaged
    from marts.customer_health_history
    where month_end >= (select max(month_end) - interval 40 day from marts.customer_health_history)
        or month = (select max(month) - interval 12 month from marts.customer_health_history)
    union all
    select customer_id, as_of_date, days_since_last_activity, activity_last_30d, activity_prev_30d,
        inactive, usage_drop, spend_decline, survey_silence, detractor, complaints_rising, payment_failing,
        email_disengaged
    from marts.customer_health
),
events as (
    select event_id, customer_id, event_name, occurred_at, cast(occurred_at as date) as day,
        substr(event_name, 1, 6) != 'email_' as is_activity
    from staging.stg_events
),
charges as (
    select i.customer_id, p.attempted_at, p.status
    from staging.stg_payments p join staging.stg_invoices i using (invoice_id)
    where p.payment_type = 'charge'
),
literal as (
    select s.*,
        s.snapshot_date - coalesce(
            (select max(e.day) from events e
                where e.customer_id = s.customer_id and e.is_activity and e.day <= s.snapshot_date),
            (select cast(c.created_at as date) from staging.stg_customers c where c.customer_id = s.customer_id)
        ) as literal_days_since,
        (select count(*) from events e where e.customer_id = s.customer_id and e.is_activity
            and e.day > s.snapshot_date - 30 and e.day <= s.snapshot_date) as literal_last_30d,
        (select count(*) from events e where e.customer_id = s.customer_id and e.is_activity
            and e.day > s.snapshot_date - 60 and e.day <= s.snapshot_date - 30) as literal_prev_30d,
        (select count(*) from events e where e.customer_id = s.customer_id and e.event_name = 'email_sent'
            and e.day <= s.snapshot_date) as literal_emails,
        (select e.occurred_at from events e where e.customer_id = s.customer_id and e.event_name = 'email_sent'
            and e.day <= s.snapshot_date
            order by e.occurred_at desc, e.event_id desc limit 1 offset 4) as fifth_sent_at,
        (select count(*) from staging.stg_survey_responses r where r.customer_id = s.customer_id
            and cast(r.sent_at as date) <= s.snapshot_date) as literal_surveys,
        (select count(*) from (
            select r.responded_at from staging.stg_survey_responses r
            where r.customer_id = s.customer_id and cast(r.sent_at as date) <= s.snapshot_date
            order by r.sent_at desc, r.response_id desc limit 2) last_two
         where cast(last_two.responded_at as date) <= s.snapshot_date) as last_two_answered,
        (select r.score from staging.stg_survey_responses r
            where r.customer_id = s.customer_id and r.survey_type = 'nps'
            and cast(r.responded_at as date) <= s.snapshot_date
            order by r.responded_at desc, r.response_id desc limit 1) as latest_nps,
        (select r.score from staging.stg_survey_responses r
            where r.customer_id = s.customer_id and r.survey_type = 'csat'
            and cast(r.responded_at as date) <= s.snapshot_date
            order by r.responded_at desc, r.response_id desc limit 1) as latest_csat,
        (select count(*) from staging.stg_support_tickets t where t.customer_id = s.customer_id and t.is_complaint
            and cast(t.opened_at as date) > s.snapshot_date - 30
            and cast(t.opened_at as date) <= s.snapshot_date) as c_last,
        (select count(*) from staging.stg_support_tickets t where t.customer_id = s.customer_id and t.is_complaint
            and cast(t.opened_at as date) > s.snapshot_date - 60
            and cast(t.opened_at as date) <= s.snapshot_date - 30) as c_prev,
        (select count(*) from staging.stg_support_tickets t where t.customer_id = s.customer_id and t.is_complaint
            and cast(t.opened_at as date) < s.snapshot_date - 7
            and (t.resolved_at is null or cast(t.resolved_at as date) > s.snapshot_date)) as c_old_open,
        (select count(*) from charges f where f.customer_id = s.customer_id and f.status = 'failed'
            and cast(f.attempted_at as date) > s.snapshot_date - 30 and cast(f.attempted_at as date) <= s.snapshot_date
            and not exists (select 1 from charges g where g.customer_id = s.customer_id and g.status = 'succeeded'
                and g.attempted_at > f.attempted_at and cast(g.attempted_at as date) <= s.snapshot_date)) as failing,
        (select coalesce(sum(o.amount), 0) from intermediate.int_one_off_lines_converted o
            where o.customer_id = s.customer_id
            and o.purchase_date > s.snapshot_date - 90 and o.purchase_date <= s.snapshot_date) as spend_last,
        (select coalesce(sum(o.amount), 0) from intermediate.int_one_off_lines_converted o
            where o.customer_id = s.customer_id
            and o.purchase_date > s.snapshot_date - 180 and o.purchase_date <= s.snapshot_date - 90) as spend_prev,
        (select m.mrr < m.three_months_before_mrr from intermediate.int_customer_mrr_on_snapshot_dates m
            where m.customer_id = s.customer_id and m.snapshot_date = s.snapshot_date) as mrr_down
    from snapshots s
)
select *,
    literal_days_since >= 30 as literal_inactive,
    literal_prev_30d >= 5 and 100 * literal_last_30d <= 80 * literal_prev_30d as literal_usage_drop,
    mrr_down or (spend_prev > 0 and spend_last < 0.5 * spend_prev) as literal_spend_decline,
    literal_surveys >= 2 and last_two_answered = 0 as literal_survey_silence,
    coalesce(latest_nps <= 6, false) or coalesce(latest_csat <= 2, false) as literal_detractor,
    (c_last >= 2 and c_last > c_prev) or c_old_open > 0 as literal_complaints_rising,
    failing > 0 as literal_payment_failing,
    literal_emails >= 5 and not exists (
        select 1 from events e where e.customer_id = literal.customer_id
            and e.event_name in ('email_opened', 'email_clicked')
            and e.occurred_at >= literal.fifth_sent_at and e.day <= literal.snapshot_date
    ) as literal_email_disengaged
from literal
"""


def test_signals_and_windows_agree_with_the_literal_definitions_of_metrics_md(health_build):
    rows = pd.DataFrame(health_build.query(LITERAL_SIGNALS_SQL))
    assert rows["snapshot_date"].nunique() == 4 and len(rows) > 1000
    pairs = [
        ("days_since_last_activity", "literal_days_since"),
        ("activity_last_30d", "literal_last_30d"),
        ("activity_prev_30d", "literal_prev_30d"),
        *[(name, f"literal_{name}") for name in SIGNALS],
    ]
    for built, literal in pairs:
        differ = rows[rows[built].astype("int64") != rows[literal].astype("int64")]
        assert differ.empty, f"{built}: {len(differ)} rows differ, e.g. {differ.head(3).to_dict('records')}"
    # Every signal fires for someone on these days, so the comparison means something.
    for name in SIGNALS:
        assert rows[name].any(), name


# Every column of int_customer_health_windows for every customer and snapshot day, counted straight from the days
# (no periods, no running totals): the running totals looked up on probe days must give exactly the same.
WINDOWS_FROM_DAYS_SQL = """
with active as (
    select customer_id, snapshot_date from intermediate.int_customer_mrr_on_snapshot_dates
),
events as (
    select customer_id, event_name, occurred_at, cast(occurred_at as date) as day,
        substr(event_name, 1, 6) != 'email_' as is_activity
    from staging.stg_events
),
activity as (
    select a.customer_id, a.snapshot_date,
        max(case when e.is_activity then e.day end) as last_activity_date,
        count(*) filter (where e.is_activity and e.day > a.snapshot_date - 30) as activity_last_30d,
        count(*) filter (where e.is_activity and e.day > a.snapshot_date - 60 and e.day <= a.snapshot_date - 30)
            as activity_prev_30d,
        count(*) filter (where e.event_name = 'email_sent') as emails_sent_to_date,
        max(case when e.event_name in ('email_opened', 'email_clicked') then e.occurred_at end)
            as last_email_engaged_at
    from active a join events e on e.customer_id = a.customer_id and e.day <= a.snapshot_date
    group by all
),
account as (
    select a.customer_id, a.snapshot_date,
        sum(d.complaints_opened) filter (where d.activity_date > a.snapshot_date - 30) as complaints_last_30d,
        sum(d.complaints_opened) filter (
            where d.activity_date > a.snapshot_date - 60 and d.activity_date <= a.snapshot_date - 30
        ) as complaints_prev_30d,
        sum(d.old_unresolved_change) as old_unresolved_complaints,
        max(d.last_failed_charge_at) as last_failed_charge_at,
        max(d.last_succeeded_charge_at) as last_succeeded_charge_at,
        sum(d.one_off_spend) filter (where d.activity_date > a.snapshot_date - 90) as one_off_spend_last_90d,
        sum(d.one_off_spend) filter (
            where d.activity_date > a.snapshot_date - 180 and d.activity_date <= a.snapshot_date - 90
        ) as one_off_spend_prev_90d,
        sum(d.surveys_sent) as surveys_sent_to_date,
        sum(d.nps_answers) as nps_answers_to_date,
        sum(d.csat_answers) as csat_answers_to_date
    from active a join intermediate.int_customer_health_daily d
        on d.customer_id = a.customer_id and d.activity_date <= a.snapshot_date
    group by all
)
select a.customer_id, a.snapshot_date, v.last_activity_date,
    coalesce(v.activity_last_30d, 0) as activity_last_30d, coalesce(v.activity_prev_30d, 0) as activity_prev_30d,
    coalesce(v.emails_sent_to_date, 0) as emails_sent_to_date, v.last_email_engaged_at,
    coalesce(c.complaints_last_30d, 0) as complaints_last_30d, coalesce(c.complaints_prev_30d, 0) as complaints_prev_30d,
    coalesce(c.old_unresolved_complaints, 0) as old_unresolved_complaints,
    c.last_failed_charge_at, c.last_succeeded_charge_at,
    round(coalesce(c.one_off_spend_last_90d, 0), 6) as one_off_spend_last_90d,
    round(coalesce(c.one_off_spend_prev_90d, 0), 6) as one_off_spend_prev_90d,
    coalesce(c.surveys_sent_to_date, 0) as surveys_sent_to_date,
    coalesce(c.nps_answers_to_date, 0) as nps_answers_to_date,
    coalesce(c.csat_answers_to_date, 0) as csat_answers_to_date
from active a
left join activity v using (customer_id, snapshot_date)
left join account c using (customer_id, snapshot_date)
"""


def test_every_window_of_every_snapshot_equals_the_count_straight_from_the_days(health_build):
    columns = (
        "customer_id, snapshot_date, last_activity_date, activity_last_30d, activity_prev_30d, emails_sent_to_date,"
        " last_email_engaged_at, complaints_last_30d, complaints_prev_30d, old_unresolved_complaints,"
        " last_failed_charge_at, last_succeeded_charge_at, one_off_spend_last_90d, one_off_spend_prev_90d,"
        " surveys_sent_to_date, nps_answers_to_date, csat_answers_to_date"
    )
    built = f"select {columns} from intermediate.int_customer_health_windows"
    counted = f"select {columns} from ({WINDOWS_FROM_DAYS_SQL})"
    only_built = health_build.query(f"{built} except all {counted}")
    only_counted = health_build.query(f"{counted} except all {built}")
    assert only_built == [] and only_counted == [], (only_built[:3], only_counted[:3])
    sizes = health_build.query(
        "select count(*) as snapshots, count(*) filter (where activity_prev_30d > 0 and complaints_last_30d > 0"
        " and one_off_spend_prev_90d > 0) as busy from intermediate.int_customer_health_windows"
    )[0]
    # Thousands of customer-days, some with every kind of window filled, so the comparison means something.
    assert sizes["snapshots"] > 10000 and sizes["busy"] > 0, sizes


def test_health_windows_never_join_a_customer_snapshot_to_the_customers_whole_history(health_build):
    # Every operator of the windows model (EXPLAIN ANALYZE of its compiled SQL on the built file) handles at most
    # twice as many rows as its inputs hold: joining each customer-snapshot to all the customer's earlier periods
    # made about 5 times as many at 36 months, and more with every month of history.
    compiled = health_build.db_path.parent / "target" / "compiled" / "churn_warehouse" / "models" / "intermediate"
    sql = (compiled / "health" / "int_customer_health_windows.sql").read_text()
    with duckdb.connect(str(health_build.db_path), read_only=True) as connection:
        plan = connection.execute(f"explain analyze {sql}").fetchall()[0][1]
    largest = max(int(rows.replace(",", "")) for rows in re.findall(r"([\d,]+) rows", plan))
    inputs = sum(
        health_build.query(f"select count(*) as n from intermediate.{name}")[0]["n"]
        for name in ("int_customer_activity_periods", "int_customer_health_daily", "int_customer_mrr_on_snapshot_dates")
    )
    assert inputs > 10000 and largest <= 2 * inputs, (largest, inputs)


def test_fits_from_the_training_patterns_equal_fits_on_every_customer_month_end(health_build):
    with duckdb.connect(str(health_build.db_path), read_only=True) as connection:
        rows = connection.sql(
            "select * from intermediate.int_customer_health_signals"
            " inner join intermediate.int_customer_health_outcomes using (customer_id, snapshot_date)"
        ).df()
        days = connection.sql("select * from intermediate.int_health_snapshot_dates").df()
        patterns = connection.sql("select * from intermediate.int_health_training_patterns").df()
        built = connection.sql("select * from intermediate.int_health_logistic_fits order by snapshot_date, term_order").df()
    # The model reads 13 columns, one row per distinct pattern (at 100,000 customers about 1 in 6 of the rows).
    assert len(patterns.columns) == 13 and len(patterns) < len(rows)
    assert patterns["customer_snapshots"].sum() == len(rows)
    expected = fit_logistic_by_snapshot(rows, days, use_activity=True, l2=1.0, min_churned=10)
    assert len(built) > 100
    pd.testing.assert_frame_equal(built, expected, check_dtype=False)
