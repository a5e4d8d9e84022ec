"""Every failure says what failed, where, and what to do; a crash is never called a failed expectation.

Builds run on the hand-worked fixture (a few seconds of dbt each); the dbt output classifier is tested on
captured DuckDB messages, since really running out of memory or disk is no job for a unit test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from churn_warehouse.__main__ import parse_args
from churn_warehouse.build import build_and_publish
from churn_warehouse.quality.mart_suites import mart_suites
from churn_warehouse.quality.report import QualityRun, dbt_failure_excerpt, diagnose_dbt_failure, stopped_outcome
from churn_warehouse.quality.runner import QualityProject, StageReport
from churn_warehouse.quality.settings import QualitySettings
from churn_warehouse.summary import fetch_summary, format_quality_summary, format_summary

HAND_WORKED_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "hand_worked" / "raw"
DBT_ARGS = ["--exclude-resource-type", "unit_test"]
CORRUPTIONS = (b"\x19\xff\xff\xff\xff\x0f", b"\xff\xff\xff\x7f", b"\xff")


def build(tmp_path: Path, raw: Path, raw_format: str, as_of_date: str):
    """The main job on `raw` into throw-away paths under `tmp_path`."""
    published, build_db = tmp_path / "published" / "warehouse.duckdb", tmp_path / "build" / "warehouse.duckdb"
    result = build_and_publish({"raw_path": str(raw), "raw_format": raw_format, "as_of_date": as_of_date},
                               published, build_db, echo=False, dbt_args=DBT_ARGS)
    return result, published, build_db


# ------------------------------------------------------------------------------------ 9: no complete month


def test_empty_marts_are_validated_without_crashing(tmp_path):
    db_path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(db_path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.mrr_monthly (month date, mrr decimal(28, 6), nrr double, grr double, "
                           "customer_churn_rate double)")
    project = QualityProject(tmp_path / "work", QualitySettings())
    plans = []
    report = project.run_stage("marts", lambda: plans.append(mart_suites(db_path, QualitySettings()))
                               or plans[0].suites)
    assert report.error is None and report.passed
    assert plans[0].empty_marts == ["mrr_monthly"]


def test_a_build_without_a_complete_month_publishes_and_says_so(tmp_path):
    result, published, _ = build(tmp_path, HAND_WORKED_RAW, "csv", "2024-01-20")
    assert result.ok, result.output[-4000:]
    assert result.quality.outcome == "published"
    assert "no complete month yet up to the as-of date 2024-01-20" in result.output
    summary = format_summary(published, fetch_summary(published))
    assert "No complete month yet up to the as-of date 2024-01-20" in summary


# ------------------------------------------------------------------------------------ 10: quarantine stop


def test_a_bad_type_quarantine_stop_names_the_columns_counts_a_sample_and_where_to_read_the_rows(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(HAND_WORKED_RAW, raw)
    with (raw / "payments.csv").open("a") as payments:
        payments.write("pay_comma_1,inv_c01_01,2024-01-05T10:05:00Z,\"12,50\",USD,charge,succeeded,\n")
        payments.write("pay_comma_2,inv_c01_01,2024-01-05T10:06:00Z,\"7,25\",USD,charge,succeeded,\n")
        payments.write("pay_when,inv_c01_01,yesterday,50.00,USD,charge,succeeded,\n")
    result, published, build_db = build(tmp_path, raw, "csv", "2024-07-10")
    assert result.quality.outcome == "dbt_build_failed"
    lines = result.output.splitlines()
    amount = next((line for line in lines if "table payments, column amount: 2 rows" in line), None)
    assert amount and "12,50" in amount and "pay_comma_1" in amount, result.output[-4000:]
    attempted = next((line for line in lines if "table payments, column attempted_at: 1 row" in line), None)
    assert attempted and "yesterday" in attempted and "pay_when" in attempted
    assert "See the model quarantine_payments" not in result.output
    assert "staging.base_payments" in result.output and str(build_db) in result.output
    with duckdb.connect(str(build_db), read_only=True) as connection:
        kept = connection.execute(
            "select count(*) from staging.base_payments where quarantine_reason = 'bad_type'").fetchone()[0]
    assert kept == 3
    assert not published.exists()


# ------------------------------------------------------------------------------------ 11: crashes and options


def hand_worked_parquet(out: Path) -> Path:
    """The hand-worked raw tables as uncompressed Parquet; events with occurred_at as its first column."""
    out.mkdir(parents=True)
    with duckdb.connect() as connection:
        for csv_file in HAND_WORKED_RAW.glob("*.csv"):
            select = "occurred_at, * exclude (occurred_at)" if csv_file.stem == "events" else "*"
            connection.execute(
                f"copy (select {select} from read_csv('{csv_file}', header = true, all_varchar = true)) "
                f"to '{out / csv_file.stem}.parquet' (format parquet, compression uncompressed)"
            )
    return out


def corrupt_first_page(path: Path) -> str:
    """Overwrite bytes of the file's first page so that DuckDB cannot read occurred_at and says so without naming
    the file; prefers the corruption of the issue ("Payload value bigger than allowed"). Returns DuckDB's error."""
    original = path.read_bytes()
    found: dict[str, bytes] = {}
    for offset in range(4, 200):
        for pattern in CORRUPTIONS:
            data = bytearray(original)
            data[offset:offset + len(pattern)] = pattern
            path.write_bytes(bytes(data))
            try:
                with duckdb.connect() as connection:
                    connection.execute(f"select max(length(occurred_at)) from read_parquet('{path}')").fetchall()
            except duckdb.Error as error:
                if path.name not in str(error):
                    found.setdefault(str(error), bytes(data))
    assert found, "no corruption of the first page made the file unreadable"
    error = next((text for text in found if "Payload value bigger than allowed" in text), next(iter(found)))
    path.write_bytes(found[error])
    return error


