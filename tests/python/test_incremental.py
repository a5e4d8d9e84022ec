"""Daily runs: a build starts from a copy of the published warehouse, and after several daily runs the marts are
those of one full build on the same files, row by row.

The raw data arrive as a daily export would deliver them: the append-only tables as one file per day, a late event
(dated a day already loaded) in a later day's file and an event sent twice, two days apart. A daily run that fails
leaves the published file as it was, byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from churn_warehouse.build import BuildResult, build_and_publish, run_dbt_build
from churn_warehouse.generator import generate, stage_days, write_daily_files
from test_determinism import mart_file_differences

CUSTOMERS, MONTHS, SEED = 300, 36, 42
END = date(2026, 11, 20)
FIRST_DAY = END - timedelta(days=3)  # the first build reads every file up to this day
DAILY_DAYS = [FIRST_DAY + timedelta(days=n) for n in (1, 2, 3)]
# Written by the publishing job, not by dbt: a full build without publishing has none.
PUBLISHING_TABLES = ("data_quality_runs",)
ORPHANS = 600  # events of an unknown customer in a bad file: more than 1 % of the events are quarantined


@dataclass(frozen=True)
class DailyChain:
    """The published file after the first build and the daily runs, what each run said, and a full build."""

    published: Path
    runs: list[BuildResult]
    failed: BuildResult
    digest_before_failure: str
    digest_after_failure: str
    full_build: Path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _day_file(raw: Path, table: str, day: date) -> Path:
    return raw / table / f"{day.isoformat()}.parquet"


def _move_late_and_duplicate_events(raw: Path) -> None:
    """An event of FIRST_DAY arrives late, in the second daily file; an event of the first daily file arrives again,
    byte for byte, in the third."""
    history = pq.read_table(_day_file(raw, "events", FIRST_DAY))
    on_first_day = pc.equal(pc.cast(history["occurred_at"], pa.date32()), pa.scalar(FIRST_DAY, pa.date32()))
    late_index = pc.index(on_first_day, True).as_py()
    assert late_index >= 0, "fixture changed: no event on the first build's last day"
    late = history.slice(late_index, 1)
    pq.write_table(pa.concat_tables([history.slice(0, late_index), history.slice(late_index + 1)]),
                   _day_file(raw, "events", FIRST_DAY))
    second = _day_file(raw, "events", DAILY_DAYS[1])
    pq.write_table(pa.concat_tables([pq.read_table(second), late]), second)
    duplicate = pq.read_table(_day_file(raw, "events", DAILY_DAYS[0])).slice(0, 1)
    third = _day_file(raw, "events", DAILY_DAYS[2])
    pq.write_table(pa.concat_tables([pq.read_table(third), duplicate]), third)


def _write_orphan_events(raw: Path, day: date) -> Path:
    """A second file for `day` whose events name a customer that does not exist: quarantined, they fail the build."""
    events = pq.read_table(_day_file(raw, "events", FIRST_DAY)).slice(0, ORPHANS)
    events = events.set_column(0, "event_id", pa.array([f"EVX{n:07d}" for n in range(ORPHANS)]))
    events = events.set_column(1, "customer_id", pa.array(["C9999999"] * ORPHANS))
    path = raw / "events" / f"{day.isoformat()}-resent.parquet"
    pq.write_table(events, path)
    return path


@pytest.fixture(scope="module")
def daily_chain(tmp_path_factory: pytest.TempPathFactory) -> DailyChain:
    """A first build on the files up to FIRST_DAY, then one daily run per later day (the last one failing once on
    a bad file, then passing without it), and one full build on all the files."""
    source = tmp_path_factory.mktemp("all_days")
    generate(source, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END)
    write_daily_files(source, history_through=FIRST_DAY)
    _move_late_and_duplicate_events(source)

    work = tmp_path_factory.mktemp("daily")
    raw, published, build_db = work / "raw", work / "published" / "warehouse.duckdb", work / "build" / "warehouse.duckdb"
    dbt_vars = {"raw_path": str(raw)}
    runs = []
    for day in [FIRST_DAY, *DAILY_DAYS]:
        stage_days(source, raw, day)
        if day == DAILY_DAYS[-1]:
            bad_file = _write_orphan_events(raw, day)
            digest_before = _digest(published)
            failed = build_and_publish(dbt_vars, published, build_db, echo=False)
            digest_after = _digest(published)
            bad_file.unlink()
        runs.append(build_and_publish(dbt_vars, published, build_db, echo=False))
        assert runs[-1].ok, runs[-1].output[-5000:]

    full = run_dbt_build(work / "full" / "warehouse.duckdb", {"raw_path": str(source)}, echo=False)
    assert full.ok, full.output[-5000:]
    return DailyChain(published, runs, failed, digest_before, digest_after, full.db_path)


def test_a_first_build_starts_empty_and_each_later_one_from_the_published_copy(daily_chain: DailyChain) -> None:
    first, *daily = daily_chain.runs
    assert "Daily run" not in first.output and "Full build" not in first.output
    for run in daily:
        assert "Daily run: the build starts from a copy of" in run.output, run.output[-3000:]


def test_a_failed_daily_run_leaves_the_published_file_byte_identical(daily_chain: DailyChain) -> None:
    assert not daily_chain.failed.ok
    assert "Daily run: the build starts from a copy of" in daily_chain.failed.output
    assert "orphan" in daily_chain.failed.output and "events" in daily_chain.failed.output
    assert daily_chain.digest_after_failure == daily_chain.digest_before_failure


def test_marts_after_daily_runs_equal_a_full_build_on_the_same_files(daily_chain: DailyChain) -> None:
    problems = mart_file_differences(daily_chain.published, daily_chain.full_build, skipped_tables=PUBLISHING_TABLES)
    assert not problems, "daily runs and a full build differ:\n" + "\n".join(problems)
