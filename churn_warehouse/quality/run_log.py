"""The data-quality run log: one JSON line per run of the main job, kept beside the published warehouse.

Every run is logged, failed ones included, outside the published file, so a failed run is recorded while the
published marts stay unchanged. A run that publishes also writes the whole log (this run included) into the
build file as `marts.data_quality_runs` just before the file is published, with the fixed schema below.

A run that publishes is logged twice: as `publishing` before the rename and as `published` after it; the later
line of a run replaces the earlier one. A `publishing` line with no later one (the job was killed in between)
counts as published when the published file's `marts.data_quality_runs` has the run, else as
`publish_interrupted`. A line is written with one append and an fsync, and cut off again if the write fails
(a full disk), so the log never ends in half a line and is never left empty.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb

LOG_NAME = "data_quality_runs.jsonl"

# marts.data_quality_runs: one row per run and step (each GX suite, and the dbt build itself).
DATA_QUALITY_RUNS_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("run_id", "varchar", "identifier of the run of the main job"),
    ("run_started_at", "timestamp", "when the run started (UTC)"),
    ("run_finished_at", "timestamp", "when the run finished (UTC)"),
    ("run_outcome", "varchar", "published, blocked_by_raw_validation, raw_validation_crashed, "
                               "dbt_build_failed, blocked_by_mart_validation, mart_validation_crashed, "
                               "publish_failed (the published file was not replaced) or publish_interrupted (the job "
                               "stopped while publishing, before the rename)"),
    ("is_published", "boolean", "whether the run replaced the published warehouse"),
    ("stage", "varchar", "raw (before dbt build), dbt (the build itself), marts (after it) or publish"),
    ("suite_name", "varchar", "the GX suite, dbt_build, or (stage error) when a stage could not run"),
    ("suite_status", "varchar", "passed, warning (only warnings failed), failed (a blocking check failed), "
                                "not_run"),
    ("evaluated_expectations", "bigint", "expectations evaluated by the suite (0 for dbt_build)"),
    ("failed_blocking_expectations", "bigint", "blocking expectations that failed"),
    ("failed_warning_expectations", "bigint", "warning expectations that failed"),
    ("failed_expectations", "varchar", "the failed expectations, '; '-separated: severity, table, column, rule"),
)


def log_path_for(published_db: Path) -> Path:
    """The run log sits beside the published warehouse file."""
    return Path(published_db).resolve().parent / LOG_NAME


def append_run(log_path: Path, record: dict[str, object]) -> None:
    """Append one run to the log (one JSON object per line) in one write, synced; a failed write is undone.

    On an error (a full disk) the file is cut back to its previous size, or removed if this call created
    it, and the error is raised.
    """
    line = (json.dumps(record, default=str, sort_keys=True) + "\n").encode("utf-8")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    existed = log_path.exists()
    descriptor = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # another job's line never lands between our size and our write
        size = os.fstat(descriptor).st_size
        try:
            written = 0
            while written < len(line):
                written += os.write(descriptor, line[written:])
            os.fsync(descriptor)
        except OSError:
            try:
                os.ftruncate(descriptor, size)
                if not existed and size == 0:
                    log_path.unlink(missing_ok=True)
            except OSError:
                pass
            raise
    finally:
        os.close(descriptor)


def read_runs(log_path: Path, *, settle: bool = True) -> list[dict[str, object]]:
    """Every run in the log, oldest first, each in its latest line; a line that is not a JSON object is skipped.

    With `settle`, a run logged as `publishing` with no later line counts as published if the published file
    it names records it so (the job was killed right after the rename).
    """
    if not log_path.exists():
        return []
    runs: dict[object, dict[str, object]] = {}
    for number, line in enumerate(log_path.read_text(encoding="utf-8").splitlines()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            runs[record.get("run_id") or f"line {number}"] = record
    if not settle:
        return list(runs.values())
    return [
        _settled(record, published_run_ids(Path(str(record.get("published_db") or ""))))
        if record.get("outcome") == "publishing" else record
        for record in runs.values()
    ]


def _settled(record: dict[str, object], published_ids: set[object], final: bool = False) -> dict[str, object]:
    """A `publishing` record as `published` when the published file lists it so, else (when `final`) interrupted."""
    if record.get("outcome") != "publishing":
        return record
    if record.get("run_id") in published_ids:
        return {**record, "outcome": "published", "published": True}
    return {**record, "outcome": "publish_interrupted", "published": False} if final else record


def published_run_ids(published_db: Path) -> set[object]:
    """The runs the published file's marts.data_quality_runs marks as published (empty when it cannot tell)."""
    if not published_db.name or not published_db.is_file():
        return set()
    try:
        with duckdb.connect(str(published_db), read_only=True) as connection:
            rows = connection.execute(
                "select distinct run_id from marts.data_quality_runs where is_published").fetchall()
    except duckdb.Error:
        return set()
    return {row[0] for row in rows}


