"""Publishing the build file over the published warehouse: atomic, verified, and one build per build folder.

A DuckDB file is published together with its write-ahead log (`<file>.wal`): a WAL left beside the published
file by another client would be replayed against the new file, which DuckDB then refuses to open. So the build
file is checkpointed (no WAL of its own), a foreign WAL is set aside when no process holds the published file
read-write (and publishing is refused, naming the process, when one does), the new file is renamed into place
(copied beside it first when the build folder is on another filesystem) and opened read-only before anyone is
told it was published. A lock file in the build folder keeps a second build out of a folder in use.

The published file holds no view that reads files: the views over the raw files (and the staging views over
them) name absolute paths, which break as soon as the file is copied, moved or opened where the raw folder is
not, so they are dropped from the build file before it is published. The next build registers them again.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

BUILD_LOCK_NAME = "build.lock"
MEGABYTE = 1_000_000


class PublishError(RuntimeError):
    """Publishing stopped; the message says why and what to do. The published warehouse is as it was."""


class BuildFolderLocked(RuntimeError):
    """Another build holds the build folder's lock."""


@dataclass(frozen=True)
class PublishPlan:
    """How the build file will reach the published path: renamed (same filesystem) or copied, then renamed."""

    build_db: Path
    published_db: Path
    same_filesystem: bool

    @property
    def mode(self) -> str:
        return "rename" if self.same_filesystem else "copy"


def plan_publish(build_db: Path, published_db: Path) -> PublishPlan:
    """Check, before anything is built, that the build file can be published; create both folders."""
    build_db, published_db = Path(build_db).resolve(), Path(published_db).resolve()
    if build_db.name != published_db.name:
        raise PublishError(
            f"the build file and the published file must share a name (DuckDB views remember it): "
            f"{build_db.name} != {published_db.name}; set --build-db to a file named {published_db.name}"
        )
    if build_db == published_db:
        raise PublishError(
            f"the build file is the published file ({published_db}): a build would delete the published "
            "warehouse first; set --build-db to a file in another folder"
        )
    build_db.parent.mkdir(parents=True, exist_ok=True)
    published_db.parent.mkdir(parents=True, exist_ok=True)
    same = build_db.parent.stat().st_dev == published_db.parent.stat().st_dev
    return PublishPlan(build_db, published_db, same)


# ------------------------------------------------------------------ who holds a file


def _command_line(pid: int) -> str:
    """A process's command line as one string (or '?' when it cannot be read)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return " ".join(text.split())[:300] or "?"


def describe_process(pid: int | None) -> str:
    if pid is None:
        return "a process this system does not name"
    return f"pid {pid} ({_command_line(pid)})"


def read_write_holders(path: Path) -> list[int | None]:
    """Processes holding `path` open read-write: DuckDB takes a POSIX write lock for a read-write connection.

    Read from /proc/locks on Linux (readers hold read locks and are not listed); elsewhere a shared-lock probe
    tells only whether a writer exists (listed as None).
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return []
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return [None] if _write_locked(path) else []
    holders: list[int | None] = []
    for line in table.splitlines():
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[3] != "WRITE":
            continue
        try:
            major, minor, inode = (int(part, 16) if index < 2 else int(part)
                                   for index, part in enumerate(fields[5].split(":")))
        except ValueError:
            continue
        if inode == status.st_ino and (major, minor) == (os.major(status.st_dev), os.minor(status.st_dev)):
            pid = int(fields[4])
            if pid > 0 and pid != os.getpid() and pid not in holders:
                holders.append(pid)
    return holders


