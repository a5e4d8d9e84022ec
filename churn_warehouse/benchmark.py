"""Benchmark: generation, a plain-DuckDB floor, `dbt build`, the whole job and a one-day daily run, per scale.

Usage: python -m churn_warehouse.benchmark --customers 5000 100000 [--months 36] [--work-dir DIR]
                                          [--target duckdb|postgres|spark] [--no-daily-run]
Each step runs under its own small wrapper process, so the peak resident memory it reports is that
step's alone (the largest process of the step: the generator, DuckDB, or dbt with DuckDB inside it). On a
server target the raw files are loaded first (`load-raw`, timed apart) and the build is `server-build`; the
PostgreSQL server's own memory is not counted, a local Spark's is (it runs inside dbt's process).

The floor is the least work that gives the core figures from the same raw files, written as plain SQL on
DuckDB with the build's memory settings: month-end MRR per customer and a per-customer daily event aggregate.
On DuckDB the data are then written as a daily export delivers them (the history in one file, the last day in
a file of its own): the whole job (validate, build, validate, publish) runs on the days before the last, the
last day's files are added, and the job runs again as a daily run that starts from the published warehouse.
The table printed is Markdown (README, "Benchmark"), then the five slowest nodes of each full build and
of each daily run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from churn_warehouse import resources
from churn_warehouse.build import PROJECT_DIR, SKIP_UNIT_TESTS, dbt_executable
from churn_warehouse.generator import stage_days, write_daily_files
from churn_warehouse.quality.run_log import log_path_for

END_DATE = date(2026, 11, 20)
SLOWEST_NODES = 5

# Runs argv[1:] and prints, as the last line of stderr, the peak RSS (KiB) of that child and the CPU seconds (user
# plus system) of it and its own children.
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr)\n"
    "sys.exit(code)\n"
)

# The floor: month-end MRR per customer (recurring invoice lines whose service period holds the month's last day,
# spread over their interval, in the reporting currency at the invoice day's rate) and per customer and day the
# activity and e-mail events. `{events}` and the other names are the raw tables' read_parquet calls.
FLOOR_SQL = """
create or replace table floor_mrr as
with month_ends as (
    select unnest(generate_series(
        date_trunc('month', min(issued_at)), date_trunc('month', max(issued_at)), interval 1 month
    )) + interval 1 month - interval 1 day as month_end
    from {invoices}
)
select invoices.customer_id, cast(month_ends.month_end as date) as month_end,
       sum(lines.amount / lines.interval_months * coalesce(rates.rate_to_reporting, 1)) as mrr
from {invoice_lines} as lines
join {invoices} as invoices on invoices.invoice_id = lines.invoice_id
join month_ends on lines.period_start <= month_ends.month_end and lines.period_end > month_ends.month_end
left join {exchange_rates} as rates
    on rates.currency = invoices.currency and rates.rate_date = cast(invoices.issued_at as date)
where lines.line_type in ('subscription', 'proration') and invoices.status <> 'void'
group by all;

create or replace table floor_daily_events as
select customer_id, cast(occurred_at as date) as event_date,
       count(*) filter (where event_name not like 'email%') as activity_events,
       count(*) filter (where event_name like 'email%') as email_events
from {events}
group by all;
"""


def timed_step(command: list[str], env: dict[str, str] | None = None,
               expect: str | None = None) -> tuple[float, float, float]:
    """Run `command`; return its wall time in seconds, its peak RSS in MiB and its CPU seconds (raises when it
    fails, or when its output lacks `expect`). On a shared machine the CPU time is the steadier figure."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0 or (expect and expect not in completed.stdout):
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}")
    peak_kib, cpu_s = completed.stderr.strip().splitlines()[-1].split()
    return elapsed, int(peak_kib) / 1024, float(cpu_s)


def raw_reader(raw: Path, table: str) -> str:
    """read_parquet over a raw table: `<table>.parquet`, or every file of the folder `<table>/`."""
    single = raw / f"{table}.parquet"
    pattern = single if single.exists() else raw / table / "*.parquet"
    return "read_parquet('{}')".format(str(pattern).replace("'", "''"))


