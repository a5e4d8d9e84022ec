"""Benchmark: generation time, `dbt build` time and peak memory at given scales.

Usage: python -m churn_warehouse.benchmark --customers 5000 100000 [--months 36] [--work-dir DIR]
                                          [--target duckdb|postgres|spark]
Each step runs under its own small wrapper process, so the peak resident memory it reports is that
step's alone (the largest process of the step: the generator, or dbt with DuckDB inside it). On a server
target the raw files are loaded first (`load-raw`, timed apart) and the build is `server-build`; the
PostgreSQL server's own memory is not counted, a local Spark's is (it runs inside dbt's process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from churn_warehouse import resources
from churn_warehouse.build import PROJECT_DIR, dbt_executable

# Runs argv[1:] and prints the peak RSS (KiB) of that child as the last line of stderr.
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def timed_step(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run `command`; return its wall time in seconds and its peak RSS in MiB (raises when it fails)."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}")
    peak_kib = int(completed.stderr.strip().splitlines()[-1])
    return elapsed, peak_kib / 1024


def measure_server(raw: Path, work_dir: Path, target: str) -> dict[str, float]:
    """Load the raw files into a server target and build there; times and peaks of both steps."""
    package = [sys.executable, "-m", "churn_warehouse"]
    load_s, load_mib = timed_step([*package, "load-raw", "--target", target, "--raw-path", str(raw)])
    build_s, build_mib = timed_step([*package, "server-build", "--target", target, "--work-dir", str(work_dir)])
    return {"load_s": round(load_s, 1), "load_peak_mib": round(load_mib), "build_s": round(build_s, 1),
            "build_peak_mib": round(build_mib)}


def measure(customers: int, months: int, work_dir: Path, target: str = "duckdb") -> dict[str, float]:
    """Generate the sample at one scale, build it, and report times, peaks and sizes."""
    raw, db = work_dir / "raw", work_dir / "warehouse.duckdb"
    generate_s, generate_mib = timed_step(
        [sys.executable, "-m", "churn_warehouse.generator", "--out", str(raw),
         "--customers", str(customers), "--months", str(months)]
    )
    sizes = {"customers": customers, "months": months, "generate_s": round(generate_s, 1),
             "generate_peak_mib": round(generate_mib),
             "raw_mib": round(sum(f.stat().st_size for f in raw.rglob("*.parquet")) / 2**20, 1)}
    if target != "duckdb":
        return {**sizes, **measure_server(raw, work_dir, target)}
    env = {**os.environ, "CHURN_WAREHOUSE_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           **resources.duckdb_environment(db)}
    build_s, build_mib = timed_step(
        [dbt_executable(), "build", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
         "--vars", json.dumps({"raw_path": str(raw)})],
        env,
    )
    return {**sizes, "build_s": round(build_s, 1), "build_peak_mib": round(build_mib),
            "warehouse_mib": round(db.stat().st_size / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[5000, 100000])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a temporary directory")
    parser.add_argument("--target", choices=["duckdb", "postgres", "spark"], default="duckdb",
                        help="engine to build on; server targets read their connection from the environment")
    args = parser.parse_args(argv)
    columns = ["customers", "months", "generate_s", "generate_peak_mib", "build_s", "build_peak_mib", "raw_mib"]
    columns += ["warehouse_mib"] if args.target == "duckdb" else ["load_s", "load_peak_mib"]
    print(" ".join(f"{column:>17}" for column in columns), flush=True)
    for customers in args.customers:
        with tempfile.TemporaryDirectory(dir=args.work_dir) as scratch:
            result = measure(customers, args.months, Path(scratch), args.target)
        print(" ".join(f"{result[column]:>17}" for column in columns), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
