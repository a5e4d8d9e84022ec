"""The short summary printed after a build: where the marts are, MRR, customers and last month's churn."""

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
        lines.append("No complete month with an active customer yet: the monthly marts are empty.")
    return "\n".join(lines)
