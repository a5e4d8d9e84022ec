"""Daily runs: a build starts from a copy of the published warehouse, and after several daily runs the marts are
those of one full build on the same files, row by row.

The raw data arrive as a daily export would deliver them: the append-only tables as one file per day, a late event
(dated a day the first build loaded) in a later day's file, and an event delivered again the next day. A daily
run that fails leaves the published file as it was, byte for byte. Each build costs about 40 s of CPU whatever
the data, so the test makes four: the first, two daily runs, one full build (and a daily run that fails at once).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from churn_warehouse import __version__, resources
from churn_warehouse.__main__ import MANIFEST, sample_newer_than
from churn_warehouse.build import BuildResult, build_and_publish, plan_daily_run, run_dbt_build, settings_digest
from churn_warehouse.generator import DAILY_TABLES, generate, stage_days, write_daily_files
from test_determinism import mart_file_differences

CUSTOMERS, MONTHS, SEED = 300, 36, 42
END = date(2026, 12, 1)  # the daily runs cross a month end: 30 November becomes a snapshot day
FIRST_DAY = END - timedelta(days=2)  # the first build reads every file up to this day
DAILY_DAYS = [FIRST_DAY + timedelta(days=1), END]  # then one daily run per day
# Written by the publishing job, not by dbt: a full build without publishing has none.
PUBLISHING_TABLES = ("data_quality_runs",)
# A DuckDB memory limit no build fits in: the daily run fails at its first query, after the copy.
TOO_LITTLE_MEMORY = "1MiB"
SETTLED_MEMORY_LIMIT, SETTLED_MAX_TEMP_SIZE = "2GiB", "4GiB"


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
    """An activity event of FIRST_DAY (a day the first build loaded) arrives late, in the second daily file, and so
    does an event of the first daily file, a second time, byte for byte."""
    history = pq.read_table(_day_file(raw, "events", FIRST_DAY))
    activity_on_first_day = pc.and_(
        pc.equal(pc.cast(history["occurred_at"], pa.date32()), pa.scalar(FIRST_DAY, pa.date32())),
        pc.invert(pc.starts_with(history["event_name"], "email_")),
    )
    late_index = pc.index(activity_on_first_day, True).as_py()
    assert late_index >= 0, "fixture changed: no activity event on the first build's last day"
    late = history.slice(late_index, 1)
    pq.write_table(pa.concat_tables([history.slice(0, late_index), history.slice(late_index + 1)]),
                   _day_file(raw, "events", FIRST_DAY))
    duplicate = pq.read_table(_day_file(raw, "events", DAILY_DAYS[0])).slice(0, 1)
    second = _day_file(raw, "events", DAILY_DAYS[1])
    pq.write_table(pa.concat_tables([pq.read_table(second), late, duplicate]), second)


def _starved(environment: Callable[[Path], dict[str, str]]) -> Callable[[Path], dict[str, str]]:
    """The build's DuckDB settings with a memory limit no build fits in."""
    return lambda db_path: {**environment(db_path), resources.MEMORY_LIMIT_VARIABLE: TOO_LITTLE_MEMORY}


@pytest.fixture(scope="module")
def daily_chain(tmp_path_factory: pytest.TempPathFactory) -> DailyChain:
    """A first build on the files up to FIRST_DAY, then one daily run per later day (the last one first failing,
    out of memory), and one full build on all the files."""
    source = tmp_path_factory.mktemp("all_days")
    generate(source, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END)
    write_daily_files(source, history_through=FIRST_DAY)
    _move_late_and_duplicate_events(source)

    work = tmp_path_factory.mktemp("daily")
    raw, published = work / "raw", work / "published" / "warehouse.duckdb"
    build_db = work / "build" / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as settled:
        # Fixed DuckDB settings: the defaults follow free memory and disk, so dbt's profile would change between
        # runs, and with it the partial parse each daily run can reuse.
        settled.setenv(resources.MEMORY_LIMIT_VARIABLE, SETTLED_MEMORY_LIMIT)
        settled.setenv(resources.MAX_TEMP_SIZE_VARIABLE, SETTLED_MAX_TEMP_SIZE)
        runs, failed, digest_before, digest_after = _daily_runs(source, raw, published, build_db)

    full = run_dbt_build(work / "full" / "warehouse.duckdb", {"raw_path": str(source)}, echo=False)
    assert full.ok, full.output[-5000:]
    return DailyChain(published, runs, failed, digest_before, digest_after, full.db_path)