def _write_locked(path: Path) -> bool:
    """Whether a process holds a write lock on `path` (a shared lock, taken and dropped at once, conflicts)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(descriptor)
    return False


# ------------------------------------------------------------------ the build folder's lock


@contextmanager
def build_folder_lock(folder: Path) -> Iterator[Path]:
    """Hold `<folder>/build.lock` for one build; a second build stops at once, naming the holder.

    An flock is released by the OS when its holder dies, so a killed build never leaves a stale lock; the
    file's content (pid, command, since when) only names the holder.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / BUILD_LOCK_NAME
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildFolderLocked(_locked_message(lock_path)) from None
        holder = {"pid": os.getpid(), "command": _command_line(os.getpid()) if sys.platform == "linux"
                  else " ".join(sys.argv), "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, (json.dumps(holder) + "\n").encode(), 0)
        yield lock_path
    finally:
        os.close(descriptor)


@contextmanager
def publish_lock(published_db: Path) -> Iterator[None]:
    """Hold a lock beside the published file while one job publishes to it (others wait: it takes seconds)."""
    lock_path = published_db.with_name(f".{published_db.name}.publish.lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _locked_message(lock_path: Path) -> str:
    try:
        holder = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    who = (f"pid {holder.get('pid', '?')} ({holder.get('command', '?')}), running since {holder.get('since', '?')}"
           if holder else "a process that has not written its name yet")
    return (f"another build is using the build folder {lock_path.parent}: {who}. Wait for it to finish, or give "
            f"this build a folder of its own with --build-db (lock file {lock_path}).")


# ------------------------------------------------------------------ disk full


def is_disk_full(error: BaseException) -> bool:
    """Whether an error says the disk (or the user's quota) is full; DuckDB says so only in its message."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left on device" in str(error) or "Disk quota exceeded" in str(error)


def _mount_point(path: Path) -> Path:
    path = Path(path).resolve()
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path


def disk_full_message(path: Path, setting: str, needed: int | None = None) -> str:
    """'no space left on device on <filesystem>: N MB free', what was written, and what to do."""
    mount = _mount_point(path)
    free = shutil.disk_usage(mount).free
    need = f"; it needs {needed / MEGABYTE:,.0f} MB" if needed is not None else ""
    return (f"no space left on device on {mount} (writing {path}): {free / MEGABYTE:,.0f} MB free{need}; "
            f"free space there or set {setting} to a folder on a disk with room")


# ------------------------------------------------------------------ publishing


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def checkpoint(db_path: Path) -> None:
    """Fold the file's WAL into it, so the file alone is the whole database."""
    try:
        with duckdb.connect(str(db_path)) as connection:
            connection.execute("checkpoint")
    except duckdb.Error as error:
        if is_disk_full(error):
            raise PublishError(disk_full_message(db_path, "--build-db")) from error
        raise PublishError(f"the build file {db_path} could not be checkpointed: {error}") from error
    if _wal(db_path).exists():
        raise PublishError(f"{db_path} still has a write-ahead log after a checkpoint: another process has it "
                           "open; close it and run the build again")


def _quoted(schema: str, name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))


def drop_file_views(db_path: Path) -> list[str]:
    """Drop every view of the file that reads files, directly or through another view; returns their names.

    Such a view is found by binding each view with file access switched off (DuckDB's enable_external_access):
    only a view that reads a file fails with a permission error, whatever its SQL looks like. Tables are kept.
    """
    try:
        with duckdb.connect(str(db_path), config={"enable_external_access": False}) as connection:
            views = connection.execute(
                "select schema_name, view_name from duckdb_views() where not internal "
                "and database_name = current_database() order by all").fetchall()
            reading_files = []
            for schema, name in views:
                try:
                    connection.execute(f"select * from {_quoted(schema, name)} limit 0")
                except duckdb.PermissionException:
                    reading_files.append((schema, name))
            for schema, name in reading_files:
                connection.execute(f"drop view {_quoted(schema, name)}")
    except duckdb.Error as error:
        if is_disk_full(error):
            raise PublishError(disk_full_message(db_path, "--build-db")) from error
        raise PublishError(f"the views that read raw files could not be dropped from {db_path}: {error}") from error
    return [f"{schema}.{name}" for schema, name in reading_files]


def verify(db_path: Path) -> None:
    """Open the file with a fresh read-only connection and read every relation of schema marts."""
    try:
        with duckdb.connect(str(db_path), read_only=True) as connection:
            names = [row[0] for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
            if "mrr_monthly" not in names:
                raise PublishError(f"{db_path} has no table marts.mrr_monthly")
            for name in names:
                connection.execute(f'select 1 from marts."{name.replace(chr(34), chr(34) * 2)}" limit 1').fetchall()
    except duckdb.Error as error:
        raise PublishError(f"{db_path} cannot be read by a fresh read-only connection: {error}") from error


def _refuse_writers(published_db: Path) -> None:
    """Refuse to publish while a process holds the published file read-write: it would write a mismatched WAL."""
    writers = read_write_holders(published_db)
    if writers:
        names = "; ".join(describe_process(pid) for pid in writers)
        raise PublishError(
            f"{published_db} is open read-write by {names}: its connection would leave a write-ahead log "
            f"({_wal(published_db).name}) that does not match the new file and makes the warehouse unreadable; "
            "close that connection (or open the file with read_only=True) and run the build again"
        )


def _set_aside_wal(published_db: Path) -> str | None:
    """Rename a WAL left beside the published file by a client that is gone; returns a note saying so."""
    wal = _wal(published_db)
    if not wal.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = wal.with_name(f"{wal.name}.set-aside-{stamp}")
    if aside.exists():
        aside = wal.with_name(f"{aside.name}-{os.getpid()}")
    size = wal.stat().st_size
    os.replace(wal, aside)
    return (f"A write-ahead log left beside the published file by a client that is no longer running ({size:,} "
            f"bytes, never checkpointed into it) was set aside as {aside.name}; delete it once nobody needs it.")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(published_db: Path) -> None:
    """Temporary files of an earlier publish that was killed (its process is gone) beside the published file."""
    for pattern in (f".{published_db.name}.incoming-*", f".{published_db.name}.previous-*"):
        for leftover in published_db.parent.glob(pattern):
            pid = leftover.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid)):
                leftover.unlink(missing_ok=True)


