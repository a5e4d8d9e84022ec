"""dbt's documentation site for the published warehouse: `python -m churn_warehouse docs`.

A plain `dbt docs generate` opens the file the build writes (build/warehouse.duckdb), which publishing moved
away: it finds no tables, writes an empty catalog and leaves an empty file behind. Here dbt uses the profile's
`docs` target instead, an in-memory database with the published file attached read-only under the name the
build gave its relations (the file's stem), and runs without compiling (`--no-compile`): compiling would run
the on-run-start hooks, which register the raw files as views, a write. The published file stays byte for byte
as it was, and a dashboard reading it is not disturbed. The site shows each model's SQL as written.
"""

from __future__ import annotations

import os
from pathlib import Path

from churn_warehouse import __version__
from churn_warehouse.build import PROJECT_DIR, _run_command, dbt_executable

DOCS_TARGET = "docs"


def docs_environment(published_db: Path) -> dict[str, str]:
    """The settings that point the profile's `docs` target at `published_db`."""
    return {"CHURN_WAREHOUSE_DOCS_DB": str(published_db), "CHURN_WAREHOUSE_DOCS_DB_NAME": published_db.stem}


def generate_docs(published_db: Path, target_path: Path, *, echo: bool = True) -> tuple[bool, str]:
    """Write manifest.json, catalog.json and index.html for the published warehouse into `target_path`.

    `dbt parse` writes the manifest (with every description); `dbt docs generate --no-compile` reads the
    catalog (tables, columns, types, comments) from the published file. Returns (passed, dbt's output).
    """
    published_db, target_path = Path(published_db).resolve(), Path(target_path).resolve()
    if not published_db.is_file():
        return False, (
            f"No published warehouse at {published_db}: run `python -m churn_warehouse demo` (or `build`) first, "
            "or give its path with --warehouse.\n"
        )
    env = {
        **os.environ,
        **docs_environment(published_db),
        "CHURN_WAREHOUSE_VERSION": __version__,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    common = [
        "--target", DOCS_TARGET,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(target_path / "logs"),
    ]
    output = ""
    for command in (["parse"], ["docs", "generate", "--no-compile"]):
        ok, printed = _run_command([dbt_executable(), *command, *common], env, echo)
        output += printed
        if not ok:
            return False, output
    return True, output


def main(published_db: Path, target_path: Path) -> int:
    """The `docs` subcommand: generate, then say how to browse the site."""
    ok, output = generate_docs(published_db, target_path)
    if not ok:
        print(output if output.startswith("No published") else "dbt docs generate failed (see above).")
        return 1
    serve = "" if Path(target_path).resolve() == PROJECT_DIR / "target" else f" --target-path {target_path}"
    print(f"\nDocs of {Path(published_db).resolve()} written to {target_path}. Browse them with "
          f"`.venv/bin/dbt docs serve --profiles-dir .{serve}` (http://localhost:8080).")
    return 0
