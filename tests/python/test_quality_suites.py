"""The quality suites on small synthetic data, without dbt: bounds, frames, GX results, messages, the run table."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from churn_warehouse.quality.bounds import robust_bounds, trailing_median_and_mad
from churn_warehouse.quality.contract import load_raw_contract
from churn_warehouse.quality.mart_suites import mart_suites
from churn_warehouse.quality.raw_frames import RawInputs
from churn_warehouse.quality.raw_suites import raw_suites
from churn_warehouse.quality.run_log import DATA_QUALITY_RUNS_COLUMNS, read_runs, append_run, write_runs_table
from churn_warehouse.quality.runner import QualityProject
from churn_warehouse.quality.settings import QualitySettings

HAND_WORKED_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "hand_worked" / "raw"
SETTINGS = QualitySettings()


# ------------------------------------------------------------------------------------ helpers


def run_raw(tmp_path: Path, raw: Path, raw_format: str, as_of: str | None):
    project = QualityProject(tmp_path / "work", SETTINGS)

    def plan():
        inputs = RawInputs(raw, raw_format, as_of, SETTINGS)
        try:
            return raw_suites(inputs)
        finally:
            inputs.close()

    return project, project.run_stage("raw", plan)


def run_marts(tmp_path: Path, db_path: Path):
    project = QualityProject(tmp_path / "work", SETTINGS)
    plans = []

    def plan():
        plans.append(mart_suites(db_path, SETTINGS))
        return plans[0].suites

    return project.run_stage("marts", plan), plans[0]


def hand_worked_as_parquet(tmp_path: Path, retype: dict[tuple[str, str], str] | None = None) -> Path:
    """The hand-worked raw tables as typed Parquet; `retype` replaces chosen columns by a SQL expression."""
    out = tmp_path / "parquet"
    out.mkdir(parents=True)
    contract = load_raw_contract()
    types = {"text": "varchar", "timestamp": "timestamptz", "date": "date", "integer": "bigint",
             "decimal": "decimal(18, 2)", "boolean": "boolean"}
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for csv_file in HAND_WORKED_RAW.glob("*.csv"):
            table = csv_file.stem
            columns = ", ".join(
                f"{(retype or {}).get((table, column), f'cast({column} as {types[kind]})')} as {column}"
                for column, kind in contract[table].columns
                if column not in contract[table].optional_columns  # the fixture leaves them out
            )
            connection.execute(
                f"copy (select {columns} from read_csv('{csv_file}', header = true, all_varchar = true)) "
                f"to '{out / table}.parquet' (format parquet)"
            )
    return out


def failures(report, severity: str) -> list[str]:
    return [f.message() for f in report.failures if f.severity == severity]


# ------------------------------------------------------------------------------------ bounds and contract


def test_robust_bounds_are_median_plus_minus_k_mad_sd_with_a_floor():
    bounds = robust_bounds(np.array([10, 11, 9, 10, 50, np.nan]), k=3, sd_floor=0.1)
    assert bounds.median == 10 and bounds.history_size == 5
    assert bounds.sd == pytest.approx(1.4826)
    assert (bounds.low, bounds.high) == pytest.approx((10 - 3 * 1.4826, 10 + 3 * 1.4826))
    assert robust_bounds(np.array([5.0, 5.0, 5.0]), k=2, sd_floor=0.5).sd == 0.5


def test_trailing_window_excludes_the_day_itself():
    medians, mads = trailing_median_and_mad(np.array([1, 2, 3, 100, 5]), window=3)
    assert np.isnan(medians[:3]).all()
    assert medians[3] == 2 and mads[3] == 1  # days 0..2, not day 3's 100
    assert medians[4] == 3  # days 1..3


def test_raw_contract_is_read_from_the_dbt_macro():
    contract = load_raw_contract()
    assert list(contract) == ["customers", "plans", "subscriptions", "invoices", "invoice_lines", "payments",
                              "exchange_rates", "events", "survey_responses", "support_tickets"]
    assert contract["customers"].required and not contract["plans"].required
    assert contract["exchange_rates"].key == ("rate_date", "currency")
    assert contract["invoice_lines"].contract_type("amount") == "decimal"


# ------------------------------------------------------------------------------------ raw suites


def test_hand_worked_csv_passes_with_warnings_for_absent_optional_tables(tmp_path):
    project, report = run_raw(tmp_path, HAND_WORKED_RAW, "csv", "2024-07-10")
    assert report.passed, failures(report, "blocking") or report.error
    absent = [f for f in report.warnings if f.rule == "an optional raw table is present"]
    assert absent and absent[0].table == "survey_responses, support_tickets"
    assert project.data_docs_index.exists()


def test_missing_required_table_blocks_naming_it(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(HAND_WORKED_RAW, raw)
    (raw / "invoices.csv").unlink()
    _, report = run_raw(tmp_path, raw, "csv", "2024-07-10")
    assert not report.passed
    assert any(f.table == "invoices" and f.rule == "a required raw table is present" for f in report.blocking_failures)


def test_parquet_types_text_in_a_numeric_column_warns_and_an_unfit_type_blocks(tmp_path):
    as_text = hand_worked_as_parquet(tmp_path / "text", {("payments", "amount"): "amount"})
    _, report = run_raw(tmp_path / "text", as_text, "parquet", "2024-07-10")
    assert report.passed
    warned = [f for f in report.warnings if f.suite == "raw_columns"]
    assert len(warned) == 1 and warned[0].table == "payments" and warned[0].column == "amount"
    assert "stored_type=VARCHAR" in warned[0].message()

    as_date = hand_worked_as_parquet(tmp_path / "date", {("payments", "amount"): "date '2024-01-01'"})
    _, report = run_raw(tmp_path / "date", as_date, "parquet", "2024-07-10")
    blocked = [f for f in report.blocking_failures if f.suite == "raw_columns"]
    assert len(blocked) == 1 and (blocked[0].table, blocked[0].column) == ("payments", "amount")
    assert "stored_type=DATE" in blocked[0].message()


def steady_events(raw: Path, days: int, per_day: int, gap: tuple[int, int] | None = None,
                  no_user_from: int | None = None) -> None:
    """Minimal required tables: one customer, one invoice a month, `per_day` events a day (none in `gap`,
    without user_id from day `no_user_from` on)."""
    raw.mkdir(parents=True)
    start = date(2024, 1, 1)
    rows = []
    for day in range(days):
        if gap and gap[0] <= day < gap[1]:
            continue
        moment = datetime.combine(start + timedelta(days=day), datetime.min.time())
        user = "" if no_user_from is not None and day >= no_user_from else "u1"
        rows += [f"e{day}_{i},c1,{user},login,{(moment + timedelta(minutes=i)).isoformat()}Z," for i in range(per_day)]
    (raw / "events.csv").write_text("event_id,customer_id,user_id,event_name,occurred_at,properties\n"
                                    + "\n".join(rows) + "\n")
    (raw / "customers.csv").write_text("customer_id,created_at,country,segment,acquisition_channel\n"
                                       "c1,2024-01-01T00:00:00Z,US,smb,organic\n")
    (raw / "subscriptions.csv").write_text(
        "subscription_id,customer_id,plan_id,status,trial_start_at,trial_end_at,started_at,canceled_at,cancel_reason\n"
        "s1,c1,p1,active,,,2024-01-01T00:00:00Z,,\n")
    invoices = ["invoice_id,customer_id,subscription_id,issued_at,currency,status"]
    lines = ["line_id,invoice_id,line_type,plan_id,quantity,amount,period_start,period_end,interval_months"]
    payments = ["payment_id,invoice_id,attempted_at,amount,currency,payment_type,status,failure_reason"]
    for month in range(1, days // 30 + 1):
        issued = date(2024, 1, 1) + timedelta(days=30 * (month - 1))
        invoices.append(f"i{month},c1,s1,{issued}T00:00:00Z,USD,paid")
        lines.append(f"l{month},i{month},subscription,p1,1,50.00,{issued},{issued + timedelta(days=30)},1")
        payments.append(f"y{month},i{month},{issued}T00:05:00Z,50.00,USD,charge,succeeded,")
    for name, content in (("invoices", invoices), ("invoice_lines", lines), ("payments", payments)):
        (raw / f"{name}.csv").write_text("\n".join(content) + "\n")


def test_a_stretch_of_days_without_events_blocks_and_names_the_days(tmp_path):
    steady_events(tmp_path / "steady", days=150, per_day=40)
    _, report = run_raw(tmp_path / "a", tmp_path / "steady", "csv", "2024-05-29")
    assert not [f for f in report.failures if f.suite == "raw_volume"], report.failures

    steady_events(tmp_path / "gapped", days=150, per_day=40, gap=(100, 110))
    _, report = run_raw(tmp_path / "b", tmp_path / "gapped", "csv", "2024-05-29")
    drops = [f for f in report.blocking_failures if f.suite == "raw_volume"]
    assert len(drops) == 1 and (drops[0].table, drops[0].column) == ("events", "occurred_at")
    assert "period_start=2024-04-10 row_count=0" in drops[0].message()  # day 100 of 2024


def test_the_as_of_day_still_in_progress_is_not_judged_and_is_once_complete(tmp_path):
    steady_events(tmp_path / "raw", days=150, per_day=40, gap=(149, 150))  # nothing yet on 2024-05-29
    _, report = run_raw(tmp_path / "a", tmp_path / "raw", "csv", "2024-05-29")
    assert not [f for f in report.failures if f.suite == "raw_volume"], report.failures

    _, report = run_raw(tmp_path / "b", tmp_path / "raw", "csv", "2024-05-30")  # now 2024-05-29 is complete
    drops = [f for f in report.blocking_failures if f.suite == "raw_volume"]
    assert len(drops) == 1 and "period_start=2024-05-29 row_count=0" in drops[0].message()


def test_a_jump_in_the_share_of_null_user_ids_warns_without_blocking(tmp_path):
    steady_events(tmp_path / "raw", days=240, per_day=10, no_user_from=200)
    _, report = run_raw(tmp_path, tmp_path / "raw", "csv", "2024-08-27")
    assert report.passed, [f.message() for f in report.blocking_failures]
    jumps = [f for f in report.warnings if f.suite == "raw_profile_events"]
    assert len(jumps) == 1 and (jumps[0].table, jumps[0].column) == ("events", "user_id")
    assert "null_share__user_id=1 month=2024-08-01" in jumps[0].message()


# ------------------------------------------------------------------------------------ mart suites


def fake_marts(db_path: Path, mrr: list[float], reactivation_rate: float) -> None:
    with duckdb.connect(str(db_path)) as connection:
        connection.execute("create schema marts")
        months = [date(2024, 1, 1) + timedelta(days=31 * i) for i in range(len(mrr))]
        connection.execute("create table marts.mrr_monthly (month date, mrr decimal(28, 6), nrr double, grr double, "
                           "customer_churn_rate double)")
        connection.executemany("insert into marts.mrr_monthly values (?, ?, 1.0, 0.98, 0.02)",
                               [[m.replace(day=1), value] for m, value in zip(months, mrr)])
        connection.execute("create table marts.reactivation_monthly (month date, reactivation_rate double, "
                           "win_back_3m double, reactivated_customers bigint)")
        connection.execute("insert into marts.reactivation_monthly values ('2024-05-01', ?, 0.5, 3)",
                           [reactivation_rate])


def test_bounded_figures_and_the_mrr_band_block_and_unbuilt_figures_are_listed(tmp_path):
    good = tmp_path / "good.duckdb"
    fake_marts(good, [100, 104, 108, 112, 117, 121, 126, 131, 136], reactivation_rate=0.2)
    report, plan = run_marts(tmp_path / "good", good)
    assert report.passed, [f.message() for f in report.failures]
    assert {"p_alive", "risk_score", "csat", "logo_retention"} <= set(plan.missing_figures)
    assert "win_back_*" not in plan.missing_figures

    bad = tmp_path / "bad.duckdb"
    fake_marts(bad, [100, 104, 108, 112, 117, 121, 126, 60, 136], reactivation_rate=1.25)
    report, _ = run_marts(tmp_path / "bad", bad)
    messages = {(f.table, f.column): f.message() for f in report.blocking_failures}
    assert set(messages) == {("marts.reactivation_monthly", "reactivation_rate"), ("marts.mrr_monthly", "mrr")}
    assert "reactivation_rate=1.25 month=2024-05-01" in messages[("marts.reactivation_monthly", "reactivation_rate")]
    assert "mrr_change=-0.5238 month=2024-08-01 mrr=60 previous_mrr=126" in messages[("marts.mrr_monthly", "mrr")]


# ------------------------------------------------------------------------------------ run log and table


def test_data_quality_runs_table_has_the_documented_schema_and_one_row_per_run_and_step(tmp_path):
    record = {
        "run_id": "r1", "started_at": "2025-01-01T10:00:00+00:00", "finished_at": "2025-01-01T10:01:00+00:00",
        "outcome": "blocked_by_raw_validation", "published": False,
        "suites": [{"stage": "raw", "suite": "raw_tables", "status": "failed", "evaluated": 4,
                    "blocking_failures": 1, "warnings": 0}],
        "failed_expectations": [{"suite": "raw_tables", "severity": "blocking", "table": "invoices",
                                 "column": "(whole table)", "rule": "a required raw table is present"}],
        "dbt": {"ran": False, "ok": False, "error": None},
    }
    log = tmp_path / "data_quality_runs.jsonl"
    append_run(log, record)
    log.open("a").write("not json\n")
    append_run(log, {**record, "run_id": "r2", "outcome": "published", "published": True,
                     "suites": [], "failed_expectations": [], "dbt": {"ran": True, "ok": True, "error": None}})
    runs = read_runs(log)
    assert [run["run_id"] for run in runs] == ["r1", "r2"]

    db_path = tmp_path / "warehouse.duckdb"
    assert write_runs_table(db_path, runs) == 3
    with duckdb.connect(str(db_path), read_only=True) as connection:
        columns = connection.execute(
            "select column_name, lower(data_type) from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'data_quality_runs' order by ordinal_position"
        ).fetchall()
        rows = connection.execute(
            "select run_id, stage, suite_name, suite_status, failed_expectations from marts.data_quality_runs "
            "order by run_id, stage"
        ).fetchall()
    assert columns == [(name, data_type) for name, data_type, _ in DATA_QUALITY_RUNS_COLUMNS]
    assert rows == [
        ("r1", "dbt", "dbt_build", "not_run", None),
        ("r1", "raw", "raw_tables", "failed", "blocking invoices.(whole table): a required raw table is present"),
        ("r2", "dbt", "dbt_build", "passed", None),
    ]
    assert json.loads(log.read_text().splitlines()[0])["run_id"] == "r1"
