"""Shared fixtures: build the dbt project on a raw directory into a throw-away DuckDB file, or on a server target."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pandas as pd
import pytest
from hand_worked import BUILD_VARS as HAND_WORKED_VARS
from hand_worked import RAW_DIR as HAND_WORKED_RAW

from churn_warehouse.build import SKIP_UNIT_TESTS, dbt_build_on, run_dbt_build, run_server_build
from churn_warehouse.generator import generate
from churn_warehouse.targets import engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class BuildOutcome:
    """A finished `dbt build`: did it pass, what did dbt print, and a way to read the marts."""

    ok: bool
    output: str
    db_path: Path

    def query(self, sql: str, parameters: list[object] | None = None) -> list[dict[str, object]]:
        """Rows of `sql` as dicts, read from the built file (read-only, connection closed at once)."""
        with duckdb.connect(str(self.db_path), read_only=True) as connection:
            cursor = connection.execute(sql, parameters or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def read(self, schema: str, name: str) -> pd.DataFrame:
        """A relation of the build as a pandas frame."""
        with duckdb.connect(str(self.db_path), read_only=True) as connection:
            return connection.sql(f"select * from {schema}.{name}").df()


@pytest.fixture(scope="session")
def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., BuildOutcome]:
    """Factory: `build_warehouse(raw_dir, unit_tests=False, **dbt_vars)` runs `dbt build` into a fresh file and
    returns the outcome; dbt's unit tests run only with `unit_tests`, as in the job (build.SKIP_UNIT_TESTS)."""

    def build(raw_dir: Path, unit_tests: bool = False, **dbt_vars: object) -> BuildOutcome:
        work_dir = tmp_path_factory.mktemp("build")
        result = run_dbt_build(
            work_dir / "warehouse.duckdb", {"raw_path": str(raw_dir), **dbt_vars}, work_dir=work_dir, echo=False,
            unit_tests=unit_tests,
        )
        return BuildOutcome(ok=result.ok, output=result.output, db_path=result.db_path)

    return build


@pytest.fixture(scope="session")
def shared_build(build_warehouse: Callable[..., BuildOutcome]) -> Callable[..., BuildOutcome]:
    """Factory like build_warehouse, but one build per (raw_dir, unit_tests, vars) in the session: a dbt build is
    most of a test module's time, so modules that only read the same build share it. Never write into it."""
    builds: dict[str, BuildOutcome] = {}

    def build(raw_dir: Path, unit_tests: bool = False, **dbt_vars: object) -> BuildOutcome:
        key = json.dumps([str(Path(raw_dir).resolve()), unit_tests, dbt_vars], sort_keys=True, default=str)
        if key not in builds:
            builds[key] = build_warehouse(raw_dir, unit_tests=unit_tests, **dbt_vars)
        return builds[key]

    return build


@pytest.fixture(scope="session")
def hand_worked_warehouse(shared_build: Callable[..., BuildOutcome]) -> BuildOutcome:
    """The hand-worked fixture built once for the modules that compare it with their hand-worked figures, with
    every dbt unit test (the one DuckDB build of the suite that runs them, as the job leaves them out) and
    sbg_min_customers 10 (test_cltv.py: its 16 customers fit overall, no segment has 10; no other module reads
    the sBG fits of this build). It has no bad rows, so it must pass."""
    outcome = shared_build(HAND_WORKED_RAW, unit_tests=True, **HAND_WORKED_VARS, sbg_min_customers=10)
    if not outcome.ok:
        pytest.fail("dbt build of the hand-worked fixture failed:\n" + outcome.output[-8000:], pytrace=False)
    return outcome


# The generated sample most modules read (instead of one generated world each): 36 months, so every billing
# interval appears, and CLTV vars that are not the defaults, so their wiring shows in the marts.
SAMPLE_CUSTOMERS, SAMPLE_MONTHS, SAMPLE_SEED, SAMPLE_END_DATE = 500, 36, 11, date(2025, 6, 20)
SAMPLE_VARS = {"gross_margin": 0.6, "annual_discount_rate": 0.05, "cltv_churn_window": 4}


