"""Build the dbt project into a work file, then publish it over the warehouse only when everything passed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from churn_warehouse import __version__

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PUBLISHED_DB = PROJECT_DIR / "warehouse.duckdb"
DEFAULT_BUILD_DB = PROJECT_DIR / "build" / "warehouse.duckdb"


@dataclass(frozen=True)
class BuildResult:
    """What one `dbt build` did: whether every model and test passed, and what dbt printed."""

    ok: bool
    output: str
    db_path: Path


def dbt_executable() -> str:
    """The dbt command of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt_build(
    db_path: Path,
    dbt_vars: dict[str, object],
    *,
    work_dir: Path | None = None,
    echo: bool = True,
    extra_args: list[str] | None = None,
) -> BuildResult:
    """Run `dbt build` of the whole project into `db_path` (a fresh file), streaming dbt's progress when `echo`."""
    db_path = Path(db_path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    work_dir = Path(work_dir or db_path.parent).resolve()
    env = {
        **os.environ,
        "CHURN_WAREHOUSE_BUILD_DB": str(db_path),
        "CHURN_WAREHOUSE_VERSION": __version__,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        dbt_executable(),
        "build",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(dbt_vars),
        *(extra_args or []),
    ]
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if echo:
            print(line, end="", flush=True)
    return BuildResult(ok=process.wait() == 0, output="".join(lines), db_path=db_path)


def publish(build_db: Path, published_db: Path) -> None:
    """Atomically replace the published warehouse by the build file (same file name, same filesystem)."""
    build_db, published_db = Path(build_db).resolve(), Path(published_db).resolve()
    if build_db.name != published_db.name:
        raise ValueError(
            f"the build file and the published file must share a name (DuckDB views remember it): "
            f"{build_db.name} != {published_db.name}"
        )
    published_db.parent.mkdir(parents=True, exist_ok=True)
    os.replace(build_db, published_db)


def build_and_publish(
    dbt_vars: dict[str, object],
    published_db: Path = DEFAULT_PUBLISHED_DB,
    build_db: Path = DEFAULT_BUILD_DB,
    *,
    echo: bool = True,
) -> BuildResult:
    """Build into `build_db`; publish over `published_db` only when the build and all its tests passed."""
    result = run_dbt_build(build_db, dbt_vars, echo=echo)
    if result.ok:
        publish(build_db, published_db)
    return result
