"""Bad-input catalogue: each case mutates a small valid base and runs the main job (`build_and_publish`).

The base is a generated sample (500 customers, 12 months, no injected bad rows) written as CSV, built and
published once. Every case copies that published warehouse, breaks the raw data in one way and runs
validate raw → dbt build → validate marts → publish into its own paths. The cases that publish with the MRR
marts unchanged and touch different rows share one run (`batch`): their mutations are applied together, and
that run must quarantine exactly the sum of what each expects and name each case's defect (a full build costs
about 20 s; thirteen cases run as one). Expected outcomes:

- `published`: the build completes, the bad rows are quarantined with the expected reasons and counts and
  a warning names them; the published marts change only by those rows (the MRR marts are identical to the
  base's when the case only added rows).
- a stop (`blocked_by_raw_validation`, `dbt_build_failed`, `blocked_by_mart_validation`): one line of the
  output names the table, the column and the rule; the published file is byte for byte what it was.

In every case where dbt ran, marts.raw_row_accounting accounts for every raw row (raw rows = staged +
quarantined + collapsed, and raw rows = the rows in the file). The cases run in two worker processes; each
worker reuses one raw path and one target directory so that dbt can parse the project only once. dbt unit
tests are left out of these builds (`--exclude-resource-type unit_test`): they read no raw data, and the
hand-worked tests run them.
"""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import duckdb
import pytest

END_DATE = date(2025, 6, 20)
AS_OF = END_DATE.isoformat()
DBT_ARGS = ["--exclude-resource-type", "unit_test"]
FIGURE_MARTS = ("mrr_monthly", "mrr_movements", "customers")
TABLES = ("customers", "plans", "subscriptions", "invoices", "invoice_lines", "payments", "exchange_rates",
          "events", "survey_responses", "support_tickets")

Expected = dict[tuple[str, str], int]


# ------------------------------------------------------------------------------------ CSV helpers