def run_floor(raw: Path, db_path: Path) -> None:
    """The floor's SQL on the raw files of `raw`, into `db_path`, with the build's DuckDB memory settings."""
    settings = resources.duckdb_environment(db_path)
    tables = ("invoices", "invoice_lines", "exchange_rates", "events")
    with duckdb.connect(str(db_path), config={
        "memory_limit": settings[resources.MEMORY_LIMIT_VARIABLE],
        "temp_directory": settings[resources.TEMP_DIRECTORY_VARIABLE],
        "max_temp_directory_size": settings[resources.MAX_TEMP_SIZE_VARIABLE],
    }) as connection:
        connection.execute(FLOOR_SQL.format(**{table: raw_reader(raw, table) for table in tables}))


def unit_test_seconds(target_dir: Path) -> float:
    """Seconds the dbt unit tests of dbt's last run took (target/run_results.json), summed over the tests."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return round(sum(result["execution_time"] for result in results
                     if result["unique_id"].startswith("unit_test.")), 1)


def slowest_nodes(target_dir: Path, count: int = SLOWEST_NODES) -> list[tuple[str, float]]:
    """The `count` nodes of dbt's last run (target/run_results.json) that took longest: (node, seconds)."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    ranked = sorted(results, key=lambda result: result["execution_time"], reverse=True)[:count]
    return [(result["unique_id"].split(".", 2)[-1], round(result["execution_time"], 1)) for result in ranked]


def measure_server(raw: Path, work_dir: Path, target: str) -> dict[str, float]:
    """Load the raw files into a server target and build there; times and peaks of both steps."""
    package = [sys.executable, "-m", "churn_warehouse"]
    load_s, load_mib, _ = timed_step([*package, "load-raw", "--target", target, "--raw-path", str(raw)])
    build_s, build_mib, build_cpu_s = timed_step(
        [*package, "server-build", "--target", target, "--work-dir", str(work_dir)])
    return {"load_s": round(load_s, 1), "load_peak_mib": round(load_mib), "build_s": round(build_s, 1),
            "build_cpu_s": round(build_cpu_s, 1), "build_peak_mib": round(build_mib)}


def measure_daily_run(raw_all: Path, work_dir: Path) -> dict[str, float]:
    """The whole job on the days before the last, then the last day's files added and the job run again (a daily
    run from the published warehouse); times, peaks and the dbt build's share of each."""
    raw, published, build_db = work_dir / "daily_raw", work_dir / "published" / "warehouse.duckdb", \
        work_dir / "job" / "warehouse.duckdb"
    job = [sys.executable, "-m", "churn_warehouse", "build", "--raw-path", str(raw), "--warehouse", str(published),
           "--build-db", str(build_db)]

    def dbt_seconds() -> float:
        last = log_path_for(published).read_text().splitlines()[-1]
        return float(json.loads(last)["seconds"]["dbt_build"])

    stage_days(raw_all, raw, END_DATE - timedelta(days=1))
    job_s, job_mib, job_cpu_s = timed_step(job)
    first_dbt_s = dbt_seconds()
    stage_days(raw_all, raw, END_DATE)
    daily_job_s, daily_job_mib, daily_job_cpu_s = timed_step(job, expect="Daily run:")
    return {"job_s": round(job_s, 1), "job_cpu_s": round(job_cpu_s, 1), "job_peak_mib": round(job_mib),
            "job_build_s": round(first_dbt_s, 1), "daily_job_s": round(daily_job_s, 1),
            "daily_job_cpu_s": round(daily_job_cpu_s, 1), "daily_job_peak_mib": round(daily_job_mib),
            "daily_build_s": round(dbt_seconds(), 1), "daily_slowest_nodes": slowest_nodes(build_db.parent / "target")}


