"""A BI tool reading the published warehouse: through SQLAlchemy (duckdb-engine), read-only with a connection per
query, it reads every mart while builds are published, without an error, and sees each new build; the published
file holds no view that needs the raw files; and the dashboard, when another program holds the file read-write,
says so instead of telling the user to build.

One dbt build (the hand-worked fixture, through the command line with --vars); the builds published while the
readers run are copies of it with another invocation_id, so the publishing is real and costs no dbt run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from churn_warehouse.__main__ import main
from churn_warehouse.publishing import publish

PROJECT_DIR = Path(__file__).resolve().parents[2]
HAND_WORKED_RAW = PROJECT_DIR / "tests" / "fixtures" / "hand_worked" / "raw"
APP_DIR = PROJECT_DIR / "app"
PUBLISHES = 2
WAIT_S = 120

# A BI client as the README's "Connect a BI tool" sets it up: duckdb-engine, read-only, and either a connection
# per query (NullPool: each query opens the file anew, so it reads the file published last) or one connection
# kept open (the default pool). It reflects the marts' columns as a BI tool does (what fails with SQLAlchemy 2.1.9),
# then reads every column of every mart and the build's invocation_id in rounds until told to stop, writing one
# JSON line per round.
READER = r"""
import json, sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

db, mode, stop, log = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
options = {"poolclass": NullPool} if mode == "per_query" else {}
engine = sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True}, **options)
kept = engine.connect() if mode == "kept" else None

def query(sql):
    if kept is not None:
        return kept.execute(sa.text(sql)).fetchall()
    with engine.connect() as connection:
        return connection.execute(sa.text(sql)).fetchall()

def quoted(name):
    return '"' + name.replace('"', '""') + '"'

with engine.connect() as connection:
    reflected = sa.inspect(connection).get_multi_columns(schema="marts")
marts = {name: ", ".join(quoted(column["name"]) for column in columns) for (_, name), columns in reflected.items()}
with log.open("w") as out:
    while not stop.exists():
        errors, rows = [], 0
        for name, columns in sorted(marts.items()):
            try:
                rows += len(query(f"select {columns} from marts.{quoted(name)}"))
            except Exception as error:
                errors.append(f"marts.{name}: {type(error).__name__}: {error}")
        try:
            seen = query("select invocation_id from marts.build_info")[0][0]
        except Exception as error:
            seen = None
            errors.append(f"marts.build_info: {type(error).__name__}: {error}")
        out.write(json.dumps({"marts": len(marts), "rows": rows, "seen": seen, "errors": errors}) + "\n")
        out.flush()
"""


@dataclass(frozen=True)
class Published:
    """The published warehouse of the fixture build, the raw folder it was built from, and its build folder."""

    path: Path
    raw: Path
    build_db: Path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The hand-worked fixture built and published by the command line, from a raw folder of its own."""
    root = tmp_path_factory.mktemp("bi_access")
    raw = root / "raw"
    shutil.copytree(HAND_WORKED_RAW, raw)
    path, build_db = root / "published" / "warehouse.duckdb", root / "build" / "warehouse.duckdb"
    status = main(["build", "--raw-path", str(raw), "--raw-format", "csv", "--as-of-date", "2024-07-10",
                   "--warehouse", str(path), "--build-db", str(build_db), "--vars", "{gross_margin: 0.75}"])
    assert status == 0
    return Published(path, raw, build_db)


