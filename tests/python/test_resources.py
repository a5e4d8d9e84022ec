"""The memory and spill settings of a DuckDB build: sized from the machine, overridable, and really used by dbt."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from churn_warehouse import build, resources

GIB = 1024**3
MIB = 1024**2


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (4 * GIB, "2048MiB"),  # a laptop: half of what is available
        (10 * GIB, "5120MiB"),  # this machine, shared: half, and the cap
        (9 * GIB + 700 * MIB, "4608MiB"),  # half is 4,862 MiB: rounded down to a 512 MiB step
        (9 * GIB + 300 * MIB, "4608MiB"),  # a little less free memory the next day: the same limit
        (22 * GIB, "5120MiB"),  # this machine, quiet: capped at 5 GiB
        (256 * GIB, "5120MiB"),  # a large server: still the cap
        (1 * GIB, "1024MiB"),  # a small machine: the 1 GiB floor
        (0, "1024MiB"),
    ],
)
def test_memory_limit_is_half_the_available_memory_between_1_and_5_gib(available, expected):
    assert resources.default_memory_limit(available) == expected


@pytest.mark.parametrize(
    ("free", "expected"),
    [
        (70 * GIB, "35840MiB"),
        (71 * GIB + 900 * MIB, "35840MiB"),  # half is 35.95 GiB: whole GiB, so a drifting disk keeps the value
        (3 * GIB, "1024MiB"),  # half is 1.5 GiB: rounded down to 1 GiB
        (1 * GIB, "512MiB"),  # below 1 GiB: whole MiB
        (1024**2, "1MiB"),
        (0, "1MiB"),
    ],
)
def test_temp_size_is_half_the_free_disk_rounded_down(free, expected):
    assert resources.default_max_temp_size(free) == expected


def test_available_memory_is_positive_and_at_most_the_physical_memory():
    total = int(subprocess.run(["getconf", "_PHYS_PAGES"], capture_output=True, text=True, check=True).stdout)
    page = int(subprocess.run(["getconf", "PAGESIZE"], capture_output=True, text=True, check=True).stdout)
    assert 0 < resources.available_memory() <= total * page


def test_defaults_follow_the_machine_and_spill_beside_the_build_file(tmp_path):
    db_path = tmp_path / "build" / "warehouse.duckdb"
    settings = resources.duckdb_environment(db_path, environ={})
    assert settings == {
        "CHURN_WAREHOUSE_MEMORY_LIMIT": resources.default_memory_limit(resources.available_memory()),
        "CHURN_WAREHOUSE_TEMP_DIRECTORY": str(tmp_path / "build" / "warehouse.duckdb.tmp"),
        "CHURN_WAREHOUSE_MAX_TEMP_SIZE": resources.default_max_temp_size(resources.free_disk(tmp_path)),
    }


def test_environment_variables_override_every_default(tmp_path):
    chosen = {
        "CHURN_WAREHOUSE_MEMORY_LIMIT": "12GB",
        "CHURN_WAREHOUSE_TEMP_DIRECTORY": str(tmp_path / "spill"),
        "CHURN_WAREHOUSE_MAX_TEMP_SIZE": "100GiB",
    }
    assert resources.duckdb_environment(tmp_path / "warehouse.duckdb", environ=chosen) == chosen


def test_a_build_passes_the_settings_to_dbt_and_clears_spill_files_a_killed_build_left(tmp_path, monkeypatch):
    db_path = tmp_path / "warehouse.duckdb"
    stale = resources.default_temp_directory(db_path) / "duckdb_temp_storage-0.tmp"
    stale.parent.mkdir()
    stale.write_text("spilled by an interrupted build")
    monkeypatch.setenv("CHURN_WAREHOUSE_MEMORY_LIMIT", "2GB")
    seen: dict[str, str] = {}

    def record(command: list[str], env: dict[str, str], echo: bool) -> tuple[bool, str]:
        seen.update(env)
        return True, ""

    monkeypatch.setattr(build, "_run_command", record)
    build.run_dbt_build(db_path, {"raw_path": str(tmp_path)}, echo=False)
    assert not stale.parent.exists()
    assert seen["CHURN_WAREHOUSE_BUILD_DB"] == str(db_path)
    assert seen["CHURN_WAREHOUSE_MEMORY_LIMIT"] == "2GB"
    assert seen["CHURN_WAREHOUSE_TEMP_DIRECTORY"] == str(stale.parent)
    assert seen["CHURN_WAREHOUSE_MAX_TEMP_SIZE"].endswith("MiB")


def test_dbt_opens_duckdb_with_the_settings_of_the_environment(tmp_path):
    """The profile turns the variables into DuckDB's own settings (read back inside dbt's connection)."""
    db_path = tmp_path / "warehouse.duckdb"
    env = {
        **build.os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "CHURN_WAREHOUSE_BUILD_DB": str(db_path),
        "CHURN_WAREHOUSE_MEMORY_LIMIT": "1536MiB",
        "CHURN_WAREHOUSE_TEMP_DIRECTORY": str(tmp_path / "spill"),
        "CHURN_WAREHOUSE_MAX_TEMP_SIZE": "2GiB",
    }
    query = (
        "select current_setting('memory_limit') as memory_limit, current_setting('temp_directory') as temp_directory,"
        " current_setting('max_temp_directory_size') as max_temp_size"
    )
    shown = subprocess.run(
        [build.dbt_executable(), "show", "--quiet", "--output", "json", "--inline", query,
         "--project-dir", str(build.PROJECT_DIR), "--profiles-dir", str(build.PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=build.PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    row = json.loads(shown.stdout)["show"][0]
    assert row == {"memory_limit": "1.5 GiB", "temp_directory": str(tmp_path / "spill"), "max_temp_size": "2.0 GiB"}
    assert Path(row["temp_directory"]).parent == tmp_path


def test_the_job_leaves_dbt_unit_tests_out_and_the_test_suite_can_ask_for_them(tmp_path, monkeypatch):
    """dbt's unit tests read no data: the job's builds skip them, the hand-worked test build runs them all."""
    commands: list[list[str]] = []

    def record(command: list[str], env: dict[str, str], echo: bool) -> tuple[bool, str]:
        commands.append(command)
        return True, ""

    monkeypatch.setattr(build, "_run_command", record)
    build.run_dbt_build(tmp_path / "warehouse.duckdb", {"raw_path": str(tmp_path)}, echo=False)
    build.run_dbt_build(tmp_path / "warehouse.duckdb", {"raw_path": str(tmp_path)}, echo=False, unit_tests=True)
    skipping, running = (" ".join(command) for command in commands)
    assert "--exclude-resource-type unit_test" in skipping
    assert "unit_test" not in running