@lru_cache(maxsize=None)
def generated_raw_dir(customers: int, months: int, seed: int, end_date: date) -> Path:
    """Raw tables written by the package's generator once per session for these parameters (read, never write)."""
    raw_dir = _SESSION_DIR / f"generated_{customers}_{months}_{seed}_{end_date.isoformat()}"
    generate(raw_dir, customers=customers, months=months, seed=seed, end_date=end_date)
    return raw_dir


@pytest.fixture(scope="session")
def sample_warehouse(shared_build: Callable[..., BuildOutcome]) -> BuildOutcome:
    """The generated sample (SAMPLE_*) built once with SAMPLE_VARS and the default as-of date (its last day)."""
    raw_dir = generated_raw_dir(SAMPLE_CUSTOMERS, SAMPLE_MONTHS, SAMPLE_SEED, SAMPLE_END_DATE)
    outcome = shared_build(raw_dir, **SAMPLE_VARS)
    assert outcome.ok, outcome.output[-5000:]
    return outcome


# ------------------------------------------------------------------ server targets (engine parity)

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The throwaway PostgreSQL of scripts/postgres_server.sh; a port of its own so a real server is never touched.
POSTGRES_TEST_PORT = os.environ.get("CHURN_WAREHOUSE_TEST_PG_PORT", "54329")
PARITY_CUSTOMERS = 500


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block (this process and the commands it starts), then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class ServerOutcome:
    """A finished build on a server target: did it pass, what it printed, and where its relations live."""

    ok: bool
    output: str
    target: str
    settings: dict[str, str]
    work_dir: Path

    def read(self, schema: str, name: str) -> pd.DataFrame:
        """A relation of the build as the frame DuckDB's `.df()` would give for it."""
        with environment(**self.settings):
            return engine(self.target).read_table(schema, name)

    def mart_contracts(self) -> dict[str, dict[str, str]]:
        """Every mart of the build's manifest: column -> contract data type."""
        manifest = json.loads((self.work_dir / "target" / "manifest.json").read_text(encoding="utf-8"))
        return {
            node["alias"]: {column: spec.get("data_type") or "" for column, spec in node["columns"].items()}
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
        }


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict[str, str]]:
    """A real PostgreSQL on 127.0.0.1 (Debian's package, temporary data directory) for the session."""
    settings = {
        "CHURN_WAREHOUSE_PG_HOST": "127.0.0.1",
        "CHURN_WAREHOUSE_PG_PORT": POSTGRES_TEST_PORT,
        "CHURN_WAREHOUSE_PG_USER": "postgres",
        "CHURN_WAREHOUSE_PG_PASSWORD": "",
    }
    script, env = PROJECT_DIR / "scripts" / "postgres_server.sh", {**os.environ, **settings}
    already_running = subprocess.run(["bash", str(script), "status"], env=env).returncode == 0
    subprocess.run(["bash", str(script), "start"], check=True, env=env)
    yield settings
    if not already_running:
        subprocess.run(["bash", str(script), "stop"], check=False, env=env)