def _daily_runs(source: Path, raw: Path, published: Path, build_db: Path
                ) -> tuple[list[BuildResult], BuildResult, str, str]:
    """The first build and the daily runs (the last one failing once first): the runs that passed, the failed one,
    and the published file's digest before and after it."""
    dbt_vars = {"raw_path": str(raw)}
    runs = []
    for day in [FIRST_DAY, *DAILY_DAYS]:
        stage_days(source, raw, day)
        if day == DAILY_DAYS[-1]:
            digest_before = _digest(published)
            with pytest.MonkeyPatch.context() as patch:  # dbt's DuckDB only: the raw validation still passes
                patch.setattr(resources, "duckdb_environment", _starved(resources.duckdb_environment))
                failed = build_and_publish(dbt_vars, published, build_db, echo=False)
            digest_after = _digest(published)
        runs.append(build_and_publish(dbt_vars, published, build_db, echo=False))
        assert runs[-1].ok, runs[-1].output[-5000:]
    return runs, failed, digest_before, digest_after


def test_a_first_build_starts_empty_and_each_later_one_from_the_published_copy(daily_chain: DailyChain) -> None:
    first, *daily = daily_chain.runs
    assert "Daily run" not in first.output and "Full build" not in first.output
    for run in daily:
        assert "Daily run: the build starts from a copy of" in run.output, run.output[-3000:]


def test_a_failed_daily_run_leaves_the_published_file_byte_identical(daily_chain: DailyChain) -> None:
    assert not daily_chain.failed.ok
    assert "Daily run: the build starts from a copy of" in daily_chain.failed.output
    assert "Out of Memory" in daily_chain.failed.output, daily_chain.failed.output[-3000:]
    assert daily_chain.digest_after_failure == daily_chain.digest_before_failure


def test_marts_after_daily_runs_equal_a_full_build_on_the_same_files(daily_chain: DailyChain) -> None:
    problems = mart_file_differences(daily_chain.published, daily_chain.full_build, skipped_tables=PUBLISHING_TABLES)
    assert not problems, "daily runs and a full build differ:\n" + "\n".join(problems)


# ------------------------------------------------------------------ how a build starts (no dbt: a small file)

INPUTS = {"raw_path": "/data/raw", "raw_format": "parquet", "reporting_currency": "USD"}


