"""What the main job prints: the validation summary of the run, then where the marts are, MRR, customers, churn."""

from __future__ import annotations

from pathlib import Path

import duckdb


def fetch_summary(db_path: Path) -> dict[str, object]:
    """Headline figures of the last complete month, read from the published marts."""
    with duckdb.connect(str(db_path), read_only=True) as connection:
        month = connection.execute(
            """
            select month, mrr, arr, active_customers, customer_churn_rate,
                gross_revenue_churn_rate, net_revenue_churn_rate, nrr
            from marts.mrr_monthly
            order by month desc
            limit 1
            """
        ).fetchone()
        customers = connection.execute("select count(*) from marts.customers").fetchone()[0]
        as_of = connection.execute("select as_of_date from marts.build_info").fetchone()[0]
        marts = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
    keys = [
        "month", "mrr", "arr", "active_customers", "customer_churn_rate",
        "gross_revenue_churn_rate", "net_revenue_churn_rate", "nrr",
    ]
    figures = dict(zip(keys, month)) if month else {}
    return {"as_of_date": as_of, "customers": customers, "marts": marts, **figures}


def _percent(value: object) -> str:
    return "n/a" if value is None else f"{100 * float(value):.2f} %"


def format_summary(db_path: Path, summary: dict[str, object]) -> str:
    """The summary as a few plain lines."""
    lines = [
        f"Warehouse: {db_path} (DuckDB; schema marts: {', '.join(summary['marts'])})",
        f"As of {summary['as_of_date']}; {summary['customers']:,} customers.",
    ]
    if "month" in summary:
        lines += [
            f"Last complete month {summary['month']:%Y-%m}: MRR {float(summary['mrr']):,.2f}, "
            f"ARR {float(summary['arr']):,.2f}, {summary['active_customers']:,} active customers.",
            f"  customer churn {_percent(summary['customer_churn_rate'])}, "
            f"gross revenue churn {_percent(summary['gross_revenue_churn_rate'])}, "
            f"net revenue churn {_percent(summary['net_revenue_churn_rate'])}, NRR {_percent(summary['nrr'])}.",
        ]
    else:
        reason = NO_COMPLETE_MONTH.format(as_of_date=summary["as_of_date"])
        lines.append(f"{reason[0].upper()}{reason[1:]}: "
                     "marts.mrr_monthly and the other monthly marts have no rows yet.")
    return "\n".join(lines)


# Why a monthly mart can be empty although the build passed: a month counts once its last day lies before
# the as-of date (docs/metrics.md, Conventions), and from the first month in which a customer is active.
NO_COMPLETE_MONTH = ("no complete month yet up to the as-of date {as_of_date} "
                     "(a month counts once its last day is before the as-of date, from the first month with an active "
                     "customer)")


_OUTCOME_TEXT = {
    "published": "PASSED and published",
    "blocked_by_raw_validation": "STOPPED before dbt build: a blocking raw-input expectation failed",
    "raw_validation_crashed": "STOPPED before dbt build: raw validation crashed (a check could not run; see below)",
    "dbt_build_failed": "STOPPED: dbt build failed",
    "blocked_by_mart_validation": "STOPPED before publishing: a blocking mart expectation failed",
    "mart_validation_crashed": "STOPPED before publishing: mart validation crashed (a check could not run; see below)",
    "publish_failed": "STOPPED while publishing: the published warehouse was not replaced (reason below)",
}
_STAGE_NAMES = {"raw": "raw validation", "marts": "mart validation"}


def _stage_line(label: str, stage: object) -> str:
    """One line per validation stage: suites, expectations, time, and how many passed, warned, failed."""
    if stage is None:
        return f"  {label}: not validated"
    statuses = [suite.status for suite in stage.suites]
    return (f"  {label}: {len(stage.suites)} suites, {sum(s.evaluated for s in stage.suites)} expectations in "
            f"{stage.seconds:.1f} s; suites: {statuses.count('passed')} passed, {statuses.count('warning')} with "
            f"warnings, {statuses.count('failed')} failed")


def _dbt_lines(dbt_error: str) -> list[str]:
    """What dbt said, indented: the recognised cause in full (disk, memory, file), then dbt's last 40 lines."""
    from churn_warehouse.quality.report import diagnose_dbt_failure

    diagnosis = diagnose_dbt_failure(dbt_error)
    lines = []
    if diagnosis and dbt_error.startswith(diagnosis):
        lines.append(f"  Cause: {diagnosis}")
        dbt_error = dbt_error.removeprefix(diagnosis)
    lines.append("  dbt said:")
    lines += [f"    {line}" for line in dbt_error.strip().splitlines()[-40:]]
    return lines


def format_quality_summary(run: object) -> str:
    """The validation summary of one run of the main job (a churn_warehouse.quality.report.QualityRun)."""
    lines = [f"Data quality (Great Expectations), run {run.run_id}: {_OUTCOME_TEXT.get(run.outcome, run.outcome)}."]
    lines.append(_stage_line("raw inputs", run.raw))
    dbt_state = "not run" if not run.dbt_ran else f"{'passed' if run.dbt_ok else 'FAILED'} in {run.dbt_seconds:.1f} s"
    lines.append(f"  dbt build: {dbt_state}")
    lines.append(_stage_line("marts", run.marts))
    for stage in run.stages:
        if stage.error:
            lines.append(f"  Error: crashed in {_STAGE_NAMES.get(stage.stage, stage.stage)}: {stage.error}")
    if run.dbt_ran and not run.dbt_ok and run.dbt_error:
        lines += _dbt_lines(run.dbt_error)
    if run.quarantine:
        lines.append("  Quarantined raw rows" + (" in the failed build:" if not run.dbt_ok else
                                                  " (kept out of every figure, counted in marts.raw_row_accounting):"))
        lines += [f"    {group.message()}" for group in run.quarantine]
    blocking = [f for stage in run.stages for f in stage.blocking_failures]
    warnings = [f for stage in run.stages for f in stage.warnings]
    if blocking:
        lines.append("  Blocking failures:")
        lines += [f"    {failure.message()}" for failure in blocking]
    if warnings:
        lines.append("  Warnings (reported, not blocking):")
        lines += [f"    {failure.message()}" for failure in warnings]
    skipped = [item for stage in run.stages for suite in stage.suites for item in suite.skipped]
    if skipped:
        lines.append(f"  Not checked on this data (too little history or volume): {len(skipped)} checks, "
                     "listed in Data Docs and the run log.")
    if run.marts is not None and run.missing_figures:
        lines.append("  Bounded figures not validated because no built mart has them yet: "
                     + ", ".join(run.missing_figures) + ".")
    if run.marts is not None and run.empty_marts:
        as_of = run.as_of_date or "(the latest event or invoice date)"
        why = f" marts.mrr_monthly is empty: {NO_COMPLETE_MONTH.format(as_of_date=as_of)}."
        lines.append("  Marts without rows: " + ", ".join(run.empty_marts) + "."
                     + (why if "mrr_monthly" in run.empty_marts else ""))
    lines.append(f"  Data Docs: {run.data_docs_index}")
    lines.append(f"  Run log: {run.log_path}")
    if not run.published:
        lines.append(f"  The published warehouse {run.published_db} was left unchanged.")
    return "\n".join(lines)