def read_table(raw: Path, table: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(raw / f"{table}.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_table(raw: Path, table: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(raw / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def append_rows(raw: Path, table: str, *rows: dict[str, str]) -> None:
    header, existing = read_table(raw, table)
    write_table(raw, table, header, existing + [{column: row.get(column, "") for column in header} for row in rows])


def first_subscription_line(raw: Path) -> dict[str, str]:
    """A subscription line of a paid invoice in the reporting currency, to copy from."""
    _, invoices = read_table(raw, "invoices")
    usd_paid = {row["invoice_id"] for row in invoices if row["currency"] == "USD" and row["status"] == "paid"}
    _, lines = read_table(raw, "invoice_lines")
    return next(line for line in lines if line["line_type"] == "subscription" and line["invoice_id"] in usd_paid)


def month_of(text: str) -> str:
    return text[:7]


# ------------------------------------------------------------------------------------ mutations
# Each mutation breaks the raw files in place and returns the quarantine it expects: {(table, reason): rows}.


def duplicate_customer_id(raw: Path) -> Expected:
    """Two different rows share a customer_id: both are quarantined, and every row that referenced it is an orphan."""
    header, customers = read_table(raw, "customers")
    _, subscriptions = read_table(raw, "subscriptions")
    _, invoices = read_table(raw, "invoices")
    _, lines = read_table(raw, "invoice_lines")
    _, payments = read_table(raw, "payments")
    # The customer with the fewest referencing rows, so that no table's quarantined share passes 1 %.
    referencing: dict[str, int] = {}
    for table in ("subscriptions", "invoices", "events", "survey_responses", "support_tickets"):
        for row in read_table(raw, table)[1]:
            referencing[row["customer_id"]] = referencing.get(row["customer_id"], 0) + 1
    billed = {row["customer_id"] for row in invoices}
    victim = min((c for c in customers if c["customer_id"] in billed),
                 key=lambda c: (referencing.get(c["customer_id"], 0), c["customer_id"]))
    key = victim["customer_id"]
    twin = {**victim, "segment": "enterprise" if victim["segment"] != "enterprise" else "smb"}
    write_table(raw, "customers", header, customers + [twin])
    victim_invoices = {row["invoice_id"] for row in invoices if row["customer_id"] == key}
    expected: Expected = {
        ("customers", "duplicate_key"): 2,
        ("subscriptions", "orphan_customer"): sum(row["customer_id"] == key for row in subscriptions),
        ("invoices", "orphan_customer"): len(victim_invoices),
        ("invoice_lines", "orphan_invoice"): sum(row["invoice_id"] in victim_invoices for row in lines),
        ("payments", "orphan_invoice"): sum(row["invoice_id"] in victim_invoices for row in payments),
    }
    for table in ("events", "survey_responses", "support_tickets"):
        _, rows = read_table(raw, table)
        expected[(table, "orphan_customer")] = sum(row["customer_id"] == key for row in rows)
    return {k: v for k, v in expected.items() if v}


def null_payment_key(raw: Path) -> Expected:
    _, payments = read_table(raw, "payments")
    append_rows(raw, "payments", {**payments[0], "payment_id": ""})
    return {("payments", "null_key"): 1}


def orphan_invoice(raw: Path) -> Expected:
    """An invoice of a customer that does not exist, with a line and a payment."""
    append_rows(raw, "invoices", {"invoice_id": "INORPHAN1", "customer_id": "C9999999", "subscription_id": "",
                                  "issued_at": "2025-03-03 10:00:00", "currency": "USD", "status": "paid"})
    append_rows(raw, "invoice_lines", {"line_id": "LIORPHAN1", "invoice_id": "INORPHAN1", "line_type": "one_time",
                                       "quantity": "1", "amount": "99.00"})
    append_rows(raw, "payments", {"payment_id": "PYORPHAN1", "invoice_id": "INORPHAN1",
                                  "attempted_at": "2025-03-03 10:05:00", "amount": "99.00", "currency": "USD",
                                  "payment_type": "charge", "status": "succeeded"})
    return {("invoices", "orphan_customer"): 1, ("invoice_lines", "orphan_invoice"): 1,
            ("payments", "orphan_invoice"): 1}


def line_with_bad_period(raw: Path) -> Expected:
    line = first_subscription_line(raw)
    append_rows(raw, "invoice_lines", {**line, "line_id": "LIBADPERIOD", "period_end": line["period_start"]})
    return {("invoice_lines", "bad_period"): 1}


def negative_subscription_amount(raw: Path) -> Expected:
    line = first_subscription_line(raw)
    append_rows(raw, "invoice_lines", {**line, "line_id": "LINEGATIVE", "amount": "-49.00"})
    return {("invoice_lines", "negative_amount"): 1}


def unknown_currency(raw: Path) -> Expected:
    _, customers = read_table(raw, "customers")
    append_rows(raw, "invoices", {"invoice_id": "INXYZ", "customer_id": customers[0]["customer_id"],
                                  "subscription_id": "", "issued_at": "2025-03-03 10:00:00", "currency": "XYZ",
                                  "status": "paid"})
    append_rows(raw, "invoice_lines", {"line_id": "LIXYZ", "invoice_id": "INXYZ", "line_type": "one_time",
                                       "quantity": "1", "amount": "10.00"})
    return {("invoices", "unknown_currency"): 1, ("invoice_lines", "unknown_currency"): 1}


def exchange_rate_gap(raw: Path) -> Expected:
    """No EUR rate from 2025-01-05 to 2025-02-20: the January month end has no rate within max_rate_age_days."""
    header, rates = read_table(raw, "exchange_rates")
    kept = [r for r in rates if not (r["currency"] == "EUR" and "2025-01-05" <= r["rate_date"] <= "2025-02-20")]
    assert len(kept) < len(rates), "the base has no EUR rates in the gap"
    write_table(raw, "exchange_rates", header, kept)
    return {}


def survey_score(survey_type: str, score: str) -> Callable[[Path], Expected]:
    def mutate(raw: Path) -> Expected:
        _, customers = read_table(raw, "customers")
        append_rows(raw, "survey_responses", {
            "response_id": f"SRBAD{survey_type}", "customer_id": customers[0]["customer_id"],
            "survey_type": survey_type, "sent_at": "2025-04-01 09:00:00", "responded_at": "2025-04-02 09:00:00",
            "score": score,
        })
        return {("survey_responses", "bad_score"): 1}
    return mutate


def future_event(raw: Path) -> Expected:
    _, events = read_table(raw, "events")
    append_rows(raw, "events", {**events[0], "event_id": "EVFUTURE", "occurred_at": "2099-01-01T00:00:00Z"})
    return {("events", "future_timestamp"): 1}


def text_in_numeric_column(raw: Path) -> Expected:
    _, payments = read_table(raw, "payments")
    append_rows(raw, "payments", {**payments[0], "payment_id": "PYTEXT", "amount": "12,50"})
    return {("payments", "bad_type"): 1}


def timestamps_with_offsets(raw: Path) -> Expected:
    """Every issued_at written as the same instant in +02:00: nothing is quarantined and no figure moves."""
    header, invoices = read_table(raw, "invoices")
    plus_two = timezone(timedelta(hours=2))
    for row in invoices:
        instant = datetime.fromisoformat(row["issued_at"]).replace(tzinfo=timezone.utc)
        row["issued_at"] = instant.astimezone(plus_two).isoformat()
    write_table(raw, "invoices", header, invoices)
    return {}


def empty_required_table(raw: Path) -> Expected:
    header, _ = read_table(raw, "payments")
    write_table(raw, "payments", header, [])
    return {}


def remove_table(table: str) -> Callable[[Path], Expected]:
    def mutate(raw: Path) -> Expected:
        (raw / f"{table}.csv").unlink()
        return {}
    return mutate


def empty_file(table: str) -> Callable[[Path], Expected]:
    """`<table>.csv` of 0 bytes: not even a header row."""
    def mutate(raw: Path) -> Expected:
        (raw / f"{table}.csv").write_bytes(b"")
        return {}
    return mutate


def huge_amount(raw: Path) -> Expected:
    """A subscription line whose amount is a valid number beyond what money sums can hold."""
    line = first_subscription_line(raw)
    append_rows(raw, "invoice_lines", {**line, "line_id": "LHUGE1", "amount": "999999999999999999999999999.99"})
    return {("invoice_lines", "out_of_range"): 1}


def canceled_before_started(raw: Path) -> Expected:
    """A subscription canceled a month before it started."""
    _, subscriptions = read_table(raw, "subscriptions")
    append_rows(raw, "subscriptions", {**subscriptions[0], "subscription_id": "SBACKWARDS1",
                                       "started_at": "2025-03-01 00:00:00", "canceled_at": "2025-02-01 00:00:00",
                                       "trial_start_at": "", "trial_end_at": ""})
    return {("subscriptions", "bad_period"): 1}


def month_without_events(raw: Path) -> Expected:
    header, events = read_table(raw, "events")
    write_table(raw, "events", header, [e for e in events if month_of(e["occurred_at"]) != "2025-04"])
    return {}


def missing_column(raw: Path) -> Expected:
    header, lines = read_table(raw, "invoice_lines")
    write_table(raw, "invoice_lines", [c for c in header if c != "amount"],
                [{k: v for k, v in line.items() if k != "amount"} for line in lines])
    return {}


def amounts_in_cents(raw: Path) -> Expected:
    """Subscription lines of May and June invoices written in cents instead of the currency's major unit."""
    _, invoices = read_table(raw, "invoices")
    recent = {row["invoice_id"] for row in invoices if month_of(row["issued_at"]) in ("2025-05", "2025-06")}
    header, lines = read_table(raw, "invoice_lines")
    for line in lines:
        if line["invoice_id"] in recent and line["line_type"] == "subscription":
            line["amount"] = f"{float(line['amount']) * 100:.2f}"
    write_table(raw, "invoice_lines", header, lines)
    return {}


def stale_billing_export(raw: Path) -> Expected:
    """The billing export stopped on 2025-05-10: no invoice, line or payment after it."""
    header, invoices = read_table(raw, "invoices")
    kept = [row for row in invoices if row["issued_at"][:10] <= "2025-05-10"]
    kept_ids = {row["invoice_id"] for row in kept}
    write_table(raw, "invoices", header, kept)
    for table in ("invoice_lines", "payments"):
        header, rows = read_table(raw, table)
        write_table(raw, table, header, [row for row in rows if row["invoice_id"] in kept_ids])
    return {}


def quarantine_share_exceeded(raw: Path) -> Expected:
    """3 % of invoice lines are negative subscription lines: above max_quarantine_share (1 %)."""
    _, lines = read_table(raw, "invoice_lines")
    line = first_subscription_line(raw)
    count = len(lines) * 3 // 100
    append_rows(raw, "invoice_lines", *({**line, "line_id": f"LINEG{i}", "amount": "-10.00"} for i in range(count)))
    return {("invoice_lines", "negative_amount"): count}


def void_month_of_invoices(raw: Path) -> Expected:
    """Every invoice issued in March 2025 voided: March's MRR collapses (billing data lost, not business)."""
    header, invoices = read_table(raw, "invoices")
    for row in invoices:
        if month_of(row["issued_at"]) == "2025-03":
            row["status"] = "void"
    write_table(raw, "invoices", header, invoices)
    return {}


# ------------------------------------------------------------------------------------ the catalogue


@dataclass(frozen=True)
class Case:
    """One row of the catalogue: the defect, the mutation, the expected outcome and what the output must name."""

    id: str
    defect: str
    mutate: Callable[[Path], Expected]
    outcome: str
    names: tuple[str, ...] = ()
    figures_unchanged: bool = True
    cost: int = 2  # 2: full build, 1: dbt stops early, 0: stops before dbt (order of scheduling)
    batch: str = ""  # cases of one batch run together; empty: a run of its own

    @property
    def run_id(self) -> str:
        return self.batch or self.id


PUBLISHED = "published"
RAW_STOP = "blocked_by_raw_validation"
DBT_STOP = "dbt_build_failed"
MART_STOP = "blocked_by_mart_validation"
TOGETHER = "published_together"  # cases that publish with the MRR marts unchanged and touch different rows

CASES = [
    Case("duplicate_ids", "two different customers rows share customer_id", duplicate_customer_id, PUBLISHED,
         ("customers", "duplicate_key"), figures_unchanged=False),
    Case("null_key", "a payment without payment_id", null_payment_key, PUBLISHED, ("payments", "null_key"),
         batch=TOGETHER),
    Case("orphan_invoice", "an invoice (with a line and a payment) of a customer that does not exist",
         orphan_invoice, PUBLISHED, ("invoices", "orphan_customer"), batch=TOGETHER),
    Case("bad_period", "a subscription line with period_end = period_start", line_with_bad_period, PUBLISHED,
         ("invoice_lines", "bad_period"), batch=TOGETHER),
    Case("negative_amount", "a subscription line of -49.00", negative_subscription_amount, PUBLISHED,
         ("invoice_lines", "negative_amount"), batch=TOGETHER),
    Case("unknown_currency", "an invoice in currency XYZ, with a line", unknown_currency, PUBLISHED,
         ("invoices", "unknown_currency"), batch=TOGETHER),
    Case("missing_exchange_rate", "no EUR rate for 47 days around a month end", exchange_rate_gap, DBT_STOP,
         ("exchange_rates", "rate_to_reporting", "max_rate_age_days", "EUR"), cost=1),
    Case("nps_11", "an NPS answer scoring 11", survey_score("nps", "11"), PUBLISHED,
         ("survey_responses", "bad_score"), batch=TOGETHER),
    Case("csat_0", "a CSAT answer scoring 0", survey_score("csat", "0"), PUBLISHED,
         ("survey_responses", "bad_score"), batch=TOGETHER),
    Case("future_timestamp", "an event in 2099", future_event, PUBLISHED, ("events", "future_timestamp"),
         batch=TOGETHER),
    Case("text_in_numeric_column", "a payment amount '12,50'", text_in_numeric_column, PUBLISHED,
         ("payments", "bad_type"), batch=TOGETHER),
    Case("timestamps_with_offsets", "every issued_at written with a +02:00 offset (same instants)",
         timestamps_with_offsets, PUBLISHED, batch=TOGETHER),
    Case("empty_required_table", "payments.csv with a header and no rows", empty_required_table, RAW_STOP,
         ("payments", "(whole table)", "a present required raw table has at least one row"), cost=0),
    Case("missing_optional_table", "no support_tickets.csv", remove_table("support_tickets"), PUBLISHED,
         ("support_tickets", "(whole table)", "an optional raw table is present"), batch=TOGETHER),
    Case("missing_required_table", "no subscriptions.csv", remove_table("subscriptions"), RAW_STOP,
         ("subscriptions", "(whole table)", "a required raw table is present"), cost=0),
    Case("month_without_events", "no event at all in April 2025", month_without_events, RAW_STOP,
         ("events", "occurred_at", "rows per day of events do not drop"), cost=0),
    Case("missing_column", "invoice_lines.csv without the amount column", missing_column, RAW_STOP,
         ("invoice_lines", "amount", "every column of the raw contract is present"), cost=0),
    Case("amounts_in_cents", "May and June subscription lines written in cents", amounts_in_cents, RAW_STOP,
         ("invoice_lines", "amount", "median subscription amount"), cost=0),
    Case("stale_billing_export", "no invoice, line or payment after 2025-05-10", stale_billing_export, RAW_STOP,
         ("invoices", "issued_at", "at most 35 days before the as-of date"), cost=0),
    Case("huge_amount", "a subscription line of 999999999999999999999999999.99", huge_amount, PUBLISHED,
         ("invoice_lines", "out_of_range"), batch=TOGETHER),
    Case("canceled_before_started", "a subscription canceled before it started", canceled_before_started,
         PUBLISHED, ("subscriptions", "bad_period"), batch=TOGETHER),
    Case("zero_byte_optional_table", "support_tickets.csv of 0 bytes", empty_file("support_tickets"), PUBLISHED,
         ("support_tickets", "an optional raw table is present", "0 bytes")),
    Case("zero_byte_required_table", "payments.csv of 0 bytes", empty_file("payments"), RAW_STOP,
         ("payments", "a required raw table is present", "0 bytes"), cost=0),
    Case("quarantine_share_exceeded", "3 % of invoice lines negative", quarantine_share_exceeded, DBT_STOP,
         ("invoice_lines", "amount", "negative_amount"), cost=1),
    Case("void_month_of_invoices", "every invoice of March 2025 voided", void_month_of_invoices, MART_STOP,
         ("mrr_monthly", "mrr", "month-over-month MRR change")),
]
RUNS = {run_id: [case for case in CASES if case.run_id == run_id] for run_id in dict.fromkeys(c.run_id for c in CASES)}


# ------------------------------------------------------------------------------------ running a case


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def figures_digest(db_path: Path) -> str:
    """A digest of the MRR marts' rows (doubles rounded to 9 decimals, rows sorted)."""
    digest = hashlib.sha256()
    with duckdb.connect(str(db_path), read_only=True) as connection:
        for mart in FIGURE_MARTS:
            for row in connection.execute(f"select * from marts.{mart} order by all").fetchall():
                digest.update(repr(tuple(round(v, 9) if isinstance(v, float) else v for v in row)).encode())
    return digest.hexdigest()


def raw_row_counts(raw: Path) -> dict[str, int]:
    """Rows in each raw CSV, counted the way the dbt hook reads them."""
    counts = {}
    with duckdb.connect() as connection:
        for table in TABLES:
            path = raw / f"{table}.csv"
            counts[table] = connection.execute(
                f"select count(*) from read_csv('{path}', header = true, all_varchar = true)"
            ).fetchall()[0][0] if path.exists() else 0
    return counts


def accounting(db_path: Path) -> list[tuple[str, str, str | None, int, int]] | None:
    """marts.raw_row_accounting of a build file, or None when the build stopped before building it."""
    if not db_path.exists():
        return None
    with duckdb.connect(str(db_path), read_only=True) as connection:
        present = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' "
            "and table_name = 'raw_row_accounting'"
        ).fetchall()[0][0]
        if not present:
            return None
        return connection.execute(
            "select table_name, outcome, reason, row_count, table_raw_rows from marts.raw_row_accounting"
        ).fetchall()


def run_case(run_id: str, base_raw: str, baseline_db: str, scratch: str) -> dict[str, object]:
    """Run one case, or one batch of cases, in this worker's directory (same raw path for every run, so dbt
    parses once per worker)."""
    from churn_warehouse.build import build_and_publish

    worker = Path(scratch) / f"worker_{os.getpid()}"
    raw, published = worker / "raw", worker / "published" / "warehouse.duckdb"
    build_db = worker / "build" / "warehouse.duckdb"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(published.parent, ignore_errors=True)
    build_db.unlink(missing_ok=True)
    shutil.copytree(base_raw, raw)
    published.parent.mkdir(parents=True)
    shutil.copyfile(baseline_db, published)
    expected_quarantine: Expected = {}
    for case in RUNS[run_id]:
        for key, rows in case.mutate(raw).items():
            expected_quarantine[key] = expected_quarantine.get(key, 0) + rows
    digest_before = file_digest(published)
    started = time.perf_counter()
    result = build_and_publish({"raw_path": str(raw), "raw_format": "csv", "as_of_date": AS_OF}, published,
                               build_db, echo=False, dbt_args=DBT_ARGS)
    run = result.quality
    source_of_accounting = published if run.published else build_db
    return {
        "id": run_id,
        "seconds": time.perf_counter() - started,
        "outcome": run.outcome,
        "output": result.output,
        "summary_lines": result.output.splitlines()[-200:],
        "digest_before": digest_before,
        "digest_after": file_digest(published),
        "figures": figures_digest(published) if run.published else None,
        "dbt_ran": run.dbt_ran,
        "accounting": accounting(source_of_accounting) if run.dbt_ran else None,
        "raw_counts": raw_row_counts(raw),
        "expected_quarantine": expected_quarantine,
        "warnings": [f.message() for f in run.failures if f.severity == "warning"]
                    + [g.message() for g in run.quarantine],
    }


# ------------------------------------------------------------------------------------ fixtures


def prepare_base(root: Path) -> dict[str, object]:
    """The valid base as CSV under `root`, built and published once by the main job."""
    from churn_warehouse.build import build_and_publish
    from churn_warehouse.generator import generate

    parquet, raw = root / "base_parquet", root / "base_raw"
    generate(parquet, customers=500, months=12, seed=7, end_date=END_DATE, bad_rows=False)
    raw.mkdir()
    with duckdb.connect() as connection:
        for table in TABLES:
            connection.execute(f"copy (select * from '{parquet / table}.parquet') to '{raw / table}.csv' (header)")
    published = root / "baseline" / "published" / "warehouse.duckdb"
    result = build_and_publish({"raw_path": str(raw), "raw_format": "csv", "as_of_date": AS_OF}, published,
                               root / "baseline" / "build" / "warehouse.duckdb", echo=False, dbt_args=DBT_ARGS)
    assert result.ok, result.output[-6000:]
    assert not result.quality.quarantine, "the base must be clean: " + result.output[-3000:]
    return {"root": root, "raw": raw, "published": published, "figures": figures_digest(published),
            "output": result.output}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return prepare_base(tmp_path_factory.mktemp("catalogue"))


def name_the_worker_main_module() -> None:
    """Give a spawned worker's `__main__` a file, as a script's would have.

    Under `python -m pytest` a spawned child's `__main__` is left empty (multiprocessing does not re-run a
    package's `__main__`), and pyspark, which Great Expectations imports when it is installed, takes an empty
    `__main__` for a doctest run without Spark Connect and calls sys.exit(0).
    """
    sys.modules["__main__"].__file__ = __file__


@pytest.fixture(scope="module")
def outcomes(base: dict[str, object]) -> dict[str, dict[str, object]]:
    """Every run (a case or a batch), in two spawned worker processes, most expensive first."""
    scratch = base["root"] / "cases"
    scratch.mkdir()
    ordered = sorted(RUNS, key=lambda run_id: -max(case.cost for case in RUNS[run_id]))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=name_the_worker_main_module) as pool:
        futures = [pool.submit(run_case, run_id, str(base["raw"]), str(base["published"]), str(scratch))
                   for run_id in ordered]
        return {future.result()["id"]: future.result() for future in futures}


