"""One run of the main job as the quality gate saw it: stage reports, the dbt build, the outcome; as a log record."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from churn_warehouse.quality.quarantine import QuarantineGroup
from churn_warehouse.quality.runner import FailedExpectation, StageReport
from churn_warehouse.resources import MEMORY_LIMIT_VARIABLE, available_memory, default_memory_limit


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def stopped_outcome(stage: StageReport) -> str:
    """The outcome of a run stopped by validation `stage`: crashed when a check could not run, else blocked."""
    name = "raw" if stage.stage == "raw" else "mart"
    return f"{name}_validation_crashed" if stage.error else f"blocked_by_{name}_validation"


# Where dbt names the node that failed, e.g. "Runtime Error in model base_events (models/...)".
_FAILED_NODE = re.compile(r"Error in (?:model|seed|snapshot|test|unit_test) ([\w.]+)")
# DuckDB's words for a full disk: its own write errors, and temporary files beyond the space left.
_DISK_FULL = re.compile(
    r"No space left on device|could not write[^\n]*te?mp|failed to offload data block|max_temp_directory_size",
    re.IGNORECASE,
)
_OUT_OF_MEMORY = re.compile(r"Out of Memory Error|MemoryError|could not allocate block|std::bad_alloc", re.IGNORECASE)
_UNREADABLE_FILE = re.compile(
    r"Corrupted file\?|Failed to read file|TProtocolException|Parquet file is likely corrupted|"
    r"Parquet metadata is corrupt|Footer length error|Could not read enough bytes", re.IGNORECASE,
)


def _failed_node(lines: list[str], at: int) -> str:
    """The dbt node named nearest before line `at` (else anywhere in the output), or 'an unnamed model'."""
    for line in [*reversed(lines[: at + 1]), *lines[at + 1:]]:
        found = _FAILED_NODE.search(line)
        if found:
            return found.group(1)
    return "an unnamed model"


def diagnose_dbt_failure(output: str) -> str | None:
    """A plain-words cause when dbt's output shows a full disk, exhausted memory or an unreadable raw file.

    Names the model that failed and the setting or place to change; None when the output shows none of these.
    """
    lines = re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines()
    for index, line in enumerate(lines):
        if _DISK_FULL.search(line):
            written = re.search(r'"([^"]+)"', line)
            where = f"the disk holding {Path(written.group(1)).parent}" if written else "the disk of the build folder"
            return (f"The disk is full: DuckDB could not write in model {_failed_node(lines, index)}. Free space on "
                    f"{where} (DuckDB writes its temporary files in <build file>.tmp beside the build file, or in "
                    "CHURN_WAREHOUSE_TEMP_DIRECTORY, up to CHURN_WAREHOUSE_MAX_TEMP_SIZE), or "
                    "point --build-db to a folder on a disk with more room (the same file system as --warehouse).")
        if _OUT_OF_MEMORY.search(line):
            limit = os.environ.get(MEMORY_LIMIT_VARIABLE) or (
                f"{default_memory_limit(available_memory())}, the default: half the memory available")
            threads = os.environ.get("CHURN_WAREHOUSE_DUCKDB_THREADS", "2")
            return (f"Out of memory: DuckDB ran out of memory in model {_failed_node(lines, index)} "
                    f"(memory_limit {limit}). Raise CHURN_WAREHOUSE_MEMORY_LIMIT "
                    "(e.g. CHURN_WAREHOUSE_MEMORY_LIMIT=8GB) "
                    f"if the machine has the memory, or lower CHURN_WAREHOUSE_DUCKDB_THREADS (now {threads}).")
        if _UNREADABLE_FILE.search(line):
            node = _failed_node(lines, index)
            table = node.removeprefix("base_") if node.startswith("base_") else None
            what = f"a raw file of table {table}" if table else "a file"
            return (f"Unreadable file: DuckDB could not read {what} in model {node}; it looks corrupted or cut "
                    "short. Write the file again from its source (see raw_path).")
    return None


def dbt_failure_excerpt(output: str, limit: int = 4000) -> str:
    """Why dbt failed: a plain-words cause when one is recognised, then dbt's closing error summary or error lines."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", output)
    lines = text.splitlines()
    diagnosis = diagnose_dbt_failure(text)
    excerpt = None
    for index, line in enumerate(lines):
        if re.search(r"Completed with \d+ errors?", line):
            excerpt = "\n".join(entry for entry in lines[index:] if entry.strip())
            break
    if excerpt is None:
        errors = [line for line in lines if "Error" in line or "error" in line.split(":")[0]]
        excerpt = "\n".join(errors or lines[-15:])
    if diagnosis:
        return diagnosis + "\n\n" + excerpt[-max(limit - len(diagnosis), 500):]
    return excerpt[-limit:]


@dataclass
class QualityRun:
    """Everything the log keeps about one run: when, which raw data, each stage, dbt, outcome and where the docs are."""

    raw_path: str
    raw_format: str
    as_of_date: str | None
    build_db: Path
    published_db: Path
    data_docs_index: Path
    log_path: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    raw: StageReport | None = None
    marts: StageReport | None = None
    missing_figures: list[str] = field(default_factory=list)
    empty_marts: list[str] = field(default_factory=list)
    dbt_ran: bool = False
    dbt_ok: bool = False
    dbt_seconds: float = 0.0
    dbt_error: str | None = None
    quarantine: list[QuarantineGroup] = field(default_factory=list)
    outcome: str | None = None

    @property
    def stages(self) -> list[StageReport]:
        return [stage for stage in (self.raw, self.marts) if stage is not None]

    @property
    def failures(self) -> list[FailedExpectation]:
        return [failure for stage in self.stages for failure in stage.failures]

    @property
    def published(self) -> bool:
        return self.outcome == "published"

    def as_record(self) -> dict[str, object]:
        """The JSON object of this run in the run log (README, "Data quality", documents the fields)."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": (self.finished_at or utc_now()).isoformat(),
            "outcome": self.outcome,
            "published": self.published,
            "raw_path": self.raw_path,
            "raw_format": self.raw_format,
            "as_of_date": self.as_of_date,
            "build_db": str(self.build_db),
            "published_db": str(self.published_db),
            "data_docs": str(self.data_docs_index),
            "suites": [suite.as_dict() for stage in self.stages for suite in stage.suites],
            "stage_errors": {stage.stage: stage.error for stage in self.stages if stage.error},
            "failed_expectations": [failure.as_dict() for failure in self.failures],
            "missing_mart_figures": self.missing_figures,
            "empty_marts": self.empty_marts,
            "dbt": {"ran": self.dbt_ran, "ok": self.dbt_ok, "error": self.dbt_error},
            "quarantine": [
                {"table": g.table, "reason": g.reason, "rows": g.rows, "column": g.column, "sample": g.sample}
                for g in self.quarantine
            ],
            "seconds": {
                "raw_validation": round(self.raw.seconds, 2) if self.raw else None,
                "dbt_build": round(self.dbt_seconds, 2) if self.dbt_ran else None,
                "mart_validation": round(self.marts.seconds, 2) if self.marts else None,
            },
        }

