"""Publishing is atomic and verified: a foreign WAL, another filesystem, a second build, a full disk, a kill.

The fast tests publish small DuckDB files with `publish`; the others run the main job on the hand-worked
fixture (some 25 s a build).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from churn_warehouse.build import PROJECT_DIR, build_and_publish, publish
from churn_warehouse.quality.run_log import append_run, log_path_for, read_runs

HAND_WORKED_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "hand_worked" / "raw"
VARS = {"raw_path": str(HAND_WORKED_RAW), "raw_format": "csv", "as_of_date": "2024-07-10"}
# A folder name with a space, both quotes and a semicolon: paths must never be pasted into SQL.
AWKWARD = "it's a \"quoted\"; dir"

# A client that writes to a DuckDB file and dies without a checkpoint, leaving `<file>.wal` behind.
KILLED_WRITER = textwrap.dedent("""
    import os, sys, duckdb
    connection = duckdb.connect(sys.argv[1])
    connection.execute("pragma disable_checkpoint_on_shutdown")
    connection.execute("set checkpoint_threshold = '10GB'")
    connection.execute("create table main.analyst_scratch as select 42 as answer")
    os._exit(0)
""")

# A client that keeps the DuckDB file open read-write until it is killed.
OPEN_WRITER = textwrap.dedent("""
    import sys, time, duckdb
    connection = duckdb.connect(sys.argv[1])
    connection.execute("create or replace table main.analyst_scratch as select 1 as answer")
    print("open", flush=True)
    time.sleep(600)
""")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _small_warehouse(path: Path, mrr: float) -> Path:
    """A DuckDB file with the marts the publish check reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.mrr_monthly as select date '2024-06-01' as month, ?::double as mrr",
                           [mrr])
    return path


def _mrr(path: Path) -> float:
    with duckdb.connect(str(path), read_only=True) as connection:
        return float(connection.execute("select max(mrr) from marts.mrr_monthly").fetchone()[0])


def _leave_wal(path: Path) -> Path:
    """Run a client that writes to `path` and is gone before its checkpoint; returns the WAL it left."""
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], check=True)
    wal = path.with_name(path.name + ".wal")
    assert wal.exists() and wal.stat().st_size > 0, "the writer should have left a WAL"
    return wal


@pytest.fixture()
def shm_dir() -> Iterator[Path]:
    """A folder on /dev/shm (a tmpfs), another filesystem than the test's tmp_path."""
    with tempfile.TemporaryDirectory(dir="/dev/shm", prefix=f"publish {AWKWARD} ") as folder:
        yield Path(folder)


# ------------------------------------------------------------------ the published file's WAL (defect 1)


def test_a_leftover_wal_beside_the_published_file_is_set_aside_and_the_new_file_opens(tmp_path: Path) -> None:
    published = _small_warehouse(tmp_path / "published" / "warehouse.duckdb", 100.0)
    wal = _leave_wal(published)
    build_db = _small_warehouse(tmp_path / "build" / "warehouse.duckdb", 250.0)

    notes = publish(build_db, published)

    assert _mrr(published) == 250.0  # a fresh read-only connection opens the new file
    assert not wal.exists()
    aside = list(published.parent.glob("warehouse.duckdb.wal.set-aside-*"))
    assert len(aside) == 1 and aside[0].stat().st_size > 0
    assert any("set aside" in note and aside[0].name in note for note in notes), notes


