"""Per-engine input and output for the server targets (PostgreSQL, Spark).

Each engine module has the same three functions: `load_raw` (the raw files of RAW_CONTRACT.md into
`raw_schema`), `read_table` and `write_table` (frames in and out, for the Python models' step). DuckDB needs
none of them: it reads the raw files in place and runs the Python models inside dbt.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

SERVER_TARGETS = ("postgres", "spark")


def engine(target: str) -> ModuleType:
    """The I/O module of a server target (`postgres` or `spark`)."""
    if target not in SERVER_TARGETS:
        raise ValueError(f"no loader for target {target!r}: server targets are {', '.join(SERVER_TARGETS)}")
    return import_module(f"churn_warehouse.targets.{target}")
