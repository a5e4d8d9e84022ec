"""How much memory and temporary disk a DuckDB build may use, sized from the machine it starts on.

dbt's threads share one DuckDB instance, so `memory_limit` is the ceiling of the whole build, not of a thread.
DuckDB spills what does not fit to `temp_directory`, kept inside the build folder (next to the build file) so a
failed build leaves nothing elsewhere, and `max_temp_directory_size` stops it before it fills the disk. Each
value can be set by its environment variable; profiles.yml reads the variables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

MEMORY_LIMIT_VARIABLE = "CHURN_WAREHOUSE_MEMORY_LIMIT"
TEMP_DIRECTORY_VARIABLE = "CHURN_WAREHOUSE_TEMP_DIRECTORY"
MAX_TEMP_SIZE_VARIABLE = "CHURN_WAREHOUSE_MAX_TEMP_SIZE"

MIB = 1024**2
GIB = 1024**3
# Half of the memory available when the build starts: the other half is for the dbt process outside DuckDB (the
# Python models' pandas frames are not counted by memory_limit), the page cache and the rest of the machine.
MEMORY_SHARE = 0.5
# At least 1 GiB, so a small machine can still build the sample; at most 5 GiB, so the whole job stays within
# 8 GB even where DuckDB fills its limit with cached table blocks while a Python model holds its frames (the job's
# peak is about the limit + 2 GiB; set CHURN_WAREHOUSE_MEMORY_LIMIT for more).
MIN_MEMORY_LIMIT = 1 * GIB
MAX_MEMORY_LIMIT = 5 * GIB
MEMORY_STEP = 512 * MIB
# Half of the free disk space where the spill files go: the other half is for the build file itself, which
# grows while DuckDB spills, and for whatever else writes to that disk.
TEMP_DISK_SHARE = 0.5


def default_memory_limit(available_bytes: int) -> str:
    """DuckDB `memory_limit` for a machine with `available_bytes` of available memory, in steps of 512 MiB.

    The steps keep dbt's profile the same from one run to the next while free memory drifts a little, so a daily
    run reuses the previous parse (a changed profile makes dbt parse the whole project again)."""
    limit = min(max(int(available_bytes * MEMORY_SHARE), MIN_MEMORY_LIMIT), MAX_MEMORY_LIMIT)
    return f"{limit // MEMORY_STEP * MEMORY_STEP // MIB}MiB"


def default_max_temp_size(free_disk_bytes: int) -> str:
    """DuckDB `max_temp_directory_size` for a disk with `free_disk_bytes` free: whole GiB (for the same reason as
    the memory steps), or whole MiB below 1 GiB (at least 1 MiB)."""
    share = int(free_disk_bytes * TEMP_DISK_SHARE)
    return f"{max(share // GIB * GIB if share >= GIB else share, MIB) // MIB}MiB"


def available_memory() -> int:
    """Bytes of memory available to a new process: MemAvailable of /proc/meminfo (free memory where it is not)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                name, _, value = line.partition(":")
                if name == "MemAvailable":
                    return int(value.split()[0]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def free_disk(path: Path) -> int:
    """Bytes free on the disk that holds `path` (or would hold it: its nearest existing folder)."""
    existing = Path(path).resolve()
    while not existing.exists():
        existing = existing.parent
    return shutil.disk_usage(existing).free


def default_temp_directory(db_path: Path) -> Path:
    """Where a build into `db_path` spills: `<build file>.tmp` beside it (DuckDB's own naming)."""
    return db_path.with_name(db_path.name + ".tmp")


def duckdb_environment(db_path: Path, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The memory and spill settings of a build into `db_path`: values set in `environ` win, the rest follow
    the machine now."""
    temp_directory = Path(environ.get(TEMP_DIRECTORY_VARIABLE) or default_temp_directory(db_path))
    return {
        MEMORY_LIMIT_VARIABLE: environ.get(MEMORY_LIMIT_VARIABLE) or default_memory_limit(available_memory()),
        TEMP_DIRECTORY_VARIABLE: str(temp_directory),
        MAX_TEMP_SIZE_VARIABLE: environ.get(MAX_TEMP_SIZE_VARIABLE) or default_max_temp_size(free_disk(temp_directory)),
    }
