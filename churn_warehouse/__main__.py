"""Command line: `python -m churn_warehouse demo|build|generate|load-raw|server-build|docs` (see --help).

The commands that run dbt (demo, build, server-build) take `--vars`, as dbt does, for any var of dbt_project.yml.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from churn_warehouse import __version__, check_end_date, today_utc
from churn_warehouse.build import (
    DEFAULT_BUILD_DB,
    DEFAULT_PUBLISHED_DB,
    PROJECT_DIR,
    build_and_publish,
    project_vars,
    run_server_build,
)
from churn_warehouse.cli_vars import VarsError, check_vars, parse_vars
from churn_warehouse.python_step import run_python_models
from churn_warehouse.quality.settings import QualitySettings
from churn_warehouse.summary import fetch_summary, format_summary
from churn_warehouse.targets import SERVER_TARGETS, engine

DEFAULT_RAW_PATH = PROJECT_DIR / "data" / "raw"
# The sample in the Stripe layout has a folder of its own, so the two layouts never mix in one folder.
DEFAULT_RAW_PATHS = {"contract": DEFAULT_RAW_PATH, "stripe": PROJECT_DIR / "data" / "raw_stripe"}
MANIFEST = "_generated.json"
# The dbt vars a command sets from its own options, which --vars may not set too: var -> what to use instead.
_OPTION_VARS = {
    "raw_path": "use --raw-path",
    "billing_source": "use --billing-source",
    "as_of_date": "use --as-of-date",
    "max_quarantine_share": "use --max-quarantine-share",
}
VARS_SET_BY_OPTIONS = {
    "build": {**_OPTION_VARS, "raw_format": "use --raw-format"},
    "demo": {**_OPTION_VARS, "raw_format": "demo reads the Parquet sample it writes"},
    "server-build": {"as_of_date": "use --as-of-date"},
}


def generate_sample(raw_path: Path, customers: int, months: int, seed: int, end_date: date, force: bool,
                    billing_source: str = "contract") -> None:
    """Write the sample raw tables (billing in the `billing_source` layout), unless the same ones are there."""
    from churn_warehouse.generator import generate

    wanted = {"customers": customers, "months": months, "seed": seed, "end_date": end_date.isoformat(),
              **({"billing_source": billing_source} if billing_source != "contract" else {})}
    manifest = raw_path / MANIFEST
    if not force and manifest.exists() and json.loads(manifest.read_text()) == wanted:
        print(f"Sample data: reusing {raw_path} ({customers:,} customers, {months} months, seed {seed}).")
        return
    print(f"Sample data: generating {customers:,} customers over {months} months into {raw_path}")
    started = time.perf_counter()
    raw_path.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)
    generate(
        raw_path, customers=customers, months=months, seed=seed, end_date=end_date,
        progress=lambda message: print(f"  {message}", flush=True), billing_source=billing_source,
    )
    manifest.write_text(json.dumps(wanted))
    print(f"Sample data: done in {time.perf_counter() - started:.1f} s.")


def sample_newer_than(raw_path: Path, published_db: Path) -> bool:
    """Whether the sample was written after the published warehouse was: what that warehouse kept is stale."""
    manifest = raw_path / MANIFEST
    return published_db.exists() and manifest.exists() and manifest.stat().st_mtime > published_db.stat().st_mtime


def build(
    raw_path: Path, raw_format: str, as_of_date: str | None, published_db: Path, build_db: Path,
    settings: QualitySettings | None = None, max_quarantine_share: float | None = None,
    billing_source: str = "contract", full_refresh: bool = False, extra_vars: dict[str, object] | None = None,
) -> int:
    """Validate raw → dbt build → validate marts → publish; print the validation summary and the figures.

    `extra_vars`: further dbt vars (--vars), already checked against dbt_project.yml."""
    dbt_vars: dict[str, object] = {**(extra_vars or {}), "raw_path": str(raw_path), "raw_format": raw_format}
    if billing_source != "contract":
        dbt_vars["billing_source"] = billing_source
    if as_of_date:
        dbt_vars["as_of_date"] = as_of_date
    if max_quarantine_share is not None:
        dbt_vars["max_quarantine_share"] = max_quarantine_share
    started = time.perf_counter()
    result = build_and_publish(dbt_vars, published_db, build_db, settings=settings, full_refresh=full_refresh)
    elapsed = time.perf_counter() - started
    if not result.ok:
        print(
            f"\nBuild FAILED after {elapsed:.1f} s: the published warehouse {published_db} was left unchanged. "
            "The failed step and its reasons are listed above.",
            file=sys.stderr,
        )
        return 1
    print(f"\nBuild passed its validations in {elapsed:.1f} s and was published.\n")
    print(format_summary(published_db, fetch_summary(published_db)))
    return 0


def _iso_date(text: str) -> str:
    """A calendar date written YYYY-MM-DD, kept as that text (SQL casts it: other ISO forms would not cast)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError("not written YYYY-MM-DD")
        return date.fromisoformat(text).isoformat()
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"expected a calendar date written YYYY-MM-DD, e.g. 2026-06-30; got '{text}' ({error})"
        ) from None


