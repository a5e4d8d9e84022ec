"""The main job: validate raw inputs → dbt build into a work file → validate marts → publish over the warehouse.

The work file starts empty, or, for a daily run, as a copy of the published warehouse (see plan_daily_run).

Publishing is an atomic rename of the work file over the published file (churn_warehouse.publishing), done
only when the raw suites, every dbt model and test, and the mart suites passed (warnings do not block), and
checked with a fresh read-only connection before the job says it published. One build at a time uses a build
folder (a lock file). Every run, failed ones included, is logged beside the published file, a publishing run
before the rename and again after it; Data Docs are rewritten in the build directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb
import yaml

from churn_warehouse import __version__, resources
from churn_warehouse.publishing import (
    BuildFolderLocked,
    PublishError,
    PublishPlan,
    build_folder_lock,
    describe_process,
    disk_full_message,
    is_disk_full,
    plan_publish,
    publish,
    publish_lock,
    read_write_holders,
)

if TYPE_CHECKING:
    from churn_warehouse.quality.report import QualityRun
    from churn_warehouse.quality.settings import QualitySettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PUBLISHED_DB = PROJECT_DIR / "warehouse.duckdb"
DEFAULT_BUILD_DB = PROJECT_DIR / "build" / "warehouse.duckdb"


@dataclass(frozen=True)
class BuildResult:
    """What one run did: whether it passed, what dbt and the validations printed, and the quality run behind it.

    `quality` is None for a bare `dbt build` (run_dbt_build); build_and_publish always sets it. `db_path` is
    None for a build on a server target (run_server_build).
    """

    ok: bool
    output: str
    db_path: Path | None
    quality: QualityRun | None = None


def dbt_executable() -> str:
    """The dbt command of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _run_command(command: list[str], env: dict[str, str], echo: bool) -> tuple[bool, str]:
    """Run a command in the project, streaming its output when `echo`; returns (passed, output)."""
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if echo:
            print(line, end="", flush=True)
    return process.wait() == 0, "".join(lines)


def dbt_build_on(
    target: str,
    dbt_vars: dict[str, object],
    work_dir: Path,
    extra_args: list[str] | None = None,
    *,
    echo: bool = True,
    **environment: str,
) -> tuple[bool, str]:
    """One `dbt build` of the project on `target` (dbt's target/ and logs/ in `work_dir`); (passed, output)."""
    arguments = [
        "build",
        "--target", target,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(dbt_vars),
        *(extra_args or []),
    ]
    env = {
        **os.environ,
        "CHURN_WAREHOUSE_VERSION": __version__,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **environment,
    }
    return _run_command([dbt_executable(), *arguments], env, echo)


def clear_build_file(db_path: Path, *, keep_file: bool = False) -> None:
    """Remove what an earlier build left at `db_path`: the file and its WAL (unless `keep_file`), and the spill
    files of an interrupted build in the default temp folder (a folder set by the user is left alone)."""
    if not keep_file:
        for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
            stale.unlink(missing_ok=True)
    shutil.rmtree(resources.default_temp_directory(db_path), ignore_errors=True)