def _small_published(path: Path, **build_info: str) -> Path:
    """A published file holding only marts.build_info, as a build from INPUTS by this package would write it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {**INPUTS, "package_version": __version__, "settings_digest": settings_digest(INPUTS), **build_info}
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.build_info as select " +
                           ", ".join(f"cast(? as varchar) as {name}" for name in row), list(row.values()))
    return path


@pytest.mark.parametrize(("changed", "named"), [
    ({"raw_path": "/data/other"}, "raw_path was '/data/other'"),
    ({"raw_format": "csv"}, "raw_format was 'csv'"),
    ({"reporting_currency": "EUR"}, "reporting_currency was 'EUR'"),
    ({"package_version": "0.0.1"}, "package_version was '0.0.1'"),
    ({"settings_digest": settings_digest({**INPUTS, "inactive_days": 45})},
     "the dbt vars changed (settings_digest was"),
])
def test_a_published_file_built_from_other_inputs_gives_a_full_build_that_says_why(
    tmp_path: Path, changed: dict[str, str], named: str
) -> None:
    published = _small_published(tmp_path / "published" / "warehouse.duckdb", **changed)
    digest, build_db = _digest(published), tmp_path / "build" / "warehouse.duckdb"
    build_db.parent.mkdir()
    daily, line = plan_daily_run(published, build_db, INPUTS, Path(INPUTS["raw_path"]), full_refresh=False)
    assert not daily and not build_db.exists()
    assert line is not None and line.startswith("Full build, not a daily run:") and named in line, line
    assert _digest(published) == digest


def test_settings_digest_follows_every_dbt_var_but_those_build_info_holds_apart() -> None:
    """A changed threshold changes the digest (the kept health snapshots were computed with the old one); the
    raw path, format and currency are compared on their own columns, a relative path with its absolute one."""
    same = settings_digest(INPUTS)
    assert settings_digest({**INPUTS, "raw_path": "data/raw", "raw_format": "csv", "reporting_currency": "EUR"}) == same
    assert settings_digest({**INPUTS, "inactive_days": 45}) != same
    assert settings_digest({**INPUTS, "health_signal_weights": {"inactive": 2}}) != settings_digest(
        {**INPUTS, "health_signal_weights": {"inactive": 3}})


def test_the_same_inputs_give_a_daily_run_on_a_copy_and_full_refresh_an_empty_file(tmp_path: Path) -> None:
    published = _small_published(tmp_path / "published" / "warehouse.duckdb")
    digest, build_db = _digest(published), tmp_path / "build" / "warehouse.duckdb"
    build_db.parent.mkdir()
    daily, line = plan_daily_run(published, build_db, INPUTS, Path(INPUTS["raw_path"]), full_refresh=False)
    assert daily and line is not None and line.startswith("Daily run:")
    assert _digest(build_db) == digest == _digest(published)
    build_db.unlink()
    daily, line = plan_daily_run(published, build_db, INPUTS, Path(INPUTS["raw_path"]), full_refresh=True)
    assert not daily and line is not None and line.startswith("Full refresh:") and not build_db.exists()
    assert plan_daily_run(tmp_path / "none.duckdb", build_db, INPUTS, Path("/data/raw"), False) == (False, None)


# ------------------------------------------------------------------ the generator's daily files (no dbt)


def test_daily_files_hold_the_same_rows_one_file_a_day_and_through_leaves_out_later_days(tmp_path: Path) -> None:
    single, daily, staged = tmp_path / "single", tmp_path / "daily", tmp_path / "staged"
    for folder in (single, daily):
        generate(folder, customers=20, months=3, seed=SEED, end_date=END)
    write_daily_files(daily, through=END - timedelta(days=1), history_through=END - timedelta(days=10))
    with duckdb.connect() as connection:
        for table, day_column in (("events", "occurred_at"), ("payments", "attempted_at")):
            files = sorted(path.stem for path in (daily / table).glob("*.parquet"))
            assert files[0] == (END - timedelta(days=10)).isoformat() and files[-1] < END.isoformat()
            kept = f"select * from '{single}/{table}.parquet' where cast({day_column} as date) < '{END}'"
            difference = connection.execute(
                f"select count(*) from (({kept}) except all (select * from '{daily}/{table}/*.parquet'))"
                f" union all select count(*) from ((select * from '{daily}/{table}/*.parquet') except all ({kept}))"
            ).fetchall()
            assert difference == [(0,), (0,)], table
    assert not (daily / "events.parquet").exists() and (daily / "customers.parquet").exists()
    first = stage_days(daily, staged, END - timedelta(days=2))
    assert (staged / "events" / f"{END - timedelta(days=2)}.parquet") in first
    assert not (staged / "events" / f"{END - timedelta(days=1)}.parquet").exists()
    assert stage_days(daily, staged, END - timedelta(days=1)) == [
        staged / table / f"{END - timedelta(days=1)}.parquet" for table in sorted(DAILY_TABLES)
        if (daily / table / f"{END - timedelta(days=1)}.parquet").exists()
    ]


def test_demo_refreshes_in_full_when_the_sample_was_written_after_the_published_warehouse(tmp_path: Path) -> None:
    published, manifest = tmp_path / "warehouse.duckdb", tmp_path / MANIFEST
    assert not sample_newer_than(tmp_path, published)
    manifest.write_text("{}")
    published.write_bytes(b"")
    os.utime(manifest, (1_000, 1_000))
    assert not sample_newer_than(tmp_path, published)
    os.utime(manifest, (published.stat().st_mtime + 1,) * 2)
    assert sample_newer_than(tmp_path, published)