def settle_log(log_path: Path, published_db: Path) -> list[dict[str, object]]:
    """Every run in the log, each `publishing` one settled for good: a line saying how it ended is appended.

    Call only while no other job can be publishing to `published_db` (the main job holds its publish lock).
    """
    logged = read_runs(log_path, settle=False)
    pending = any(record.get("outcome") == "publishing" for record in logged)
    published_ids = published_run_ids(published_db) if pending else set()
    runs = []
    for record in logged:
        settled = _settled(record, published_ids, final=True)
        if settled is not record:
            append_run(log_path, settled)
        runs.append(settled)
    return runs


def run_rows(record: dict[str, object]) -> list[tuple[object, ...]]:
    """The rows of marts.data_quality_runs for one logged run."""
    failed_by_suite: dict[str, list[str]] = {}
    for failure in record.get("failed_expectations", []) or []:
        failed_by_suite.setdefault(failure["suite"], []).append(
            f"{failure['severity']} {failure['table']}.{failure['column']}: {failure['rule']}"
        )
    common = (
        record.get("run_id"), _utc(record.get("started_at")), _utc(record.get("finished_at")),
        record.get("outcome"), bool(record.get("published")),
    )
    rows = []
    for suite in record.get("suites", []) or []:
        rows.append((
            *common, suite.get("stage"), suite.get("suite"), suite.get("status"),
            int(suite.get("evaluated", 0)), int(suite.get("blocking_failures", 0)), int(suite.get("warnings", 0)),
            "; ".join(failed_by_suite.get(suite.get("suite"), [])) or None,
        ))
    for stage, error in (record.get("stage_errors") or {}).items():
        rows.append((*common, stage, "(stage error)", "failed", 0, 1, 0, str(error)))
    dbt = record.get("dbt") or {}
    dbt_status = "not_run" if not dbt.get("ran") else ("passed" if dbt.get("ok") else "failed")
    rows.append((*common, "dbt", "dbt_build", dbt_status, 0, 0 if dbt_status != "failed" else 1, 0,
                 dbt.get("error") if dbt_status == "failed" else None))
    return rows


def _utc(value: object) -> datetime | None:
    """An ISO timestamp from the log as a naive UTC datetime (the log writes UTC with an offset)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def write_runs_table(db_path: Path, runs: list[dict[str, object]]) -> int:
    """(Re)create marts.data_quality_runs in the build file from `runs`; returns the number of rows written."""
    rows = [row for record in runs for row in run_rows(record)]
    columns = ", ".join(f"{name} {data_type}" for name, data_type, _ in DATA_QUALITY_RUNS_COLUMNS)
    with duckdb.connect(str(db_path)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("drop table if exists marts.data_quality_runs")
        connection.execute(f"create table marts.data_quality_runs ({columns})")
        for name, _, description in DATA_QUALITY_RUNS_COLUMNS:
            connection.execute(
                f"comment on column marts.data_quality_runs.{name} is '{description.replace(chr(39), chr(39) * 2)}'"
            )
        connection.execute(
            "comment on table marts.data_quality_runs is 'Data-quality runs of the main job (written by "
            "churn_warehouse.quality from data_quality_runs.jsonl, not by dbt): one row per run and step.'"
        )
        if rows:
            placeholders = ", ".join("?" for _ in DATA_QUALITY_RUNS_COLUMNS)
            connection.executemany(f"insert into marts.data_quality_runs values ({placeholders})", rows)
    return len(rows)