# dbt unit tests check the models' logic on fixed inputs and read no raw data, so a build of the user's data
# leaves them out, as dbt advises for production builds; the test suite runs every one of them once on DuckDB
# (tests/python/test_hand_worked_fixture.py) and in each server engine's parity build (DECISIONLOG.md).
SKIP_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def run_dbt_build(
    db_path: Path,
    dbt_vars: dict[str, object],
    *,
    work_dir: Path | None = None,
    echo: bool = True,
    extra_args: list[str] | None = None,
    keep_file: bool = False,
    unit_tests: bool = False,
) -> BuildResult:
    """Run `dbt build` of the whole project into `db_path`, streaming dbt's progress when `echo`.

    The build starts from an empty file, or with `keep_file` from the file already at `db_path` (a daily run on a
    copy of the published warehouse: incremental models add to what it holds, the other models are rebuilt).
    dbt's unit tests run only with `unit_tests` (SKIP_UNIT_TESTS).
    """
    db_path = Path(db_path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    clear_build_file(db_path, keep_file=keep_file)
    work_dir = Path(work_dir or db_path.parent).resolve()
    ok, output = dbt_build_on(
        "duckdb", dbt_vars, work_dir, [*(extra_args or []), *([] if unit_tests else SKIP_UNIT_TESTS)], echo=echo,
        CHURN_WAREHOUSE_BUILD_DB=str(db_path), **resources.duckdb_environment(db_path),
        **{SETTINGS_DIGEST_VARIABLE: settings_digest(project_vars(dbt_vars))},
    )
    return BuildResult(ok=ok, output=output, db_path=db_path)


# The three phases of a build on a server target, where dbt cannot run the Python models (tag python_step):
# the models and seeds they read, with those models' unit tests; then the Python models
# (churn_warehouse.python_step); then every other model with every data test and the other unit tests.
PYTHON_MODEL_INPUTS = ["--select", "+tag:python_step", "--exclude", "tag:python_step",
                       "--resource-type", "model", "--resource-type", "seed", "--resource-type", "unit_test"]
AFTER_PYTHON_MODELS = ["--exclude", "+tag:python_step,resource_type:model", "+tag:python_step,resource_type:seed",
                       "--indirect-selection", "empty"]


def run_server_build(
    target: str,
    dbt_vars: dict[str, object],
    work_dir: Path,
    *,
    echo: bool = True,
    extra_args: list[str] | None = None,
) -> BuildResult:
    """`dbt build` on a server target (postgres, spark) whose raw tables are loaded, in three phases.

    The Python models run in a process of their own, so an engine held by one process at a time (Spark's
    local metastore) is free again for dbt's last phase. Where the engine can (PostgreSQL), the build writes
    build schemas that replace the live ones only when everything passed.
    """
    from churn_warehouse.targets import engine

    io = engine(target)
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    io.prepare_build()
    build_vars = {**dbt_vars, **io.BUILD_VARS}
    ok, first = dbt_build_on(target, build_vars, work_dir, [*PYTHON_MODEL_INPUTS, *(extra_args or [])], echo=echo)
    if not ok:
        return BuildResult(ok=False, output=first, db_path=None)
    ok, step = _run_command(
        [sys.executable, "-m", "churn_warehouse", "python-models", "--target", target,
         "--manifest", str(work_dir / "target" / "manifest.json")],
        {**os.environ, "CHURN_WAREHOUSE_VERSION": __version__}, echo,
    )
    if not ok:
        return BuildResult(ok=False, output=first + step, db_path=None)
    ok, last = dbt_build_on(target, build_vars, work_dir, [*AFTER_PYTHON_MODELS, *(extra_args or [])], echo=echo)
    if ok:
        published = io.publish_build()
        last += f"Published on {target}: {', '.join(published) or 'built in place'}\n"
    return BuildResult(ok=ok, output=first + step + last, db_path=None)


__all__ = ["BuildFolderLocked", "BuildResult", "build_and_publish", "build_folder_lock", "publish", "run_dbt_build"]


def _problem(error: BaseException, path: Path, setting: str) -> str:
    """An error in the user's words: a full disk named with its free space and the setting to change."""
    if is_disk_full(error):
        return disk_full_message(path, setting)
    if isinstance(error, PublishError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def project_vars(dbt_vars: dict[str, object]) -> dict[str, object]:
    """The dbt vars this build runs with: the defaults of dbt_project.yml overridden by `dbt_vars`."""
    defaults = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")).get("vars") or {}
    return {**defaults, **dbt_vars}


# ------------------------------------------------------------------ daily runs: start from the published file

FULL_REFRESH_HINT = "run with --full-refresh after late or corrected data older than the lookback"


# The dbt vars marts.build_info has a column of its own for; settings_digest covers every other one.
VARS_WITH_OWN_COLUMN = ("raw_path", "raw_format", "reporting_currency")
SETTINGS_DIGEST_VARIABLE = "CHURN_WAREHOUSE_SETTINGS_DIGEST"


def settings_digest(variables: dict[str, object]) -> str:
    """A digest of the dbt vars a build runs with (project_vars), but those of VARS_WITH_OWN_COLUMN: the health
    snapshots a daily run keeps were computed with the thresholds and weights among them."""
    settings = {name: value for name, value in variables.items() if name not in VARS_WITH_OWN_COLUMN}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


def _expected_build_info(variables: dict[str, object], raw_path: Path) -> dict[str, str]:
    """What build_info of a published warehouse says when it was built from the same inputs as this build: the
    rows incremental models keep were read from these raw files, in this format and currency, with these dbt
    vars, by this version."""
    return {"raw_path": str(raw_path), "raw_format": str(variables["raw_format"]),
            "reporting_currency": str(variables["reporting_currency"]), "package_version": __version__,
            "settings_digest": settings_digest(variables)}


def _read_build_info(db_path: Path) -> dict[str, object]:
    """The one row of marts.build_info of a DuckDB warehouse (read-only)."""
    with duckdb.connect(str(db_path), read_only=True) as connection:
        cursor = connection.execute("select * from marts.build_info")
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    if len(rows) != 1:
        raise ValueError(f"marts.build_info holds {len(rows)} rows instead of one")
    return dict(zip(names, rows[0]))


def _project_path(text: str) -> Path:
    """A path as dbt reads it: relative ones from the project folder."""
    path = Path(text)
    return (path if path.is_absolute() else PROJECT_DIR / path).resolve()


def _mismatches(found: dict[str, object], expected: dict[str, str]) -> list[str]:
    """The build_info values that differ from this build's, as 'name was X, now Y'."""
    problems = []
    for key, now in expected.items():
        was = found.get(key)
        same = was is not None and (
            _project_path(str(was)) == _project_path(now) if key == "raw_path" else str(was) == now)
        if same:
            continue
        change = f"{key} was {was!r}, now {now!r}"
        problems.append(f"the dbt vars changed ({change})" if key == "settings_digest" else change)
    return problems


def start_from_published(published_db: Path, build_db: Path, expected: dict[str, str]) -> str | None:
    """Copy the published warehouse to `build_db` for a daily run; None when the build may start from the copy,
    else why it starts from an empty file instead (the copy is then removed).

    The published file is only read, with plain file reads (no DuckDB connection: it takes no lock a dashboard
    would notice), and checked on the copy: its build_info must name the same raw files, format, currency and
    package version as this build.
    """
    writers = read_write_holders(published_db)
    if writers:
        return (f"{published_db} is open read-write by {describe_process(writers[0])}, so a copy of it could be "
                "torn")
    clear_build_file(build_db)
    try:
        shutil.copyfile(published_db, build_db)
        built = _read_build_info(build_db)
    except OSError as error:
        reason = f"{published_db} could not be copied to {build_db}: {_problem(error, build_db, '--build-db')}"
    except (duckdb.Error, ValueError) as error:
        reason = f"marts.build_info of {published_db} could not be read: {error}"
    else:
        problems = _mismatches(built, expected)
        if not problems:
            return None
        reason = f"the published warehouse was built from other inputs ({'; '.join(problems)})"
    clear_build_file(build_db)
    return reason


def plan_daily_run(
    published_db: Path, build_db: Path, variables: dict[str, object], raw_path: Path, full_refresh: bool
) -> tuple[bool, str | None]:
    """(start from a copy of the published file, the line that says how the build starts, or None for a first
    build: unchanged)."""
    if full_refresh:
        return False, ("Full refresh: the build starts from an empty file and rebuilds every "
                       "incremental model from all raw files.")
    if not published_db.exists():
        return False, None
    reason = start_from_published(published_db, build_db, _expected_build_info(variables, raw_path))
    if reason:
        return False, f"Full build, not a daily run: {reason}; the build starts from an empty file."
    return True, (f"Daily run: the build starts from a copy of {published_db}; incremental models add the rows "
                  f"of the new raw files, the other models are rebuilt ({FULL_REFRESH_HINT}).")


def build_and_publish(
    dbt_vars: dict[str, object],
    published_db: Path = DEFAULT_PUBLISHED_DB,
    build_db: Path = DEFAULT_BUILD_DB,
    *,
    echo: bool = True,
    settings: QualitySettings | None = None,
    dbt_args: list[str] | None = None,
    full_refresh: bool = False,
) -> BuildResult:
    """Validate raw → dbt build into `build_db` → validate marts → publish over `published_db`; stop at a failure.

    A stop at any step leaves `published_db` untouched. Data Docs land in `<build_db dir>/data_docs/`, the
    run log in `data_quality_runs.jsonl` beside `published_db`; a run that publishes also writes
    `marts.data_quality_runs` into the build file first. `dbt_args` are passed on to `dbt build`.
    When a published warehouse exists the build starts from a copy of it (a daily run, plan_daily_run), unless
    `full_refresh` (dbt's --full-refresh, from an empty file).
    A build that cannot start (the files cannot be published, or another build holds the build folder) stops
    at once, is not logged, and returns a result without `quality`.
    """
    say = print if echo else (lambda *args, **kwargs: None)
    with ExitStack() as held:
        try:
            plan = plan_publish(build_db, published_db)
            held.enter_context(build_folder_lock(plan.build_db.parent))
        except (PublishError, BuildFolderLocked) as error:
            message = f"Build not started: {error}"
            say(message, flush=True)
            return BuildResult(ok=False, output=message, db_path=Path(build_db).resolve())
        return _build_and_publish(dbt_vars, plan, say, echo=echo, settings=settings, dbt_args=dbt_args,
                                  full_refresh=full_refresh)


def _build_and_publish(
    dbt_vars: dict[str, object],
    plan: PublishPlan,
    say: Callable[..., None],
    *,
    echo: bool,
    settings: QualitySettings | None,
    dbt_args: list[str] | None,
    full_refresh: bool,
) -> BuildResult:
    """build_and_publish, run while this job holds the build folder's lock."""
    # Imported here: Great Expectations takes seconds to import, and a bare dbt build does not need it.
    from churn_warehouse.quality.mart_suites import mart_suites
    from churn_warehouse.quality.quarantine import quarantine_groups
    from churn_warehouse.quality.raw_frames import RawInputs
    from churn_warehouse.quality.raw_suites import raw_suites
    from churn_warehouse.quality.report import QualityRun, dbt_failure_excerpt, stopped_outcome, utc_now
    from churn_warehouse.quality.run_log import append_run, log_path_for, settle_log, write_runs_table
    from churn_warehouse.quality.runner import QualityProject
    from churn_warehouse.quality.settings import QualitySettings
    from churn_warehouse.summary import format_quality_summary

    settings = settings or QualitySettings()
    build_db, published_db = plan.build_db, plan.published_db
    variables = project_vars(dbt_vars)
    raw_path = Path(str(variables["raw_path"]))
    raw_path = raw_path if raw_path.is_absolute() else PROJECT_DIR / raw_path
    project = QualityProject(build_db.parent, settings)
    run = QualityRun(
        raw_path=str(raw_path), raw_format=str(variables["raw_format"]),
        as_of_date=str(variables["as_of_date"]) if variables.get("as_of_date") else None,
        build_db=build_db, published_db=published_db, data_docs_index=project.data_docs_index,
        log_path=log_path_for(published_db),
    )
    outputs: list[str] = []
    if not plan.same_filesystem:
        say(f"The build folder {build_db.parent} is on another filesystem than {published_db.parent}: "
            "publishing will copy the build file beside the published one, then rename it.", flush=True)
    for pid in read_write_holders(published_db):
        say(f"Warning: {published_db} is open read-write by {describe_process(pid)}; publishing will be refused "
            "unless that connection is closed by then.", flush=True)

    def record(error: str | None = None) -> dict[str, object]:
        entry = {**run.as_record(), "publish": {"mode": plan.mode}}
        if error:
            entry["stage_errors"] = {**entry["stage_errors"], "publish": error}
        return entry

    def log(entry: dict[str, object]) -> str | None:
        """Append to the run log; None, or what went wrong in the user's words."""
        try:
            append_run(run.log_path, entry)
        except OSError as error:
            return f"the run could not be logged in {run.log_path}: {_problem(error, run.log_path, '--warehouse')}"
        return None

    def publish_run() -> tuple[list[str], list[str]]:
        """Log the run as publishing, publish, log it as published; (notes, problems). Sets run.outcome."""
        def fail(problem: str) -> tuple[list[str], list[str]]:
            run.outcome, run.finished_at = "publish_failed", utc_now()
            logged = log(record(problem))
            return [], [f"Not published: {problem}", *([logged] if logged else [])]

        with publish_lock(published_db):
            try:
                earlier = settle_log(run.log_path, published_db)
            except OSError as error:
                return fail(f"the run log {run.log_path} could not be updated: "
                            f"{_problem(error, run.log_path, '--warehouse')}")
            run.outcome = "published"
            try:
                write_runs_table(build_db, [*earlier, record()])
            except duckdb.Error as error:
                return fail(f"marts.data_quality_runs could not be written into {build_db}: "
                            f"{_problem(error, build_db, '--build-db')}")
            run.outcome = "publishing"
            problem = log(record())
            if problem:
                return fail(problem)
            try:
                notes = publish(build_db, published_db)
            except (PublishError, OSError, duckdb.Error) as error:
                return fail(_problem(error, published_db, "--warehouse"))
            run.outcome, run.finished_at = "published", utc_now()
            problem = log(record())
        return notes, ([f"{problem}; the next run records it as published from marts.data_quality_runs"]
                       if problem else [])

    def finish(outcome: str, dbt_output: str = "") -> BuildResult:
        run.outcome, run.finished_at = outcome, utc_now()
        if outcome == "published":
            notes, problems = publish_run()
        else:
            notes, problem = [], log(record())
            problems = [problem] if problem else []
        summary = "\n".join([format_quality_summary(run), *(f"  {line}" for line in notes + problems)])
        say("\n" + summary, flush=True)
        return BuildResult(
            ok=run.outcome == "published", output="\n".join([dbt_output, *outputs, summary]), db_path=build_db,
            quality=run,
        )

    def validate_raw() -> list:
        raw = RawInputs(raw_path, run.raw_format, run.as_of_date, settings,
                        max_rate_age_days=int(variables.get("max_rate_age_days", 7)),
                        billing_source=str(variables.get("billing_source", "contract")))
        try:
            return raw_suites(raw)
        finally:
            raw.close()

    say(f"Validating raw inputs in {raw_path} ({run.raw_format}) with Great Expectations ...", flush=True)
    run.raw = project.run_stage("raw", validate_raw)
    say(f"  raw inputs: {len(run.raw.suites)} suites in {run.raw.seconds:.1f} s, "
        f"{len(run.raw.blocking_failures)} blocking expectations failed, {len(run.raw.warnings)} warnings", flush=True)
    if not run.raw.passed:
        return finish(stopped_outcome(run.raw))

    daily, how = plan_daily_run(published_db, build_db, variables, raw_path, full_refresh)
    if how:
        say(how, flush=True)
        outputs.append(how)
    say(f"dbt build into {build_db} ...", flush=True)
    started = time.perf_counter()
    dbt = run_dbt_build(build_db, dbt_vars, echo=echo, keep_file=daily,
                        extra_args=[*(dbt_args or []), *(["--full-refresh"] if full_refresh else [])])
    run.dbt_ran, run.dbt_ok, run.dbt_seconds = True, dbt.ok, time.perf_counter() - started
    run.quarantine = quarantine_groups(build_db, sample_size=3)
    if not dbt.ok:
        run.dbt_error = dbt_failure_excerpt(dbt.output)
        return finish("dbt_build_failed", dbt.output)

    say("Validating marts with Great Expectations ...", flush=True)

    def validate_marts() -> list:
        plan = mart_suites(build_db, settings)
        run.missing_figures, run.empty_marts = plan.missing_figures, plan.empty_marts
        return plan.suites

    run.marts = project.run_stage("marts", validate_marts)
    say(f"  marts: {len(run.marts.suites)} suites in {run.marts.seconds:.1f} s, "
        f"{len(run.marts.blocking_failures)} blocking expectations failed, {len(run.marts.warnings)} warnings",
        flush=True)
    if not run.marts.passed:
        return finish(stopped_outcome(run.marts), dbt.output)
    return finish("published", dbt.output)