# ------------------------------------------------------------------------------------ tests


def test_base_publishes_cleanly_and_prints_the_validation_summary(base):
    output = base["output"]
    assert "Data quality (Great Expectations)" in output and "PASSED and published" in output
    assert "raw inputs:" in output and "marts:" in output and "Data Docs:" in output


def test_a_published_run_is_logged_in_the_run_log_data_docs_and_marts_data_quality_runs(base):
    from churn_warehouse.quality.run_log import DATA_QUALITY_RUNS_COLUMNS, log_path_for, read_runs

    published = base["published"]
    runs = read_runs(log_path_for(published))
    assert [run["outcome"] for run in runs] == ["published"]
    assert Path(runs[0]["data_docs"]).is_file() and Path(runs[0]["data_docs"]).name == "index.html"
    with duckdb.connect(str(published), read_only=True) as connection:
        columns = connection.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'data_quality_runs' order by ordinal_position"
        ).fetchall()
        steps = connection.execute(
            "select stage, suite_name, suite_status, run_outcome, is_published from marts.data_quality_runs"
        ).fetchall()
    assert [name for (name,) in columns] == [name for name, _, _ in DATA_QUALITY_RUNS_COLUMNS]
    assert {(stage, outcome, flag) for stage, _, _, outcome, flag in steps} == {
        ("raw", "published", True), ("dbt", "published", True), ("marts", "published", True)}
    assert ("dbt", "dbt_build", "passed", "published", True) in steps
    assert {status for _, _, status, _, _ in steps} <= {"passed", "warning"}