def measure(customers: int, months: int, work_dir: Path, target: str = "duckdb",
            daily_run: bool = True) -> dict[str, object]:
    """Generate the sample at one scale, run the floor, build it, and report times, peaks, sizes and ratios."""
    raw, db = work_dir / "raw", work_dir / "warehouse.duckdb"
    generate_s, generate_mib, _ = timed_step(
        [sys.executable, "-m", "churn_warehouse.generator", "--out", str(raw),
         "--customers", str(customers), "--months", str(months), "--end-date", END_DATE.isoformat()]
    )
    if daily_run and target == "duckdb":
        write_daily_files(raw, history_through=END_DATE - timedelta(days=1))
    floor_s, floor_mib, floor_cpu_s = timed_step([sys.executable, "-m", "churn_warehouse.benchmark", "--floor-only", str(raw),
                                     str(work_dir / "floor.duckdb")])
    sizes = {"customers": customers, "months": months, "generate_s": round(generate_s, 1),
             "generate_peak_mib": round(generate_mib),
             "raw_mib": round(sum(f.stat().st_size for f in raw.rglob("*.parquet")) / 2**20, 1),
             "floor_s": round(floor_s, 1), "floor_cpu_s": round(floor_cpu_s, 1), "floor_peak_mib": round(floor_mib)}
    if target != "duckdb":
        server = measure_server(raw, work_dir, target)
        return {**sizes, **server, "build_to_floor": round(server["build_s"] / floor_s, 1)}
    env = {**os.environ, "CHURN_WAREHOUSE_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           **resources.duckdb_environment(db)}
    build_s, build_mib, build_cpu_s = timed_step(
        [dbt_executable(), "build", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
         "--vars", json.dumps({"raw_path": str(raw)}), *SKIP_UNIT_TESTS],
        env,
    )
    result: dict[str, object] = {
        **sizes, "build_s": round(build_s, 1), "build_cpu_s": round(build_cpu_s, 1),
        "build_peak_mib": round(build_mib), "build_to_floor": round(build_s / floor_s, 1),
        "build_cpu_to_floor": round(build_cpu_s / floor_cpu_s, 1),
        "unit_tests_s": unit_test_seconds(work_dir / "target"),
        "warehouse_mib": round(db.stat().st_size / 2**20, 1),
        "slowest_nodes": slowest_nodes(work_dir / "target"),
    }
    if daily_run:
        daily = measure_daily_run(raw, work_dir)
        result.update(daily, daily_to_full=round(daily["daily_build_s"] / build_s, 3))
    return result


def columns_for(target: str, daily_run: bool) -> list[str]:
    """The columns of the printed table (README, "Benchmark", says what each means)."""
    columns = ["customers", "months", "generate_s", "generate_peak_mib", "raw_mib", "floor_s", "floor_cpu_s",
               "floor_peak_mib", "build_s", "build_cpu_s", "build_peak_mib", "build_to_floor"]
    if target != "duckdb":
        return [*columns, "load_s", "load_peak_mib"]
    columns += ["build_cpu_to_floor", "unit_tests_s", "warehouse_mib"]
    if daily_run:
        columns += ["job_s", "job_cpu_s", "job_peak_mib", "job_build_s", "daily_job_s", "daily_job_cpu_s",
                    "daily_job_peak_mib", "daily_build_s", "daily_to_full"]
    return columns


def markdown_row(cells: list[object]) -> str:
    return "| " + " | ".join(f"{cell:,}" if isinstance(cell, int) else str(cell) for cell in cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[5000, 100000])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a temporary directory")
    parser.add_argument("--target", choices=["duckdb", "postgres", "spark"], default="duckdb",
                        help="engine to build on; server targets read their connection from the environment")
    parser.add_argument("--no-daily-run", action="store_true",
                        help="skip the whole job and the one-day daily run (DuckDB): two builds fewer")
    parser.add_argument("--floor-only", nargs=2, type=Path, metavar=("RAW", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_only:
        run_floor(*args.floor_only)
        return 0
    daily_run = not args.no_daily_run
    columns = columns_for(args.target, daily_run)
    print(markdown_row(columns) + "\n" + markdown_row(["---:"] * len(columns)), flush=True)
    slowest = []
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    for customers in args.customers:
        with tempfile.TemporaryDirectory(dir=args.work_dir) as scratch:
            result = measure(customers, args.months, Path(scratch), args.target, daily_run)
        print(markdown_row([result[column] for column in columns]), flush=True)
        for build, key in (("full", "slowest_nodes"), ("daily", "daily_slowest_nodes")):
            slowest += [(customers, build, node, seconds) for node, seconds in result.get(key, [])]
    if slowest:
        print("\n" + markdown_row(["customers", "build", f"{SLOWEST_NODES} slowest nodes", "s"]))
        print(markdown_row(["---:", "---", "---", "---:"]))
        for row in slowest:
            print(markdown_row(list(row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
