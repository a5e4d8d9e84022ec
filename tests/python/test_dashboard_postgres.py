"""The dashboard on PostgreSQL (`CHURN_WAREHOUSE_DB=postgresql://...`): every page shows what it shows on DuckDB.

Each page runs in Streamlit's AppTest once on a DuckDB build and once on PostgreSQL marts of the same data, and
every headline figure (value and change), every table and the driving filters give the same result. Also: a
missing database or schema gives the plain "no data yet" message, a new build is read without a restart,
reads are read-only and leave no connection (or lock) behind, and user choices reach SQL only as parameters.

The PostgreSQL marts are the parity sample built on the postgres target (conftest `postgres_warehouse_url`,
on the throwaway server the tests start); its DuckDB twin is the same raw data built on DuckDB.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pandas as pd
import psycopg2
import psycopg2.errors
import pytest
from streamlit.testing.v1 import AppTest

PROJECT_DIR = Path(__file__).resolve().parents[2]
APP_DIR = PROJECT_DIR / "app"
APP = APP_DIR / "streamlit_app.py"
TIMEOUT = 120
WAREHOUSE_ENV = "CHURN_WAREHOUSE_DB"

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

PAGES = ["overview", "mrr_movements", "cohorts", "reactivation", "lifetime_value", "at_risk", "satisfaction",
         "outlook", "data_quality"]

# Shown figures that describe the build rather than the data: two builds of the same data differ in them.
BUILD_SPECIFIC_METRICS = {"Figures built"}
# Tables (by their first column) that describe the build or its validation runs, not the data.
BUILD_SPECIFIC_TABLES = {"Item", "Started (UTC)", "Stage"}


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def admin(url: str, *statements: str) -> None:
    """Run statements that cannot run in a transaction (create or drop a database) on the server of `url`."""
    connection = psycopg2.connect(with_database(url, "postgres"), connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def execute(url: str, *statements: str) -> None:
    """Run statements in one committed transaction of the database of `url`."""
    connection = psycopg2.connect(url, connect_timeout=5)
    try:
        with connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def query(url: str, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    connection = psycopg2.connect(url, connect_timeout=5)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall()
    finally:
        connection.close()


def copy_schemas(source_url: str, target_url: str, schemas: tuple[str, ...] = ("marts", "reference")) -> None:
    """Every table of `schemas` with its column types and rows, from one database into another (no template
    copy: that needs the source to have no other session)."""
    source = psycopg2.connect(source_url, connect_timeout=5)
    target = psycopg2.connect(target_url, connect_timeout=5)
    try:
        with source, source.cursor() as reader, target, target.cursor() as writer:
            reader.execute(
                """
                select namespaces.nspname, relations.relname,
                    string_agg(format('%%I %%s', attributes.attname,
                                      format_type(attributes.atttypid, attributes.atttypmod)),
                               ', ' order by attributes.attnum)
                from pg_class as relations
                inner join pg_namespace as namespaces on relations.relnamespace = namespaces.oid
                inner join pg_attribute as attributes
                    on attributes.attrelid = relations.oid and attributes.attnum > 0 and not attributes.attisdropped
                where namespaces.nspname = any(%s) and relations.relkind in ('r', 'p')
                group by namespaces.nspname, relations.relname
                """,
                (list(schemas),),
            )
            for schema, table, columns in reader.fetchall():
                writer.execute(f"create schema if not exists {schema}")
                writer.execute(f"create table {schema}.{table} ({columns})")
                rows = io.StringIO()
                reader.copy_expert(f"copy {schema}.{table} to stdout", rows)
                rows.seek(0)
                writer.copy_expert(f"copy {schema}.{table} from stdin", rows)
    finally:
        source.close()
        target.close()


@pytest.fixture
def database_copy(postgres_warehouse_url) -> Iterator[str]:
    """A throw-away copy of the PostgreSQL warehouse's marts and reference tables that a test may change."""
    copy_url = with_database(postgres_warehouse_url, f"dashboard_copy_{os.getpid()}")
    copy = urlsplit(copy_url).path.lstrip("/")
    admin(copy_url, f"drop database if exists {copy} with (force)", f"create database {copy}")
    copy_schemas(postgres_warehouse_url, copy_url)
    yield copy_url
    admin(copy_url, f"drop database if exists {copy} with (force)")