def fresh_postgres_database(server: dict[str, str], name: str) -> dict[str, str]:
    """Drop and create database `name` on the test server; returns the settings that point the package at it."""
    import psycopg2  # only the PostgreSQL tests need it; the base install has no psycopg2

    connection = psycopg2.connect(
        host=server["CHURN_WAREHOUSE_PG_HOST"], port=int(server["CHURN_WAREHOUSE_PG_PORT"]),
        user=server["CHURN_WAREHOUSE_PG_USER"], dbname="postgres",
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
            cursor.execute(f'create database "{name}"')
    finally:
        connection.close()
    return {**server, "CHURN_WAREHOUSE_PG_DATABASE": name}


@pytest.fixture(scope="session")
def build_on_postgres(
    postgres_server: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., ServerOutcome]:
    """Factory: `build_on_postgres(raw_dir, raw_format=..., unit_tests=False, **dbt_vars)` loads the raw files
    into a fresh database with the package's loader and builds it in the three server phases; dbt's unit tests
    run only with `unit_tests` (the parity build runs them once on PostgreSQL)."""
    count = iter(range(1_000))

    def build(
        raw_dir: Path, raw_format: str = "parquet", into: ServerOutcome | None = None, unit_tests: bool = False,
        **dbt_vars: object,
    ) -> ServerOutcome:
        """`into`: build into the database of an earlier build instead of a fresh one."""
        work_dir = tmp_path_factory.mktemp("postgres_build")
        settings = into.settings if into else fresh_postgres_database(postgres_server, f"churn_test_{next(count)}")
        with environment(**settings):
            engine("postgres").load_raw(Path(raw_dir), raw_format, "raw")
            result = run_server_build(
                "postgres", {"raw_format": raw_format, **dbt_vars}, work_dir, echo=False,
                extra_args=None if unit_tests else SKIP_UNIT_TESTS,
            )
        return ServerOutcome(result.ok, result.output, "postgres", settings, work_dir)

    return build


_SESSION_DIR = Path(tempfile.mkdtemp(prefix="churn_warehouse_tests_"))
_spark_parity_build: subprocess.Popen | None = None


@lru_cache(maxsize=None)
def parity_raw_dir() -> Path:
    """The sample raw tables at PARITY_CUSTOMERS customers (36 months, seed 42): the data every engine builds."""
    raw_dir = _SESSION_DIR / "parity_raw"
    generate(raw_dir, customers=PARITY_CUSTOMERS, months=36, seed=42)
    return raw_dir


def start_spark_parity_build() -> subprocess.Popen:
    """Load and build the parity sample on Spark in the background (load-raw, then server-build).

    A Spark build spends minutes on per-query overhead whatever the data size, mostly waiting: started when
    the session collects a test that needs it, it runs beside the other tests instead of after them.
    """
    global _spark_parity_build
    if _spark_parity_build is None:
        work_dir = _SESSION_DIR / "spark_parity"
        work_dir.mkdir()
        package = f"{shlex.quote(sys.executable)} -m churn_warehouse"
        build = f"{package} server-build --target spark --work-dir {shlex.quote(str(work_dir))}"
        # Once in a few runs on a 2-core machine the local Spark JVM stops under dbt mid-build (py4j: the
        # SparkContext's dagScheduler is null, or the gateway refuses connections), whatever the models: that
        # build is run once more; any other failure, and a second stop, fail the fixture.
        stopped = " ".join(f"-e {shlex.quote(sign)}" for sign in SPARK_STOPPED_SIGNS)
        script = (
            f"{package} load-raw --target spark --raw-path {shlex.quote(str(parity_raw_dir()))} && "
            f"{{ {build} || {{ grep -q -F {stopped} {shlex.quote(str(work_dir / 'build.log'))}"
            f" && echo 'The local Spark stopped: building once more.' && {build}; }}; }}"
        )
        with (work_dir / "build.log").open("w") as log:
            _spark_parity_build = subprocess.Popen(
                ["bash", "-c", script], cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **spark_settings(work_dir)},
            )
    return _spark_parity_build


# What py4j reports when the local Spark JVM has stopped under a running query: its SparkContext stopped, or the
# JVM is gone and its gateway refuses the next connection.
SPARK_STOPPED_SIGNS = (
    'because the return value of "org.apache.spark.SparkContext.dagScheduler()" is null',
    "[Errno 111] Connection refused",
)

# A test's Spark JVM lives a few minutes: compiling with C1 only and one GC thread spares about 12 % of its CPU
# (the parity build at 500 customers: 434 CPU seconds instead of 492, the same wall time).
SPARK_TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def spark_settings(work_dir: Path) -> dict[str, str]:
    """The environment that points the spark target at a warehouse folder of its own."""
    return {"CHURN_WAREHOUSE_SPARK_DIR": str(work_dir / "spark"),
            "CHURN_WAREHOUSE_SPARK_JAVA_OPTIONS": SPARK_TEST_JAVA_OPTIONS}