def test_a_corrupted_parquet_file_is_named_and_reported_as_a_crash(tmp_path):
    raw = hand_worked_parquet(tmp_path / "raw")
    duckdb_error = corrupt_first_page(raw / "events.parquet")
    result, published, _ = build(tmp_path, raw, "parquet", "2024-07-10")
    assert result.quality.outcome == "raw_validation_crashed", result.output[-3000:]
    assert "expectation failed" not in result.output
    crash = next((line for line in result.output.splitlines() if "crashed in raw validation" in line), None)
    assert crash, result.output[-3000:]
    assert "events" in crash and str(raw / "events.parquet") in crash and duckdb_error.splitlines()[0] in crash
    assert not published.exists()


def test_an_impossible_as_of_date_is_refused_at_argument_parsing(capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(["build", "--raw-path", "raw", "--as-of-date", "2026-13-01"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "--as-of-date" in error and "YYYY-MM-DD" in error and "2026-13-01" in error
    assert "month must be in 1..12" in error
    assert parse_args(["build", "--raw-path", "raw", "--as-of-date", "2026-02-28"]).as_of_date == "2026-02-28"


def test_a_crashed_stage_says_where_it_crashed_and_is_not_called_a_failed_expectation(tmp_path):
    project = QualityProject(tmp_path / "work", QualitySettings())

    def plan() -> list:
        return [] + [{}["no such mart"]]

    report = project.run_stage("marts", plan)
    assert not report.passed and report.error
    assert "KeyError" in report.error and "plan" in report.error and "test_failure_messages.py" in report.error
    assert stopped_outcome(report) == "mart_validation_crashed"
    assert stopped_outcome(StageReport(stage="raw")) == "blocked_by_raw_validation"
    run = QualityRun(raw_path="raw", raw_format="csv", as_of_date=None, build_db=tmp_path / "b.duckdb",
                     published_db=tmp_path / "p.duckdb", data_docs_index=tmp_path / "index.html",
                     log_path=tmp_path / "log.jsonl", marts=report, outcome=stopped_outcome(report))
    summary = format_quality_summary(run)
    assert "crashed in mart validation" in summary and "expectation failed" not in summary


# ------------------------------------------------------------------------------------ out of memory, disk full

DBT_OUT_OF_MEMORY = """\
13:41:07  Completed with 1 error, 0 partial successes, and 0 warnings:
13:41:07
13:41:07    Runtime Error in model int_customer_health_daily (models/intermediate/health/int_customer_health_daily.sql)
  Out of Memory Error: could not allocate block of size 256.0 KiB (2.7 GiB/2.7 GiB used)

Possible solutions:
* Reducing the number of threads (SET threads=X)
* Increasing the memory limit (SET memory_limit='...GB')
13:41:07
13:41:07  Done. PASS=120 WARN=0 ERROR=1 SKIP=80 NO-OP=0 TOTAL=201
"""

DBT_DISK_FULL = """\
13:52:11  Completed with 1 error, 0 partial successes, and 0 warnings:
13:52:11
13:52:11    Runtime Error in model base_events (models/staging/base/base_events.sql)
  IO Error: Could not write file "/data/build/warehouse.duckdb.tmp/duckdb_temp_storage_S32K-0.tmp": No space left on device
13:52:11
13:52:11  Done. PASS=20 WARN=0 ERROR=1 SKIP=180 NO-OP=0 TOTAL=201
"""

DBT_TEMP_FULL = """\
13:55:02    Runtime Error in model mrr_movements (models/marts/mrr_movements.sql)
  Out of Memory Error: failed to offload data block of size 256.0 KiB (4.6 MiB/4.7 MiB used).
This limit was set by the 'max_temp_directory_size' setting.
By default, this setting utilizes the available disk space on the drive where the 'temp_directory' is located.
"""


def test_out_of_memory_in_dbt_output_is_named_with_the_model_and_the_setting():
    diagnosis = diagnose_dbt_failure(DBT_OUT_OF_MEMORY)
    assert diagnosis and "out of memory" in diagnosis.lower()
    assert "int_customer_health_daily" in diagnosis and "CHURN_WAREHOUSE_MEMORY_LIMIT" in diagnosis
    assert dbt_failure_excerpt(DBT_OUT_OF_MEMORY).startswith(diagnosis)


def test_disk_full_in_dbt_output_is_named_with_the_model_and_the_folder_to_free():
    for output, model in ((DBT_DISK_FULL, "base_events"), (DBT_TEMP_FULL, "mrr_movements")):
        diagnosis = diagnose_dbt_failure(output)
        assert diagnosis and "disk" in diagnosis.lower() and "out of memory" not in diagnosis.lower()
        assert model in diagnosis and "--build-db" in diagnosis
    assert "/data/build" in diagnose_dbt_failure(DBT_DISK_FULL)
    assert diagnose_dbt_failure("13:00:00  Completed with 1 error\n  Database Error: syntax error") is None


DBT_CORRUPTED_RAW_FILE = """\
14:02:10    Runtime Error in model base_events (models/staging/base/base_events.sql)
  Payload value bigger than allowed. Corrupted file?
"""


def test_an_unreadable_raw_file_in_dbt_output_names_the_raw_table():
    diagnosis = diagnose_dbt_failure(DBT_CORRUPTED_RAW_FILE)
    assert diagnosis and "raw file of table events" in diagnosis and "base_events" in diagnosis
