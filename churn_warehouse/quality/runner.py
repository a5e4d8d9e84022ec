"""Runs the suites through Great Expectations and turns the results into a gate: blocking failures stop publishing.

Each run opens the committed project (gx/great_expectations.yml) as a file data context in the build
directory, so nothing committed is rewritten and two runs with different build directories never share
state. Every suite's frame is a pandas dataframe asset of one datasource, `frames`; each suite gets a
validation definition and a checkpoint of its own (a checkpoint hands every validation definition the same
batch parameters, so one checkpoint cannot feed different frames). Data Docs are rebuilt after each stage.
"""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from churn_warehouse.quality.contract import PROJECT_DIR
from churn_warehouse.quality.settings import BLOCKING, WARNING, QualitySettings
from churn_warehouse.quality.spec import FROM_ROW, SuiteSpec, gx

GX_TEMPLATE = PROJECT_DIR / "gx" / "great_expectations.yml"


@dataclass
class FailedExpectation:
    """One expectation that failed: where (table, column), which rule, how badly, and a sample of offending values."""

    stage: str
    suite: str
    severity: str
    table: str
    column: str
    rule: str
    expectation: str
    summary: str
    sample: list[str]

    def message(self) -> str:
        sample = f"; e.g. {' | '.join(self.sample)}" if self.sample else ""
        return (f"{self.severity.upper()} {self.suite}: table {self.table}, column {self.column}: "
                f"rule \"{self.rule}\" failed ({self.expectation}): {self.summary}{sample}")

    def as_dict(self) -> dict[str, object]:
        return {key: getattr(self, key) for key in (
            "stage", "suite", "severity", "table", "column", "rule", "expectation", "summary", "sample")}


@dataclass
class SuiteOutcome:
    """The result of one suite: passed, warning (only warnings failed) or failed (a blocking expectation failed)."""

    stage: str
    suite: str
    coverage: str
    evaluated: int
    failures: list[FailedExpectation]
    skipped: list[str]

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == BLOCKING]

    @property
    def warnings(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == WARNING]

    @property
    def status(self) -> str:
        return "failed" if self.blocking_failures else ("warning" if self.failures else "passed")

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage, "suite": self.suite, "status": self.status, "evaluated": self.evaluated,
            "blocking_failures": len(self.blocking_failures), "warnings": len(self.warnings),
            "coverage": self.coverage, "skipped": self.skipped,
        }


@dataclass
class StageReport:
    """All suites of one stage (`raw` or `marts`); `error` says what crashed and where when the stage could not run."""

    stage: str
    suites: list[SuiteOutcome] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[FailedExpectation]:
        return [f for s in self.suites for f in s.failures]

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [f for s in self.suites for f in s.blocking_failures]

    @property
    def warnings(self) -> list[FailedExpectation]:
        return [f for s in self.suites for f in s.warnings]

    @property
    def passed(self) -> bool:
        return self.error is None and not self.blocking_failures


def _plain(value: object) -> str:
    """A value as short text for a message: dates without midnight, floats to 4 significant digits."""
    if isinstance(value, (pd.Timestamp, datetime)):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):
        return "null" if np.isnan(value) else f"{float(value):.4g}"
    if value is None or value is pd.NA:
        return "null"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    return str(value)


def _distinct(rows: list[object], key: str) -> str:
    """The distinct values of `key` in the sample rows, comma-separated ('?' when none)."""
    return ", ".join(dict.fromkeys(str(row.get(key)) for row in rows if isinstance(row, dict))) or "?"


class NamedFailure(RuntimeError):
    """A failure whose message already says what failed and where (a table, a file) and what to do."""


def crash_text(error: BaseException) -> str:
    """What crashed and where: the error, then the innermost frame of the project's own code that raised it."""
    if isinstance(error, NamedFailure):
        return str(error)
    text = f"{type(error).__name__}: {str(error).strip()}"
    ours = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(PROJECT_DIR)
        and not {".venv", "site-packages"} & set(Path(frame.filename).parts)
    ]
    if ours:
        where = ours[-1]
        text += f" (in {where.name}, {Path(where.filename).resolve().relative_to(PROJECT_DIR)} line {where.lineno})"
    return text