def pytest_collection_finish(session: pytest.Session) -> None:
    if any("parity_spark" in getattr(item, "fixturenames", ()) for item in session.items):
        start_spark_parity_build()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _spark_parity_build is not None and _spark_parity_build.poll() is None:
        _spark_parity_build.kill()
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def parity_raw() -> Path:
    return parity_raw_dir()


@pytest.fixture(scope="session")
def parity_duckdb(build_warehouse: Callable[..., BuildOutcome], parity_raw: Path) -> BuildOutcome:
    """The reference: the parity sample built on DuckDB."""
    outcome = build_warehouse(parity_raw)
    assert outcome.ok, outcome.output[-5000:]
    return outcome


@pytest.fixture(scope="session")
def parity_postgres(build_on_postgres: Callable[..., ServerOutcome], parity_raw: Path) -> ServerOutcome:
    """The parity sample built on PostgreSQL, with every dbt unit test."""
    outcome = build_on_postgres(parity_raw, unit_tests=True)
    assert outcome.ok, outcome.output[-5000:]
    return outcome


@pytest.fixture(scope="session")
def postgres_warehouse_url(parity_postgres: ServerOutcome) -> str:
    """The PostgreSQL database holding the parity sample's marts, as a libpq URL (the dashboard's setting)."""
    settings = parity_postgres.settings
    return (
        f"postgresql://{settings['CHURN_WAREHOUSE_PG_USER']}@{settings['CHURN_WAREHOUSE_PG_HOST']}:"
        f"{settings['CHURN_WAREHOUSE_PG_PORT']}/{settings['CHURN_WAREHOUSE_PG_DATABASE']}"
    )


@pytest.fixture(scope="session")
def postgres_warehouse_duckdb_twin(parity_duckdb: BuildOutcome) -> Path:
    """The DuckDB file built from the same raw data as `postgres_warehouse_url`."""
    return parity_duckdb.db_path


@pytest.fixture(scope="session")
def build_on_spark(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., ServerOutcome]:
    """Factory: `build_on_spark(raw_dir, raw_format=..., select=None, **dbt_vars)` loads the raw files into a fresh
    local Spark warehouse (its own metastore folder) with the package's loader and builds it in the three server
    phases; with `select` (a selection without Python models) only those nodes, in one `dbt build`: a Spark build
    costs about 0.5 s a node whatever the data, and the quarantine tests need only the staging models."""

    def build(
        raw_dir: Path,
        raw_format: str = "parquet",
        select: str | None = None,
        into: ServerOutcome | None = None,
        **dbt_vars: object,
    ) -> ServerOutcome:
        """`into`: build again into the warehouse of an earlier build, whose raw tables are already loaded."""
        work_dir = tmp_path_factory.mktemp("spark_build")
        settings = into.settings if into else spark_settings(work_dir)
        variables = {"raw_format": raw_format, **dbt_vars}
        with environment(**settings):
            if into is None:
                engine("spark").load_raw(Path(raw_dir), raw_format, "raw")
            else:
                engine("spark").close()  # this process's session holds the metastore that dbt must open
            if select is None:
                result = run_server_build("spark", variables, work_dir, echo=False)
                ok, output = result.ok, result.output
            else:
                ok, output = dbt_build_on(
                    "spark", variables, work_dir, ["--select", select, "--indirect-selection", "cautious"], echo=False
                )
        return ServerOutcome(ok, output, "spark", settings, work_dir)

    return build


@pytest.fixture(scope="session")
def parity_spark() -> ServerOutcome:
    """The parity sample built on Spark (local session), by the build started in the background."""
    build = start_spark_parity_build()
    build.wait()
    work_dir = _SESSION_DIR / "spark_parity"
    outcome = ServerOutcome(
        build.returncode == 0, (work_dir / "build.log").read_text(encoding="utf-8"), "spark",
        spark_settings(work_dir), work_dir,
    )
    assert outcome.ok, outcome.output[-5000:]
    return outcome