def test_publishing_is_refused_while_a_process_holds_the_published_file_read_write(tmp_path: Path) -> None:
    published = _small_warehouse(tmp_path / "published" / "warehouse.duckdb", 100.0)
    build_db = _small_warehouse(tmp_path / "build" / "warehouse.duckdb", 250.0)
    writer = subprocess.Popen([sys.executable, "-c", OPEN_WRITER, str(published)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        before = _digest(published)
        with pytest.raises(Exception) as refused:
            publish(build_db, published)
        message = str(refused.value)
        assert f"pid {writer.pid}" in message and "analyst_scratch" in message, message
        assert "close" in message
        assert _digest(published) == before and build_db.exists()
    finally:
        writer.kill()
        writer.wait()


# ------------------------------------------------------------------ another filesystem (defect 2), disk full (6)


def test_publishing_from_another_filesystem_copies_then_renames(tmp_path: Path, shm_dir: Path) -> None:
    assert os.stat(shm_dir).st_dev != os.stat(tmp_path).st_dev, "the test needs /dev/shm on its own filesystem"
    published = _small_warehouse(tmp_path / AWKWARD / "warehouse.duckdb", 100.0)
    build_db = _small_warehouse(shm_dir / "warehouse.duckdb", 250.0)

    publish(build_db, published)

    assert _mrr(published) == 250.0
    assert not build_db.exists()
    assert sorted(path.name for path in published.parent.iterdir()) == ["warehouse.duckdb"]


def test_disk_full_while_copying_names_the_filesystem_and_leaves_the_published_file(
    tmp_path: Path, shm_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = _small_warehouse(tmp_path / "published" / "warehouse.duckdb", 100.0)
    build_db = _small_warehouse(shm_dir / "warehouse.duckdb", 250.0)
    before = _digest(published)
    import shutil

    def copy_until_full(source: object, target: object, *args: object, **kwargs: object) -> None:
        Path(str(target)).write_bytes(Path(str(source)).read_bytes()[:1000])
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(shutil, "copyfile", copy_until_full)
    with pytest.raises(Exception) as full:
        publish(build_db, published)
    message = str(full.value)
    assert "no space left on device" in message.lower() and "MB free" in message and "--warehouse" in message
    assert _digest(published) == before
    assert sorted(path.name for path in published.parent.iterdir()) == ["warehouse.duckdb"]


def test_disk_full_in_the_run_log_leaves_the_log_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = log_path_for(tmp_path / "warehouse.duckdb")
    old_line = json.dumps({"run_id": "old", "outcome": "published", "published": True}) + "\n"
    log.write_text(old_line)
    real_write = os.write

    def write_until_full(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(log.name):
            real_write(fd, bytes(data)[:7])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_until_full)
    with pytest.raises(OSError) as full:
        append_run(log, {"run_id": "new", "outcome": "published"})
    assert full.value.errno == errno.ENOSPC
    assert log.read_text() == old_line

    fresh = log_path_for(tmp_path / "other" / "warehouse.duckdb")
    with pytest.raises(OSError):
        append_run(fresh, {"run_id": "new", "outcome": "published"})
    assert not fresh.exists()  # never a 0-byte log


# ------------------------------------------------------------------ the build folder's lock (defect 5)

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from churn_warehouse.build import build_folder_lock
    with build_folder_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(600)
""")


def test_a_held_build_lock_names_its_holder_and_a_killed_holder_leaves_none(tmp_path: Path) -> None:
    from churn_warehouse.build import BuildFolderLocked, build_folder_lock

    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              cwd=PROJECT_DIR)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildFolderLocked) as locked:
            with build_folder_lock(tmp_path):
                pass
        message = str(locked.value)
        assert f"pid {holder.pid}" in message and "build_folder_lock" in message
        assert "since" in message and "--build-db" in message
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with build_folder_lock(tmp_path):  # the OS released the killed holder's lock
        pass


# ------------------------------------------------------------------ the main job end to end


def test_publish_to_another_filesystem_over_a_leftover_wal_in_quoted_folders(tmp_path: Path, shm_dir: Path) -> None:
    published = _small_warehouse(tmp_path / AWKWARD / "warehouse.duckdb", 100.0)
    _leave_wal(published)
    build_db = shm_dir / AWKWARD / "warehouse.duckdb"

    result = build_and_publish(VARS, published, build_db, echo=False)

    assert result.ok, result.output[-3000:]
    assert _mrr(published) > 0 and _mrr(published) != 100.0
    assert "set aside" in result.output and "copied" in result.output
    runs = read_runs(log_path_for(published))
    assert [run["outcome"] for run in runs] == ["published"] and runs[0]["run_id"] == result.quality.run_id
    with duckdb.connect(str(published), read_only=True) as connection:
        logged = connection.execute("select distinct run_id, is_published from marts.data_quality_runs").fetchall()
    assert logged == [(result.quality.run_id, True)]


def test_a_second_build_on_the_same_build_folder_stops_at_once_naming_the_first(tmp_path: Path) -> None:
    build_db = tmp_path / "build" / "warehouse.duckdb"
    first = subprocess.Popen(
        [sys.executable, "-m", "churn_warehouse", "build", "--raw-path", str(HAND_WORKED_RAW), "--raw-format", "csv",
         "--as-of-date", VARS["as_of_date"], "--warehouse", str(tmp_path / "first" / "warehouse.duckdb"),
         "--build-db", str(build_db)],
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (build_db.parent / "gx").exists() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.2)
        assert first.poll() is None, first.stdout.read()
        started = time.perf_counter()
        second = build_and_publish(VARS, tmp_path / "second" / "warehouse.duckdb", build_db, echo=False)
        seconds = time.perf_counter() - started
    finally:
        output, _ = first.communicate(timeout=600)
    assert not second.ok
    assert f"pid {first.pid}" in second.output and "churn_warehouse build" in second.output, second.output
    assert seconds < 5, seconds
    assert first.returncode == 0, output[-3000:]
    assert not (tmp_path / "second" / "warehouse.duckdb").exists()


def test_a_kill_right_after_the_rename_keeps_the_run_in_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "published" / "warehouse.duckdb"
    build_db = tmp_path / "build" / "warehouse.duckdb"
    real_replace = os.replace

    class Killed(BaseException):
        """Stands for SIGKILL: nothing after it runs."""

    def replace_then_die(source: object, target: object, *args: object, **kwargs: object) -> None:
        real_replace(source, target, *args, **kwargs)
        if Path(str(target)) == published:
            raise Killed()

    monkeypatch.setattr(os, "replace", replace_then_die)
    with pytest.raises(Killed):
        build_and_publish(VARS, published, build_db, echo=False)
    monkeypatch.undo()
    killed = read_runs(log_path_for(published))
    assert len(killed) == 1, killed
    killed_id = killed[0]["run_id"]
    assert _mrr(published) > 0

    second = build_and_publish(VARS, published, build_db, echo=False)
    assert second.ok, second.output[-3000:]
    runs = {run["run_id"]: run for run in read_runs(log_path_for(published))}
    assert runs[killed_id]["outcome"] == "published" and runs[killed_id]["published"] is True
    with duckdb.connect(str(published), read_only=True) as connection:
        logged = dict(connection.execute(
            "select distinct run_id, is_published from marts.data_quality_runs").fetchall())
    assert logged == {killed_id: True, second.quality.run_id: True}


def test_disk_full_in_the_run_log_is_named_and_the_summary_still_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = _small_warehouse(tmp_path / "published" / "warehouse.duckdb", 100.0)
    build_db = tmp_path / "build" / "warehouse.duckdb"
    log = log_path_for(published)
    old_line = json.dumps({"run_id": "old", "outcome": "published", "published": True}) + "\n"
    log.write_text(old_line)
    before = _digest(published)
    real_write = os.write

    def write_until_full(fd: int, data: bytes) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.endswith(log.name):
            real_write(fd, bytes(data)[:7])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_until_full)
    result = build_and_publish(VARS, published, build_db, echo=False)
    monkeypatch.undo()

    assert not result.ok
    assert "no space left on device" in result.output.lower() and "MB free" in result.output, result.output[-3000:]
    assert f"Data quality (Great Expectations), run {result.quality.run_id}" in result.output
    assert log.read_text() == old_line
    assert _digest(published) == before


def test_a_run_left_publishing_is_settled_from_the_published_file(tmp_path: Path) -> None:
    from churn_warehouse.quality.run_log import settle_log, write_runs_table

    published = _small_warehouse(tmp_path / "warehouse.duckdb", 100.0)
    write_runs_table(published, [{"run_id": "renamed", "outcome": "published", "published": True}])
    log = log_path_for(published)
    old_format = {"run_id": "old", "outcome": "blocked_by_raw_validation", "published": False}
    log.write_text("".join(json.dumps(record) + "\n" for record in (
        old_format,
        {"run_id": "renamed", "outcome": "publishing", "published": False, "published_db": str(published)},
        {"run_id": "killed_before", "outcome": "publishing", "published": False, "published_db": str(published)},
    )))

    assert [run["outcome"] for run in read_runs(log)] == ["blocked_by_raw_validation", "published", "publishing"]
    settled = settle_log(log, published)

    assert [(run["run_id"], run["outcome"], run["published"]) for run in settled] == [
        ("old", "blocked_by_raw_validation", False), ("renamed", "published", True),
        ("killed_before", "publish_interrupted", False),
    ]
    assert len(log.read_text().splitlines()) == 5  # two lines appended, none rewritten
    assert read_runs(log) == settled