def app_on(location: str | Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app reading `location` (a DuckDB file or a PostgreSQL URL), after its first run."""
    monkeypatch.setenv(WAREHOUSE_ENV, str(location))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not app.exception, [element.value for element in app.exception]
    return app


def open_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]
    return app


def shown(app: AppTest) -> dict[str, object]:
    """What an executive reads on the page: title, every metric (value and change) and every data table."""
    metrics = {
        metric.label: (metric.value, metric.delta)
        for metric in app.metric
        if metric.label not in BUILD_SPECIFIC_METRICS
    }
    tables = [
        frame.value.reset_index(drop=True)
        for frame in app.dataframe
        if frame.value.columns[0] not in BUILD_SPECIFIC_TABLES
    ]
    return {"title": [title.value for title in app.title], "metrics": metrics, "tables": tables}


def assert_same_page(on_postgres: dict[str, object], on_duckdb: dict[str, object]) -> None:
    assert on_postgres["title"] == on_duckdb["title"]
    assert on_postgres["metrics"] == on_duckdb["metrics"]
    assert on_postgres["metrics"], "a page without figures proves nothing"
    assert len(on_postgres["tables"]) == len(on_duckdb["tables"])
    for postgres_table, duckdb_table in zip(on_postgres["tables"], on_duckdb["tables"]):
        pd.testing.assert_frame_equal(
            postgres_table, duckdb_table, check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-9
        )


# ------------------------------------------------------------------ every page, same figures


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_on_postgresql_the_figures_it_shows_on_duckdb(
    postgres_warehouse_url, postgres_warehouse_duckdb_twin, monkeypatch, page
):
    on_duckdb = shown(open_page(app_on(postgres_warehouse_duckdb_twin, monkeypatch), page))
    on_postgres_app = open_page(app_on(postgres_warehouse_url, monkeypatch), page)
    notices = " ".join(element.value for element in on_postgres_app.info)
    assert "does not have yet" not in notices, f"{page}: a mart is missing on PostgreSQL: {notices}"
    assert_same_page(shown(on_postgres_app), on_duckdb)


def test_the_overview_headline_is_the_mrr_read_straight_from_postgresql(postgres_warehouse_url, monkeypatch):
    app = open_page(app_on(postgres_warehouse_url, monkeypatch), "overview")
    [(mrr,)] = query(postgres_warehouse_url, "select mrr from marts.mrr_monthly order by month desc limit 1")
    shown_mrr = next(metric.value for metric in app.metric if metric.label == "MRR")
    assert float(shown_mrr.replace("$", "").replace(",", "")) == pytest.approx(float(mrr), abs=0.5)


def drive_filters(app: AppTest, segment: str) -> list[dict[str, object]]:
    """Narrow the overview to a segment, then list that segment's at-risk customers with two signals, every tier."""
    seen = []
    open_page(app, "overview")
    app.selectbox(key="dimension").set_value("segment").run()
    next(widget for widget in app.selectbox if widget.label == "Segment").set_value(segment).run()
    assert not app.exception
    seen.append(shown(app))
    open_page(app, "at_risk")
    app.multiselect(key="risk_tiers").set_value(["high", "medium", "low"]).run()
    app.multiselect(key="risk_signals").set_value(["inactive", "email_disengaged"]).run()
    assert not app.exception
    seen.append(shown(app))
    return seen


def test_filters_narrow_the_figures_the_same_way_on_both_engines(
    postgres_warehouse_url, postgres_warehouse_duckdb_twin, monkeypatch
):
    with duckdb.connect(str(postgres_warehouse_duckdb_twin), read_only=True) as twin:
        [(segment,)] = twin.execute(
            "select segment from marts.customer_health group by segment order by count(*) desc limit 1"
        ).fetchall()
    on_duckdb = drive_filters(app_on(postgres_warehouse_duckdb_twin, monkeypatch), segment)
    on_postgres = drive_filters(app_on(postgres_warehouse_url, monkeypatch), segment)
    for postgres_page, duckdb_page in zip(on_postgres, on_duckdb, strict=True):
        assert_same_page(postgres_page, duckdb_page)
    assert len(on_postgres[1]["tables"][0]) > 0, "the at-risk filter found nobody: the comparison proves little"


# ------------------------------------------------------------------ plain messages instead of tracebacks


def test_a_missing_database_says_there_is_no_data_yet(postgres_warehouse_url, monkeypatch):
    app = app_on(with_database(postgres_warehouse_url, "no_such_warehouse_database"), monkeypatch)
    assert "No data to show yet" in app.warning[0].value
    # The server's reason is shown as text: its punctuation arrives backslash-escaped (Markdown).
    assert "no_such_warehouse_database" in re.sub(r"\\(.)", r"\1", app.warning[0].value)
    assert any("--target postgres" in block.value for block in app.code)


def test_a_database_without_the_marts_schema_says_there_is_no_data_yet(database_copy, monkeypatch):
    execute(database_copy, "drop schema marts cascade")
    app = app_on(database_copy, monkeypatch)
    assert "No data to show yet" in app.warning[0].value
    assert "no table in schema marts" in app.warning[0].value


def test_an_unreachable_server_says_there_is_no_data_yet(monkeypatch):
    app = app_on("postgresql://postgres@127.0.0.1:1/churn_warehouse", monkeypatch)
    assert "No data to show yet" in app.warning[0].value
    assert "cannot be reached" in app.warning[0].value


def test_a_page_whose_mart_is_missing_in_postgresql_names_it(database_copy, monkeypatch):
    execute(database_copy, "drop table marts.cohort_retention")
    app = open_page(app_on(database_copy, monkeypatch), "cohorts")
    assert app.title[0].value == "Cohorts"
    assert "marts.cohort_retention" in app.info[0].value


# ------------------------------------------------------------------ the data-quality run log


def test_the_data_quality_page_reads_the_runs_from_marts_data_quality_runs(database_copy, monkeypatch):
    app = open_page(app_on(database_copy, monkeypatch), "data_quality")
    assert any("No validation run is recorded in this PostgreSQL database" in element.value
               for element in app.info), "says that no run is recorded"

    execute(
        database_copy,
        """
        create table marts.data_quality_runs as
        select * from (values
            ('run-1', timestamp '2025-06-20 10:00:00', timestamp '2025-06-20 10:05:00', 'published', true,
             'raw', 'raw_billing', 'passed', cast(12 as bigint), cast(0 as bigint), cast(0 as bigint),
             cast(null as varchar)),
            ('run-1', timestamp '2025-06-20 10:00:00', timestamp '2025-06-20 10:05:00', 'published', true,
             'marts', 'marts_bounds', 'warning', cast(8 as bigint), cast(0 as bigint), cast(1 as bigint),
             'warning marts.mrr_monthly.nrr: nrr between 0.7 and 1.3')
        ) as runs (run_id, run_started_at, run_finished_at, run_outcome, is_published, stage, suite_name,
                   suite_status, evaluated_expectations, failed_blocking_expectations,
                   failed_warning_expectations, failed_expectations)
        """,
    )
    app.run()
    assert not app.exception
    summary = next(frame.value for frame in app.dataframe if frame.value.columns[0] == "Started (UTC)")
    assert summary[["Outcome", "Checks passed", "With warnings", "Warnings"]].values.tolist() == [
        ["Published", 1, 1, 1]
    ]
    findings = next(frame.value for frame in app.dataframe if frame.value.columns[0] == "Stage")
    assert findings["Findings"].tolist() == ["warning mrr monthly.nrr: nrr between 0.7 and 1.3"]  # codes in words
    assert findings[["Stage", "Check", "Status"]].values.tolist() == [["Built figures", "Marts bounds", "Warning"]]


# ------------------------------------------------------------------ a new build is picked up without a restart


def test_a_table_rebuilt_by_a_new_build_is_read_without_a_restart(database_copy, monkeypatch):
    app = app_on(database_copy, monkeypatch)
    before = next(metric.value for metric in app.metric if metric.label == "MRR")

    # A new build recreates the table as dbt does (new table, then swapped in by rename); build_info is not
    # touched, as in a real build where it is rebuilt early and the marts after it.
    execute(
        database_copy,
        "create table marts.mrr_monthly__dbt_tmp as select * from marts.mrr_monthly",
        "update marts.mrr_monthly__dbt_tmp set mrr = mrr + 1000 "
        "where month = (select max(month) from marts.mrr_monthly__dbt_tmp)",
        "alter table marts.mrr_monthly rename to mrr_monthly__dbt_backup",
        "alter table marts.mrr_monthly__dbt_tmp rename to mrr_monthly",
        "drop table marts.mrr_monthly__dbt_backup",
    )
    app.run()  # the same session reruns, as when a user clicks: no restart
    after = next(metric.value for metric in app.metric if metric.label == "MRR")
    as_number = lambda text: float(text.replace("$", "").replace(",", ""))  # noqa: E731
    assert as_number(after) == pytest.approx(as_number(before) + 1000, abs=1)


def test_the_identity_changes_with_every_rebuilt_or_truncated_table_and_not_otherwise(database_copy, monkeypatch):
    from lib import warehouse

    monkeypatch.setenv(WAREHOUSE_ENV, database_copy)
    first = warehouse.identify()
    assert warehouse.identify() == first, "reading alone must not change the identity"
    execute(database_copy, "truncate reference.churn_benchmarks")
    second = warehouse.identify()
    assert second != first
    execute(database_copy, "create table marts.build_info__new as select * from marts.build_info",
            "drop table marts.build_info", "alter table marts.build_info__new rename to build_info")
    assert warehouse.identify() not in (first, second)


# ------------------------------------------------------------------ read-only, short, parameters only


def test_reads_run_read_only_and_leave_no_connection_or_lock_behind(postgres_warehouse_url, monkeypatch):
    from lib import data, warehouse

    monkeypatch.setenv(WAREHOUSE_ENV, postgres_warehouse_url)
    published = warehouse.identify()
    assert warehouse.run_query(published, "show transaction_read_only")["transaction_read_only"].tolist() == ["on"]
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        warehouse.run_query(published, "create table marts.written_by_the_dashboard (id integer)")
    data.months.clear()
    assert data.months(published)
    open_page(app_on(postgres_warehouse_url, monkeypatch), "at_risk")

    deadline = time.monotonic() + 2  # a closed connection's server process may take a moment to exit
    while True:
        [(lingering,)] = query(
            postgres_warehouse_url,
            "select count(*) from pg_stat_activity where application_name = %s",
            (warehouse.POSTGRES_APPLICATION_NAME,),
        )
        if lingering == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert lingering == 0, "a dashboard connection was left open"
    # A build swaps a mart under an exclusive lock: nothing the dashboard did is in its way.
    execute(postgres_warehouse_url, "set local lock_timeout = '1s'",
            "lock table marts.mrr_monthly, marts.customer_health in access exclusive mode nowait")


def test_user_choices_reach_postgresql_as_parameters_not_text(postgres_warehouse_url, monkeypatch):
    from lib import data, warehouse

    monkeypatch.setenv(WAREHOUSE_ENV, postgres_warehouse_url)
    published = warehouse.identify()
    hostile = "x' or '1'='1"
    odd = "50% off? %s %(name)s"
    assert data.monthly_figures(published, "segment", hostile).empty
    assert data.monthly_figures(published, "segment", odd).empty
    assert data.cohort_retention(published, "segment", hostile).empty
    assert data.at_risk_customers(published, (hostile,), (), (), (), "all", "all").empty
    assert data.at_risk_customers(published, ("high", "medium", "low"), (odd,), (), (), "all", "all").empty
    assert data.at_risk_customers(published, ("high", "medium", "low"), (), (), (), "segment", hostile).empty
    assert data.satisfaction(published, "segment", "'; drop table marts.mrr_monthly; --").empty
    assert data.has(published, "marts.mrr_monthly")


def test_postgresql_frames_have_the_column_types_duckdb_gives(
    postgres_warehouse_url, postgres_warehouse_duckdb_twin, monkeypatch
):
    from lib import data, warehouse

    on_postgres = data.monthly_figures(warehouse.identify(postgres_warehouse_url), "all", "all")
    on_duckdb = data.monthly_figures(warehouse.identify(postgres_warehouse_duckdb_twin), "all", "all")
    assert {name: dtype.kind for name, dtype in on_postgres.dtypes.items()} == {
        name: dtype.kind for name, dtype in on_duckdb.dtypes.items()
    }
    pd.testing.assert_frame_equal(on_postgres, on_duckdb, check_exact=False, rtol=1e-9, atol=1e-9)