def _end_date(text: str) -> date:
    """A sample's end date: a calendar date written YYYY-MM-DD, no later than today."""
    return check_end_date(date.fromisoformat(_iso_date(text)))


def _share(text: str) -> float:
    """A fraction in [0, 1], e.g. 0.05."""
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, e.g. 0.05; got '{text}'")
    return share


def _band(text: str) -> tuple[float, float]:
    """`LOW,HIGH` as two fractions, e.g. `-0.25,0.5`."""
    low, high = (float(part) for part in text.split(","))
    if low >= high:
        raise argparse.ArgumentTypeError(f"the band's low end must be below its high end: {text}")
    return low, high


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with each option's default, except where there is none to show (None, or False of a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _check_vars(args: argparse.Namespace, command: argparse.ArgumentParser) -> None:
    """Turn the `--vars` text into a mapping, or stop with a message naming the var (exit status 2)."""
    try:
        args.vars = parse_vars(args.vars)
        check_vars(args.vars, project_vars({}), VARS_SET_BY_OPTIONS[args.command])
    except VarsError as error:
        command.error(f"--vars: {error}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m churn_warehouse", description=__doc__,
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"churn_warehouse {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def add_command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, formatter_class=_HelpFormatter)

    def add_vars(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--vars", default="{}", metavar="YAML",
            help="dbt vars as dbt's --vars takes them (YAML or JSON), e.g. '{gross_margin: 0.75, "
                 "reporting_currency: EUR}': any var of dbt_project.yml, checked before anything runs",
        )

    def add_output_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--warehouse", type=Path, default=DEFAULT_PUBLISHED_DB, help="published DuckDB file")
        command.add_argument("--build-db", type=Path, default=DEFAULT_BUILD_DB, help="work file the build writes")
        command.add_argument("--as-of-date", type=_iso_date, metavar="YYYY-MM-DD",
                             help="last day of data read by any figure; default: latest event or invoice date")
        command.add_argument(
            "--mrr-change-band", type=_band, default=None, metavar="LOW,HIGH",
            help="allowed month-over-month MRR change as fractions; outside it blocks publishing (default: -0.25,0.5)",
        )
        command.add_argument(
            "--max-quarantine-share", type=_share, default=None, metavar="SHARE",
            help="the build stops when more than this share of a raw table's rows is quarantined (default: 0.01)",
        )
        command.add_argument(
            "--full-refresh", action="store_true",
            help="build from an empty file and reread every raw file (dbt's --full-refresh); without it a build "
                 "starts from a copy of the published warehouse and incremental models add only new rows",
        )

    def add_billing_source(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--billing-source", choices=sorted(DEFAULT_RAW_PATHS), default="contract",
            help="layout of the billing tables: the raw contract's or a Stripe connector's, "
                 "under <raw-path>/stripe/ (dbt var billing_source)",
        )

    def add_sample_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--raw-path", type=Path, default=None,
                             help="default data/raw, or data/raw_stripe with --billing-source stripe")
        add_billing_source(command)
        command.add_argument("--customers", type=int, default=5000, help="customers in the sample")
        command.add_argument("--months", type=int, default=36, help="months of history, the last one partial")
        command.add_argument("--seed", type=int, default=42, help="the same seed gives the same files")
        command.add_argument("--end-date", type=_end_date, default=today_utc(), metavar="YYYY-MM-DD",
                             help="last day of the sample's history; ending today, it stops at the start of the "
                                  "current hour (default: today in UTC, %(default)s)")

    demo = add_command("demo", "generate sample data, build, publish, summarise")
    add_sample_options(demo)
    add_output_options(demo)
    add_vars(demo)
    demo.add_argument("--regenerate", action="store_true", help="generate even if the same sample exists")

    generate = add_command("generate", "write the sample raw tables as Parquet")
    add_sample_options(generate)

    build_command = add_command("build", "build your own raw files and publish")
    build_command.add_argument("--raw-path", type=Path, required=True, help="folder of the raw files")
    build_command.add_argument("--raw-format", choices=["parquet", "csv"], default="parquet",
                               help="format of the raw files")
    add_billing_source(build_command)
    add_output_options(build_command)
    add_vars(build_command)

    load_raw = add_command("load-raw", "load raw files into the raw_schema of a server target")
    load_raw.add_argument("--target", choices=SERVER_TARGETS, required=True, help="where to load them")
    load_raw.add_argument("--raw-path", type=Path, default=DEFAULT_RAW_PATH, help="folder of the raw files")
    load_raw.add_argument("--raw-format", choices=["parquet", "csv"], default="parquet",
                          help="format of the raw files")
    load_raw.add_argument("--raw-schema", default="raw", help="dbt var raw_schema of the build")
    load_raw.add_argument("--billing-source", choices=["contract", "stripe"], default="contract",
                          help="stripe: load <raw-path>/stripe/* into schema 'stripe' instead of the six billing "
                               "tables (dbt var billing_source; PostgreSQL only)")

    server_build = add_command(
        "server-build", "dbt build on a server target whose raw tables are loaded (see load-raw)"
    )
    server_build.add_argument("--target", choices=SERVER_TARGETS, required=True, help="where to build")
    server_build.add_argument("--as-of-date", type=_iso_date, metavar="YYYY-MM-DD",
                              help="last day of data read by any figure; default: latest event or invoice date")
    server_build.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "build" / "server",
                              help="where dbt writes its target/ and logs/")
    add_vars(server_build)

    python_models = add_command(
        "python-models", "run the dbt Python models on a server target (the middle phase of server-build)"
    )
    python_models.add_argument("--target", choices=SERVER_TARGETS, required=True, help="where to run them")
    python_models.add_argument("--manifest", type=Path, required=True, help="manifest.json of the first phase")

    docs = add_command(
        "docs", "dbt docs generate for the published warehouse, opened read-only (then: dbt docs serve)"
    )
    docs.add_argument("--warehouse", type=Path, default=DEFAULT_PUBLISHED_DB, help="published DuckDB file")
    docs.add_argument("--target-path", type=Path, default=PROJECT_DIR / "target",
                      help="where the site's files are written (default target/, where dbt docs serve looks)")
    args = parser.parse_args(argv)
    if args.command in VARS_SET_BY_OPTIONS:
        _check_vars(args, commands.choices[args.command])
    return args


