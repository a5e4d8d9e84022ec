"""The validation run log and Data Docs, as the Data quality page shows them.

The main job logs every run, failed ones included, in `data_quality_runs.jsonl` beside the published
warehouse (churn_warehouse.quality.run_log), and a run that publishes copies the log into
`marts.data_quality_runs`. The page prefers the log file, which also holds the runs that did not publish.
A PostgreSQL warehouse has no file beside it: there the page reads `marts.data_quality_runs` when the
database has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from churn_warehouse.quality.run_log import DATA_QUALITY_RUNS_COLUMNS, log_path_for, read_runs, run_rows
from lib import data
from lib.formatting import category, markdown_code
from lib.warehouse import POSTGRES, REPO_DIR, WarehouseId

DEFAULT_DATA_DOCS = REPO_DIR / "build" / "data_docs" / "index.html"

OUTCOME_WORDS = {
    "published": "Published",
    "blocked_by_raw_validation": "Stopped: raw data failed a check",
    "raw_validation_crashed": "Stopped: a raw-data check crashed",
    "dbt_build_failed": "Stopped: the dbt build failed",
    "blocked_by_mart_validation": "Stopped: marts failed a check",
    "mart_validation_crashed": "Stopped: a mart check crashed",
    "publish_failed": "Stopped: could not publish",
    "publish_interrupted": "Stopped while publishing",
    "publishing": "Publishing",
}


@dataclass(frozen=True)
class Runs:
    """Validation runs (one row per run and step), where they come from, and the Data Docs of the latest run."""

    steps: pd.DataFrame | None
    source: str
    data_docs: Path | None


def _log_identity(path: Path) -> tuple[str, int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return str(path), status.st_mtime_ns, status.st_size


@st.cache_data(show_spinner=False, max_entries=16)
def _log_steps(log: tuple[str, int, int]) -> tuple[pd.DataFrame, str | None]:
    """Rows of the log file in the layout of marts.data_quality_runs, and the latest run's Data Docs path."""
    records = read_runs(Path(log[0]))
    names = [name for name, _, _ in DATA_QUALITY_RUNS_COLUMNS]
    frame = pd.DataFrame([row for record in records for row in run_rows(record)], columns=names)
    docs = next((str(record["data_docs"]) for record in reversed(records) if record.get("data_docs")), None)
    return frame, docs


def validation_runs(warehouse: WarehouseId) -> Runs:
    """The run log beside the published file, else marts.data_quality_runs, else nothing yet."""
    log = None if warehouse.engine == POSTGRES else _log_identity(log_path_for(Path(warehouse.location)))
    if log is not None:
        steps, docs = _log_steps(log)
        docs_path = Path(docs) if docs and Path(docs).is_file() else None
        return Runs(steps, f"the run log {markdown_code(log[0])}: every run, including those that did not publish, "
                    "newest first", docs_path)
    fallback_docs = DEFAULT_DATA_DOCS if DEFAULT_DATA_DOCS.is_file() else None
    if data.has(warehouse, "marts.data_quality_runs"):
        return Runs(data.data_quality_runs(warehouse), "the warehouse's record of validation runs: those up to this "
                    "build, newest first",
                    fallback_docs)
    return Runs(None, "", fallback_docs)


def no_runs_message(warehouse: WarehouseId) -> str:
    """What the page says when no validation run is recorded for the warehouse it reads."""
    if warehouse.engine == POSTGRES:
        return (
            "No validation run is recorded in this PostgreSQL database yet. "
            "The record appears when a build that runs the data-quality checks (Great Expectations) publishes "
            "into it; the marts themselves are shown as they are."
        )
    return (
        "No validation run has been logged for this warehouse yet. The log appears after a build that runs the "
        "data-quality checks (Great Expectations), e.g. `scripts/demo.sh`."
    )


STAGE_WORDS = {"raw": "Raw data", "dbt": "Build", "marts": "Built figures", "publish": "Publishing"}


def open_data_docs_command(index: Path) -> str:
    """A command that opens Data Docs in the default browser of the machine that holds them (any OS)."""
    return f'python -m webbrowser "{index.as_uri()}"'


def in_words(text: object) -> str:
    """A check's name or finding with its codes in words: `marts.mrr_monthly` → `mrr monthly`,
    `support_tickets` → `support tickets` (the exact names are in Data Docs and the run log)."""
    plain = re.sub(r"\b(?:marts|raw|staging|reference)\.", "", "" if text is None or text != text else str(text))
    return re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", lambda code: code.group(0).replace("_", " "), plain)


def run_summary(steps: pd.DataFrame) -> pd.DataFrame:
    """One line per run, newest first: when, outcome in words, and how its checks went."""
    if steps.empty:
        return pd.DataFrame(columns=["Started (UTC)", "Outcome", "Checks passed", "With warnings", "Failed",
                                     "Blocking failures", "Warnings"])
    checks = steps.loc[steps["suite_name"] != "dbt_build"]
    grouped = steps.groupby("run_id", sort=False).agg(
        started=("run_started_at", "first"), outcome=("run_outcome", "first")
    )
    counts = checks.groupby("run_id").agg(
        passed=("suite_status", lambda status: int((status == "passed").sum())),
        warned=("suite_status", lambda status: int((status == "warning").sum())),
        failed=("suite_status", lambda status: int((status == "failed").sum())),
        blocking=("failed_blocking_expectations", "sum"),
        warnings=("failed_warning_expectations", "sum"),
    )
    summary = grouped.join(counts).fillna(0).sort_values("started", ascending=False).reset_index(drop=True)
    summary["outcome"] = summary["outcome"].map(lambda outcome: OUTCOME_WORDS.get(outcome, outcome))
    return summary.rename(columns={
        "started": "Started (UTC)", "outcome": "Outcome", "passed": "Checks passed", "warned": "With warnings",
        "failed": "Failed", "blocking": "Blocking failures", "warnings": "Warnings",
    })


def latest_findings(steps: pd.DataFrame) -> pd.DataFrame:
    """The checks of the latest run that failed or warned, with what they found."""
    if steps.empty:
        return pd.DataFrame(columns=["Stage", "Check", "Status", "Findings"])
    latest = steps.loc[steps["run_started_at"] == steps["run_started_at"].max()]
    findings = latest.loc[latest["suite_status"].isin(["failed", "warning"])]
    findings = findings.assign(
        stage=findings["stage"].map(lambda stage: STAGE_WORDS.get(stage, in_words(stage))),
        suite_name=findings["suite_name"].map(lambda name: category(in_words(name))),
        suite_status=findings["suite_status"].map(category),
        failed_expectations=findings["failed_expectations"].map(in_words),
    )
    return findings[["stage", "suite_name", "suite_status", "failed_expectations"]].rename(columns={
        "stage": "Stage", "suite_name": "Check", "suite_status": "Status", "failed_expectations": "Findings",
    }).reset_index(drop=True)
