"""Shared fixtures: build the dbt project on a raw directory into a throw-away DuckDB file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pytest

from churn_warehouse.build import run_dbt_build

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


@pytest.fixture(scope="session")
def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., BuildOutcome]:
    """Factory: `build_warehouse(raw_dir, **dbt_vars)` runs `dbt build` into a fresh file and returns the outcome."""

    def build(raw_dir: Path, **dbt_vars: object) -> BuildOutcome:
        work_dir = tmp_path_factory.mktemp("build")
        result = run_dbt_build(
            work_dir / "warehouse.duckdb", {"raw_path": str(raw_dir), **dbt_vars}, work_dir=work_dir, echo=False
        )
        return BuildOutcome(ok=result.ok, output=result.output, db_path=result.db_path)

    return build