def quality_settings(args: argparse.Namespace) -> QualitySettings:
    """The data-quality settings with the command line's overrides."""
    if args.mrr_change_band is None:
        return QualitySettings()
    return replace(QualitySettings(), mrr_change_min=args.mrr_change_band[0], mrr_change_max=args.mrr_change_band[1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "load-raw":
        started = time.perf_counter()
        if args.billing_source == "stripe" and args.target != "postgres":
            print("load-raw --billing-source stripe loads PostgreSQL only", file=sys.stderr)
            return 2
        loader = engine(args.target).load_raw
        options = {"billing_source": "stripe"} if args.billing_source == "stripe" else {}
        loaded = loader(args.raw_path.resolve(), args.raw_format, args.raw_schema, **options)
        print(f"Loaded {sum(loaded.values()):,} raw rows into {args.target} schema {args.raw_schema} in "
              f"{time.perf_counter() - started:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in loaded.items()))
        return 0
    if args.command == "docs":
        from churn_warehouse import dbt_docs

        return dbt_docs.main(args.warehouse, args.target_path)
    if args.command == "python-models":
        written = run_python_models(args.target, args.manifest.resolve(), PROJECT_DIR)
        print("Python models written: " + ", ".join(f"{name} ({rows:,} rows)" for name, rows in written.items()))
        return 0
    if args.command == "server-build":
        dbt_vars = {**args.vars, **({"as_of_date": args.as_of_date} if args.as_of_date else {})}
        started = time.perf_counter()
        result = run_server_build(args.target, dbt_vars, args.work_dir)
        verdict = "passed" if result.ok else "FAILED (the failing step is listed above)"
        print(f"\nBuild on {args.target} {verdict} in {time.perf_counter() - started:.1f} s.")
        return 0 if result.ok else 1
    if args.command in ("demo", "generate"):
        raw_path = (args.raw_path or DEFAULT_RAW_PATHS[args.billing_source]).resolve()
        generate_sample(
            raw_path, args.customers, args.months, args.seed, args.end_date,
            force=args.command == "generate" or args.regenerate, billing_source=args.billing_source,
        )
        if args.command == "generate":
            return 0
        return build(raw_path, "parquet", args.as_of_date, args.warehouse, args.build_db,
                     quality_settings(args), args.max_quarantine_share, args.billing_source,
                     args.full_refresh or sample_newer_than(raw_path, args.warehouse), args.vars)
    return build(args.raw_path.resolve(), args.raw_format, args.as_of_date, args.warehouse, args.build_db,
                 quality_settings(args), args.max_quarantine_share, args.billing_source, args.full_refresh,
                 args.vars)


if __name__ == "__main__":
    sys.exit(main())