def _copy_beside(build_db: Path, published_db: Path) -> Path:
    """Copy the build file into a temporary file beside the published one (same filesystem for the rename)."""
    incoming = published_db.with_name(f".{published_db.name}.incoming-{os.getpid()}")
    needed = build_db.stat().st_size
    if shutil.disk_usage(published_db.parent).free < needed:
        raise PublishError(disk_full_message(incoming, "--warehouse", needed))
    try:
        shutil.copyfile(build_db, incoming)
        _fsync(incoming)
    except OSError as error:
        incoming.unlink(missing_ok=True)
        if is_disk_full(error):
            raise PublishError(disk_full_message(incoming, "--warehouse", needed)) from error
        raise
    return incoming


def publish(build_db: Path, published_db: Path) -> list[str]:
    """Replace the published warehouse by the build file as one step, and check it; returns notes for the user.

    Drop the views that read files (drop_file_views), checkpoint the build file and read it; deal with a WAL
    beside the published file; rename the build file
    (or a copy of it beside the published file, from another filesystem) over the published one; open the
    result read-only. If that check fails the previous file is put back. Raises PublishError with the reason.
    """
    plan = plan_publish(build_db, published_db)
    build_db, published_db = plan.build_db, plan.published_db
    notes: list[str] = []
    drop_file_views(build_db)
    checkpoint(build_db)
    verify(build_db)
    _remove_leftovers(published_db)
    _refuse_writers(published_db)
    if plan.same_filesystem:
        _fsync(build_db)
        incoming = build_db
    else:
        incoming = _copy_beside(build_db, published_db)
        notes.append(f"The build folder {build_db.parent} is on another filesystem than {published_db.parent}: "
                     "the build file was copied beside the published file, then renamed over it.")
    try:
        _refuse_writers(published_db)
        set_aside = _set_aside_wal(published_db)
    except BaseException:
        if incoming != build_db:
            incoming.unlink(missing_ok=True)
        raise
    if set_aside:
        notes.append(set_aside)
    previous = published_db.with_name(f".{published_db.name}.previous-{os.getpid()}")
    try:
        os.link(published_db, previous)
    except OSError:
        previous = None
    try:
        os.replace(incoming, published_db)
        _fsync(published_db.parent)
        verify(published_db)
    except PublishError as error:
        if previous is not None:
            os.replace(previous, published_db)
            raise PublishError(f"{error}; the previous warehouse was put back") from error
        raise
    finally:
        if previous is not None:
            previous.unlink(missing_ok=True)
        if incoming != build_db:
            incoming.unlink(missing_ok=True)
    build_db.unlink(missing_ok=True)
    return notes
