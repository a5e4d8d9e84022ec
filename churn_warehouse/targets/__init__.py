"""Per-engine input and output for the server targets (PostgreSQL, Spark).

Each engine module has the same three functions: `load_raw` (the raw files of docs/raw_contract.md into
`raw_schema`), `read_table` and `write_table` (frames in and out, for the Python models' step). DuckDB needs
none of them: it reads the raw files in place and runs the Python models inside dbt.
"""

from __future__ import annotations

import re
from importlib import import_module
from types import ModuleType

SERVER_TARGETS = ("postgres", "spark")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_schema_name(name: str) -> str:
    """`name` if it is a plain schema name; else ValueError. The dbt models read raw_schema unquoted, as SQL."""
    if not _PLAIN_NAME.fullmatch(name):
        raise ValueError(
            f"raw schema {name!r} is not a plain schema name (letters, digits and _; no digit first): the dbt "
            "models read it as SQL. Choose another --raw-schema (dbt var raw_schema)."
        )
    return name


def engine(target: str) -> ModuleType:
    """The I/O module of a server target (`postgres` or `spark`)."""
    if target not in SERVER_TARGETS:
        raise ValueError(f"no loader for target {target!r}: server targets are {', '.join(SERVER_TARGETS)}")
    return import_module(f"churn_warehouse.targets.{target}")
