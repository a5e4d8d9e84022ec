"""The dbt Python models on server targets, where dbt cannot run them (dbt-postgres, dbt-spark session).

The same model files run here: each `models/**/*.py` gets a stand-in for dbt's `dbt` object whose `ref()` reads
the input relation through the target's connection and whose `config.get()` returns the model's config as
dbt rendered it into the manifest. The frame the model returns is written where dbt would have put it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import duckdb
import pandas as pd

from churn_warehouse.targets import engine

PYTHON_STEP_TAG = "python_step"


class _Ref:
    """What `dbt.ref(name)` returns in a Python model: `.df()` gives the relation as a pandas frame; `.project`,
    `.filter` and `.aggregate` take the SQL a DuckDB relation's methods of those names take, and `.df()` runs the
    chained steps in one DuckDB relation on the frame read once."""

    def __init__(self, read: Callable[[], pd.DataFrame],
                 steps: tuple[Callable[[duckdb.DuckDBPyRelation], duckdb.DuckDBPyRelation], ...] = ()) -> None:
        self._read = read
        self._steps = steps

    def df(self) -> pd.DataFrame:
        frame = self._read()
        if not self._steps:
            return frame
        with duckdb.connect() as connection:
            relation = connection.from_df(frame)
            for step in self._steps:
                relation = step(relation)
            return relation.df()

    def _then(self, step: Callable[[duckdb.DuckDBPyRelation], duckdb.DuckDBPyRelation]) -> _Ref:
        return _Ref(self._read, (*self._steps, step))

    def project(self, columns: str) -> _Ref:
        return self._then(lambda relation: relation.project(columns))

    def filter(self, condition: str) -> _Ref:
        return self._then(lambda relation: relation.filter(condition))

    def aggregate(self, expressions: str, groups: str = "") -> _Ref:
        return self._then(lambda relation: relation.aggregate(expressions, groups))


class _Config:
    """What `dbt.config` is in a Python model: `get(key)` returns the model's rendered config value."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)


class _Dbt:
    """The part of dbt's Python-model API the package's models use: `ref(name)` (with `.df()`, `.project(...)`,
    `.filter(...)` and `.aggregate(...)`), `config.get(key)` and `is_incremental`, always false: server targets
    rebuild every Python model in full."""

    is_incremental = False

    def __init__(self, node: dict[str, Any], relations: dict[str, tuple[str, str]], read_table: Callable) -> None:
        self._relations = relations
        self._read_table = read_table
        self.config = _Config(node["config"])

    def ref(self, name: str) -> _Ref:
        schema, identifier = self._relations[name]
        return _Ref(lambda: self._read_table(schema, identifier))


def python_models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The Python models of the manifest, each after the Python models it reads.

    The build phases run every Python model between the models they read and the models that read them, so
    a SQL model may not lie between two Python models; that is refused here.
    """
    nodes = {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node.get("language") == "python"
    }
    for node_id, node in nodes.items():
        for parent in node["depends_on"]["nodes"]:
            if parent not in nodes and _reads_any(manifest, parent, set(nodes)):
                raise ValueError(
                    f"Python model {node['name']} reads {parent}, which reads another Python model: the build phases "
                    "cannot order that on server targets; make the SQL model read its inputs directly"
                )
    ordered: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in ordered:
            return
        for parent in nodes[node_id]["depends_on"]["nodes"]:
            if parent in nodes:
                visit(parent)
        ordered.append(node_id)

    for node_id in sorted(nodes):
        visit(node_id)
    return [nodes[node_id] for node_id in ordered]


def _reads_any(manifest: dict[str, Any], node_id: str, targets: set[str]) -> bool:
    """Whether `node_id` depends, directly or not, on any node of `targets`."""
    parents = manifest["nodes"].get(node_id, {}).get("depends_on", {}).get("nodes", [])
    return any(parent in targets or _reads_any(manifest, parent, targets) for parent in parents)


def _load_model_module(project_dir: Path, node: dict[str, Any]) -> ModuleType:
    path = project_dir / node["original_file_path"]
    spec = importlib.util.spec_from_file_location(f"churn_warehouse_model_{node['name']}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_python_models(target: str, manifest_path: Path, project_dir: Path) -> dict[str, int]:
    """Run every Python model of the manifest on `target`; returns the rows written per model."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    relations = {
        node["name"]: (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }
    io = engine(target)
    written: dict[str, int] = {}
    for node in python_models(manifest):
        missing_tag = PYTHON_STEP_TAG not in node["config"].get("tags", [])
        if missing_tag:
            raise ValueError(f"Python model {node['name']} lacks the tag '{PYTHON_STEP_TAG}' that the build phases select on")
        frame = _load_model_module(project_dir, node).model(_Dbt(node, relations, io.read_table), None)
        io.write_table(node["schema"], node["alias"], frame)
        written[node["name"]] = len(frame)
    return written
