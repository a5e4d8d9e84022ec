"""Read-only access to the published warehouse: one short connection per query, so a build is never blocked.

DuckDB lets one writer or many readers hold a file, never both. The build writes a separate file and
renames it over the published one, so a reader that opens the published file read-only and closes it at
once never blocks the build, and keeps reading the last published marts until the rename.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Sequence

import duckdb
import pandas as pd

REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_WAREHOUSE = REPO_DIR / "warehouse.duckdb"
WAREHOUSE_ENV = "CHURN_WAREHOUSE_DB"
BUILD_COMMAND = "scripts/demo.sh"


class WarehouseId(NamedTuple):
    """The published file's identity: a publish changes it, so cached figures keyed on it are refreshed."""

    path: str
    modified_ns: int
    size: int
    inode: int


class WarehouseUnavailable(Exception):
    """The published warehouse cannot be read: missing, not a DuckDB file, or held by a writer."""


def warehouse_path() -> Path:
    """The published warehouse: `CHURN_WAREHOUSE_DB`, default the repository's `warehouse.duckdb`."""
    configured = os.environ.get(WAREHOUSE_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else DEFAULT_WAREHOUSE


def identify(path: Path | None = None) -> WarehouseId:
    """Identity of the published file now; raises WarehouseUnavailable when there is none."""
    path = path or warehouse_path()
    try:
        status = path.stat()
    except FileNotFoundError:
        raise WarehouseUnavailable(f"There is no warehouse at {path} yet.") from None
    if not path.is_file() or status.st_size == 0:
        raise WarehouseUnavailable(f"{path} is not a warehouse file (it is empty or a folder).")
    return WarehouseId(str(path), status.st_mtime_ns, status.st_size, status.st_ino)


def run_query(warehouse: WarehouseId, sql: str, parameters: Sequence[object] = ()) -> pd.DataFrame:
    """Rows of `sql` with its `?` parameters bound, from a read-only connection that is closed at once."""
    try:
        connection = duckdb.connect(warehouse.path, read_only=True)
    except duckdb.Error as error:
        raise WarehouseUnavailable(f"The warehouse at {warehouse.path} cannot be opened: {error}") from error
    try:
        return connection.execute(sql, list(parameters)).df()
    finally:
        connection.close()