class QualityProject:
    """The GX file data context of one run, in `<work_dir>/gx`, with Data Docs in `<work_dir>/data_docs`."""

    def __init__(self, work_dir: Path, settings: QualitySettings) -> None:
        self.work_dir = Path(work_dir).resolve()
        self.settings = settings
        project = self.work_dir / "gx"
        shutil.rmtree(project, ignore_errors=True)
        shutil.rmtree(self.data_docs_dir, ignore_errors=True)
        project.mkdir(parents=True)
        shutil.copyfile(GX_TEMPLATE, project / "great_expectations.yml")
        self.context = gx.get_context(mode="file", project_root_dir=str(self.work_dir))
        self.datasource = self.context.data_sources.add_pandas(name="frames")

    @property
    def data_docs_dir(self) -> Path:
        return self.work_dir / "data_docs"

    @property
    def data_docs_index(self) -> Path:
        return self.data_docs_dir / "index.html"

    def run_suite(self, spec: SuiteSpec) -> SuiteOutcome:
        """Register the suite, its validation definition and checkpoint, run it on its frame, read the results."""
        asset = self.datasource.add_dataframe_asset(name=spec.name)
        batch_definition = asset.add_batch_definition_whole_dataframe(name=f"{spec.name}__whole_frame")
        suite = self.context.suites.add(gx.ExpectationSuite(
            name=spec.name, expectations=spec.expectations, notes=spec.coverage,
            meta={"stage": spec.stage, "coverage": spec.coverage, "skipped": spec.skipped},
        ))
        validation = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch_definition, suite=suite)
        )
        index_columns = [c for c in spec.index_columns if c in spec.frame.columns]
        checkpoint = self.context.checkpoints.add(gx.Checkpoint(
            name=spec.name,
            validation_definitions=[validation],
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": self.settings.sample_size,
                **({"unexpected_index_column_names": index_columns} if index_columns else {}),
            },
        ))
        result = checkpoint.run(batch_parameters={"dataframe": spec.frame})
        suite_result = next(iter(result.run_results.values()))
        failures = [
            self._failure(spec, expectation_result)
            for expectation_result in suite_result.results
            if not expectation_result.success
        ]
        return SuiteOutcome(
            stage=spec.stage, suite=spec.name, coverage=spec.coverage,
            evaluated=len(suite_result.results), failures=failures, skipped=list(spec.skipped),
        )

    def _failure(self, spec: SuiteSpec, expectation_result: object) -> FailedExpectation:
        """What failed, where, and a sample of the offending rows, from one GX expectation result."""
        config = expectation_result.expectation_config
        meta = config.meta or {}
        result = expectation_result.result or {}
        exception = (expectation_result.exception_info or {})
        rows = result.get("partial_unexpected_index_list") or []
        if exception.get("raised_exception"):
            summary = f"could not be evaluated: {str(exception.get('exception_message', '')).strip()[:300]}"
        elif "unexpected_count" in result:
            summary = f"{result['unexpected_count']} of {result.get('element_count')} rows outside the rule"
        else:
            summary = f"observed {_plain(result.get('observed_value'))}"
            if result.get("details"):
                summary += f" ({result['details']})"
        if rows and isinstance(rows[0], dict):
            sample = [" ".join(f"{key}={_plain(value)}" for key, value in row.items()) for row in rows]
        else:
            sample = [_plain(value) for value in (result.get("partial_unexpected_list") or [])]
        sample = sample[: self.settings.sample_size]
        table, column = meta.get("table", "?"), meta.get("column", "?")
        if table == FROM_ROW:
            table = _distinct(rows, "table_name")
        if column == FROM_ROW:
            column = _distinct(rows, "column_name")
        return FailedExpectation(
            stage=spec.stage, suite=spec.name, severity=meta.get("severity", BLOCKING), table=table, column=column,
            rule=meta.get("rule", config.type), expectation=config.type, summary=summary, sample=sample,
        )

    def run_stage(self, stage: str, plan: Callable[[], list[SuiteSpec]]) -> StageReport:
        """Build the stage's suites with `plan` and run them; an error anywhere is reported, never raised."""
        started = time.perf_counter()
        report = StageReport(stage=stage)
        try:
            for spec in plan():
                report.suites.append(self.run_suite(spec))
        except Exception as error:  # noqa: BLE001 - a validation that cannot run must stop publishing, with its reason
            report.error = crash_text(error)
        finally:
            self.build_data_docs(report)
            report.seconds = time.perf_counter() - started
        return report

    def build_data_docs(self, report: StageReport | None = None) -> None:
        """Rewrite the Data Docs site from every result of this run so far."""
        try:
            self.context.build_data_docs()
        except Exception as error:  # noqa: BLE001 - docs are a view of the results, never a reason to fail
            if report is not None:
                report.notes.append(f"Data Docs could not be built: {type(error).__name__}: {error}")
