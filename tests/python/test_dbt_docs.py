"""dbt's documentation of the project: every model, source and column described (100 %), the descriptions
persisted as comments in the warehouse, and `python -m churn_warehouse docs` reading the published file
without changing it.

No build of its own: the docs command runs on the DuckDB file of the session's parity build (`parity_duckdb`),
treated as a published warehouse, and the checks read the manifest and catalog the command writes.

Columns are checked against the catalog, the columns the build really made: a model whose yml declares no
column (an intermediate model, say) still fails when one of its columns has no description. Source tables are
views over files, so their columns are checked against the raw contract (macros/raw_contract.sql) instead.
The Stripe models are disabled in an ordinary build; their descriptions are read from the manifest's
disabled nodes.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from churn_warehouse.dbt_docs import generate_docs
from test_docs import _contract_tables

Manifest = dict[str, Any]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def docs_site(parity_duckdb, tmp_path_factory) -> dict[str, Any]:
    """The docs command run on the parity build's file: its output and what it left in the file's folder."""
    published = parity_duckdb.db_path
    before = (_digest(published), sorted(path.name for path in published.parent.iterdir()))
    target = tmp_path_factory.mktemp("docs_site")
    ok, output = generate_docs(published, target, echo=False)
    assert ok, output[-5000:]
    after = (_digest(published), sorted(path.name for path in published.parent.iterdir()))
    return {
        "before": before,
        "after": after,
        "manifest": json.loads((target / "manifest.json").read_text(encoding="utf-8")),
        "catalog": json.loads((target / "catalog.json").read_text(encoding="utf-8")),
        "db_path": published,
    }


def _models(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Every model of the project, enabled or not (the Stripe models are disabled by default)."""
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    for uid, versions in manifest["disabled"].items():
        if uid.startswith("model."):
            models.setdefault(uid, versions[0])
    return models


def _marts(manifest: Manifest) -> dict[str, dict[str, Any]]:
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and node["config"].get("schema") == "marts"}


def test_docs_command_leaves_the_published_file_byte_for_byte_as_it_was(docs_site):
    assert docs_site["after"] == docs_site["before"], (
        "`python -m churn_warehouse docs` changed the published file or left a file beside it: "
        f"before {docs_site['before']}, after {docs_site['after']}"
    )


def test_docs_catalog_holds_every_column_of_every_mart(docs_site):
    catalog, missing = docs_site["catalog"]["nodes"], []
    for uid, node in _marts(docs_site["manifest"]).items():
        found = {name.lower() for name in catalog.get(uid, {}).get("columns", {})}
        missing += [f"{node['name']}.{column}" for column in node["columns"] if column.lower() not in found]
        if uid not in catalog:
            missing.append(f"{node['name']} (no table)")
    assert len(_marts(docs_site["manifest"])) >= 15
    assert not missing, f"the docs catalog of the published file lacks {len(missing)} mart column(s): {missing[:20]}"


def test_every_model_source_and_exposure_has_a_description(docs_site):
    manifest = docs_site["manifest"]
    described = [*_models(manifest).values(), *manifest["sources"].values(), *manifest["exposures"].values()]
    missing = [node["unique_id"] for node in described if not (node.get("description") or "").strip()]
    assert len(described) > 100
    assert not missing, f"{len(missing)} node(s) without a description (models/**/*.yml): {missing}"


def test_every_column_of_every_model_has_a_description(docs_site):
    """Built columns (catalog) and declared columns (yml) alike; a declared column that the model does not
    make is refused too, since its description would describe nothing."""
    manifest, catalog = docs_site["manifest"], docs_site["catalog"]["nodes"]
    undescribed, undeclared, checked = [], [], 0
    for uid, node in _models(manifest).items():
        declared = {name.lower(): spec for name, spec in node.get("columns", {}).items()}
        built = {name.lower() for name in catalog.get(uid, {}).get("columns", {})}
        for column in sorted(built | set(declared)):
            checked += 1
            if not (declared.get(column, {}).get("description") or "").strip():
                undescribed.append(f"{node['name']}.{column}")
        if built:
            undeclared += [f"{node['name']}.{column}" for column in sorted(set(declared) - built)]
    assert checked > 900
    assert not undescribed, (
        f"{len(undescribed)} column(s) without a description; add them to the model's yml with a doc block "
        f"(models/docs/*.md): {undescribed[:40]}"
    )
    assert not undeclared, f"column(s) described in yml but not built by the model: {undeclared}"