def _line_naming(lines: list[str], names: tuple[str, ...]) -> str | None:
    for line in lines:
        if all(name.lower() in line.lower() for name in names):
            return line
    return None


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_case(case: Case, outcomes, base):
    result = outcomes[case.run_id]
    output = result["output"]
    assert result["outcome"] == case.outcome, (
        f"{case.id} ({case.defect}): expected {case.outcome}, got {result['outcome']}\n" + output[-5000:]
    )

    # No row is lost without being counted, whenever dbt got as far as the accounting mart.
    if result["accounting"] is not None:
        totals: dict[str, int] = {}
        raw_rows: dict[str, int] = {}
        for table, _outcome, _reason, rows, table_raw_rows in result["accounting"]:
            totals[table] = totals.get(table, 0) + rows
            raw_rows[table] = table_raw_rows
        assert totals == raw_rows, f"staged + quarantined + collapsed != raw rows: {totals} vs {raw_rows}"
        assert raw_rows == result["raw_counts"], f"accounted {raw_rows} != rows in the files {result['raw_counts']}"

    if case.outcome == PUBLISHED:
        quarantined = {(table, reason): rows for table, outcome, reason, rows, _ in result["accounting"]
                       if outcome == "quarantined"}
        assert quarantined == result["expected_quarantine"], (
            f"quarantine {quarantined} != expected {result['expected_quarantine']}"
        )
        if case.names:
            assert _line_naming(result["warnings"], case.names), (
                f"no warning names {case.names}:\n" + "\n".join(result["warnings"])
            )
        if case.figures_unchanged:
            assert result["figures"] == base["figures"], "the MRR marts changed although only bad rows were added"
        else:
            assert result["figures"] != base["figures"], "quarantining a customer's rows must change the MRR marts"
    else:
        assert result["digest_after"] == result["digest_before"], "a stopped run changed the published warehouse"
        assert _line_naming(output.splitlines(), case.names), (
            f"no line of the output names {case.names}:\n" + output[-5000:]
        )
        assert "was left unchanged" in output