def read_only(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_vars_given_on_the_command_line_reach_dbt(published: Published) -> None:
    margins = read_only(published.path, "select distinct gross_margin from marts.cltv_monthly")
    assert [float(margin) for (margin,) in margins] == [0.75]


def test_every_view_of_the_published_file_reads_without_the_raw_folder(published: Published) -> None:
    moved = published.raw.with_name("raw_moved_away")
    published.raw.rename(moved)
    try:
        with duckdb.connect(str(published.path), read_only=True) as connection:
            views = connection.execute(
                "select schema_name, view_name, sql from duckdb_views() where not internal").fetchall()
            broken = []
            for schema, name, _ in views:
                try:
                    connection.execute(f'select * from "{schema}"."{name}" limit 1').fetchall()
                except duckdb.Error as error:
                    broken.append(f"{schema}.{name}: {error}")
    finally:
        moved.rename(published.raw)
    assert not broken, "views of the published file that need the raw files:\n" + "\n".join(broken)
    assert not [f"{schema}.{name}" for schema, name, sql in views if str(published.raw) in sql]
    # What the views were left out for: the staged tables and the marts are all there.
    assert read_only(published.path, "select count(*) from staging.base_customers")[0][0] > 0


def _rounds(log: Path) -> list[dict]:
    text = log.read_text() if log.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.endswith("}")]


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {WAIT_S} s waiting for {what}"
        time.sleep(0.05)


def test_sqlalchemy_readers_see_no_error_while_builds_publish_and_see_each_new_one(
    published: Published, tmp_path: Path
) -> None:
    script, stop = tmp_path / "reader.py", tmp_path / "stop"
    script.write_text(READER)
    logs = {mode: tmp_path / f"{mode}.jsonl" for mode in ("per_query", "kept")}
    readers = [subprocess.Popen([sys.executable, str(script), str(published.path), mode, str(stop), str(log)],
                                stderr=subprocess.PIPE, text=True) for mode, log in logs.items()]
    first = read_only(published.path, "select invocation_id from marts.build_info")[0][0]
    ids = [first]
    try:
        for log in logs.values():
            _wait_for(lambda log=log: _rounds(log), f"the first round of {log.name}")
        for number in range(PUBLISHES):
            done = len(_rounds(logs["per_query"]))
            _wait_for(lambda: len(_rounds(logs["per_query"])) > done, "a reader round between publishes")
            ids.append(f"republished-{number}")
            shutil.copyfile(published.path, published.build_db)
            with duckdb.connect(str(published.build_db)) as connection:
                connection.execute("update marts.build_info set invocation_id = ?", [ids[-1]])
            publish(published.build_db, published.path)
        _wait_for(lambda: _rounds(logs["per_query"])[-1]["seen"] == ids[-1], "the last publish to be seen")
    finally:
        stop.touch()
        outputs = [reader.communicate(timeout=WAIT_S)[1] for reader in readers]
    assert all(reader.returncode == 0 for reader in readers), outputs

    per_query, kept = _rounds(logs["per_query"]), _rounds(logs["kept"])
    errors = [error for round_ in per_query + kept for error in round_["errors"]]
    assert errors == [], errors[:5]
    marts = read_only(published.path, "select count(*) from information_schema.tables where table_schema = 'marts'")
    assert per_query[0]["marts"] == kept[0]["marts"] == marts[0][0] > 0
    assert all(round_["rows"] > 0 for round_ in per_query + kept)
    # A connection per query sees each build once it is published, in order; one kept open keeps reading the
    # file it opened, which is why a BI tool is set up with a connection per query.
    seen = [round_["seen"] for round_ in per_query]
    assert seen[0] == first and seen[-1] == ids[-1]
    assert [ids.index(value) for value in seen] == sorted(ids.index(value) for value in seen)
    assert len(per_query) > PUBLISHES
    assert {round_["seen"] for round_ in kept} == {first}


def test_dashboard_says_who_holds_the_file_read_write_instead_of_asking_for_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    if str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "time.sleep(300)", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(path))
        app = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=120).run()
    finally:
        holder.kill()
        holder.wait()
    assert not app.exception
    shown = " ".join(element.value for element in app.warning).replace("\\", "")
    assert f"PID {holder.pid}" in shown and "read-write" in shown and "read_only=True" in shown
    assert not any(block.value == "scripts/demo.sh" for block in app.code), "a held file is not a missing build"