def test_every_raw_contract_column_is_described_on_its_source(docs_site):
    sources = {node["name"]: node for node in docs_site["manifest"]["sources"].values() if node["source_name"] == "raw"}
    problems = []
    for table, columns in _contract_tables().items():
        declared = sources[table]["columns"]
        wanted = [name for name, _ in columns]
        if sorted(declared) != sorted(wanted):
            problems.append(f"raw.{table}: yml columns {sorted(declared)} != contract {sorted(wanted)}")
        problems += [f"raw.{table}.{name}" for name in wanted
                     if not (declared.get(name, {}).get("description") or "").strip()]
    assert not problems, "source columns out of step with macros/raw_contract.sql:\n" + "\n".join(problems)


def test_every_mart_table_and_column_carries_its_description_as_a_duckdb_comment(docs_site):
    """persist_docs: a BI tool reading the DuckDB file sees the descriptions (duckdb_columns().comment)."""
    marts = {node["name"]: node for node in _marts(docs_site["manifest"]).values()}
    with duckdb.connect(str(docs_site["db_path"]), read_only=True) as connection:
        columns = connection.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
        ).fetchall()
        tables = dict(connection.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
        ).fetchall())
    dbt_columns = [(table, column, comment) for table, column, comment in columns if table in marts]
    assert {table for table, _, _ in dbt_columns} == set(marts)
    empty = [f"marts.{table}.{column}" for table, column, comment in dbt_columns if not (comment or "").strip()]
    empty += [f"marts.{table} (table)" for table in marts if not (tables.get(table) or "").strip()]
    assert not empty, f"{len(empty)} mart table(s)/column(s) without a comment in DuckDB: {empty[:20]}"


# ------------------------------------------------------------------ reuse, read from the files (no build)

REPO = Path(__file__).resolve().parents[2]
DOC_BLOCK = re.compile(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", re.DOTALL)


def _yml_column_descriptions() -> dict[str, list[str]]:
    """Every column description written out in a models/**/*.yml (not a doc block): text -> columns."""
    texts: dict[str, list[str]] = {}
    for path in sorted((REPO / "models").rglob("*.yml")):
        for model in yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)).get("models") or []:
            for column in model.get("columns") or []:
                text = " ".join((column.get("description") or "").split())
                if text and "doc(" not in text:
                    texts.setdefault(text, []).append(f"{model['name']}.{column['name']}")
    return texts


def test_a_column_description_used_twice_is_a_doc_block_not_a_copy():
    copies = {text: columns for text, columns in _yml_column_descriptions().items() if len(columns) > 1}
    assert not copies, (
        "these descriptions are written out on several columns; put each in one {% docs %} block "
        f"(models/docs/columns.md) and use {{{{ doc('...') }}}}: {copies}"
    )


def test_no_two_doc_blocks_say_the_same():
    seen: dict[str, str] = {}
    twins = []
    for path in sorted((REPO / "models").rglob("*.md")):
        for name, body in DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            text = " ".join(body.split())
            if text in seen:
                twins.append(f"{seen[text]} = {name}")
            seen.setdefault(text, name)
    assert len(seen) > 100
    assert not twins, f"doc blocks with the same text (keep one): {twins}"


def test_every_doc_block_named_in_a_yml_exists():
    """dbt resolves doc() only for enabled models: a wrong name on a Stripe model would pass `dbt parse`."""
    blocks = {name for path in (REPO / "models").rglob("*.md")
              for name, _ in DOC_BLOCK.findall(path.read_text(encoding="utf-8"))}
    named = {(path.name, name) for path in (REPO / "models").rglob("*.yml")
             for name in re.findall(r"doc\(\s*'+(\w+)'+\s*\)", path.read_text(encoding="utf-8"))}
    assert len(named) > 200
    missing = sorted(f"{file}: {name}" for file, name in named if name not in blocks)
    assert not missing, f"doc() names without a {{% docs %}} block: {missing}"


def test_docs_command_without_a_published_warehouse_says_what_to_run(tmp_path, capsys):
    from churn_warehouse.__main__ import main

    missing = tmp_path / "warehouse.duckdb"
    assert main(["docs", "--warehouse", str(missing), "--target-path", str(tmp_path / "site")]) == 1
    printed = capsys.readouterr().out
    assert str(missing) in printed and "python -m churn_warehouse demo" in printed
    assert not missing.exists() and not (tmp_path / "site").exists()
