"""One run of the main job as the quality gate saw it: stage reports, the dbt build, the outcome; as a log record."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from churn_warehouse.quality.quarantine import QuarantineGroup
from churn_warehouse.quality.runner import FailedExpectation, StageReport

OUTCOMES = (
    "published", "blocked_by_raw_validation", "dbt_build_failed", "blocked_by_mart_validation",
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def dbt_failure_excerpt(output: str, limit: int = 2000) -> str:
    """The part of dbt's output that says why the build failed (its closing error summary, or its error lines)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", output)
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.search(r"Completed with \d+ errors?", line):
            tail = [entry for entry in lines[index:] if entry.strip()]
            return "\n".join(tail)[-limit:]
    errors = [line for line in lines if "Error" in line or "error" in line.split(":")[0]]
    return "\n".join(errors or lines[-15:])[-limit:]


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
