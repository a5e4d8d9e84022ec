"""The same project on PostgreSQL gives the same marts as on DuckDB, and treats bad input the same way.

Every mart of the sample at 500 customers is compared row by row with the DuckDB build: money (decimal
columns) to the cent, rates (float columns) to 1e-9, everything else exactly. The bad-input fixture is
quarantined row for row alike, and the quarantine limit stops the build with the same message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_parity import (
    BAD_INPUT_VARS,
    QUARANTINE_TABLES,
    assert_accounting_alike,
    assert_every_mart_matches,
    assert_marts_hold_rows,
    assert_quarantined_alike,
    mart_differences,
)
from test_bad_input import AS_OF_DATE, RAW_DIR


def test_every_mart_on_postgres_matches_duckdb_row_by_row(parity_duckdb, parity_postgres):
    assert_every_mart_matches(parity_duckdb, parity_postgres, "PostgreSQL")


def test_marts_hold_rows_on_postgres(parity_postgres):
    """Guards the comparison above against two empty builds agreeing."""
    assert_marts_hold_rows(parity_postgres)


@pytest.fixture(scope="module")
def bad_input_builds(shared_build, build_on_postgres):
    duckdb_build = shared_build(RAW_DIR, **BAD_INPUT_VARS)  # the DuckDB build test_bad_input.py reads too
    postgres_build = build_on_postgres(RAW_DIR, **BAD_INPUT_VARS)
    assert duckdb_build.ok, duckdb_build.output[-5000:]
    assert postgres_build.ok, postgres_build.output[-5000:]
    return duckdb_build, postgres_build


@pytest.mark.parametrize("table", QUARANTINE_TABLES)
def test_bad_rows_are_quarantined_alike_on_postgres(bad_input_builds, table):
    assert_quarantined_alike(*bad_input_builds, table)


def test_raw_row_accounting_of_bad_input_is_exact_on_postgres(bad_input_builds):
    assert_accounting_alike(*bad_input_builds)


def test_quarantine_limit_stops_the_postgres_build_and_leaves_the_published_marts_untouched(
    build_on_postgres, parity_postgres
):
    """The bad input, loaded over the parity database's raw tables, fails with the DuckDB message and
    publishes nothing: the marts published by the parity build stay as they were."""
    published = parity_postgres.read("marts", "mrr_monthly")
    assert "Published on postgres" in parity_postgres.output
    failed = build_on_postgres(Path(RAW_DIR), raw_format="csv", into=parity_postgres, as_of_date=AS_OF_DATE)
    assert not failed.ok
    assert "Quarantine limit passed for raw table" in failed.output
    assert "Published on postgres" not in failed.output
    assert mart_differences("mrr_monthly", published, parity_postgres.read("marts", "mrr_monthly"), set(), set()) == []


def test_every_mart_table_and_column_carries_its_description_as_a_postgres_comment(parity_postgres):
    """persist_docs: a BI tool connected to PostgreSQL sees each description as a table or column comment,
    and publishing (renaming the build schemas) keeps them."""
    import psycopg2

    marts = parity_postgres.mart_contracts()
    settings = parity_postgres.settings
    connection = psycopg2.connect(
        host=settings["CHURN_WAREHOUSE_PG_HOST"], port=int(settings["CHURN_WAREHOUSE_PG_PORT"]),
        user=settings["CHURN_WAREHOUSE_PG_USER"], dbname=settings["CHURN_WAREHOUSE_PG_DATABASE"],
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select c.relname, a.attname, col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class') "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
                "where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v')"
            )
            rows = [row for row in cursor.fetchall() if row[0] in marts]
    finally:
        connection.close()
    assert {table for table, *_ in rows} == set(marts)
    empty = sorted({f"marts.{table} (table)" for table, _, _, table_comment in rows if not (table_comment or "").strip()})
    empty += [f"marts.{table}.{column}" for table, column, comment, _ in rows if not (comment or "").strip()]
    assert not empty, f"{len(empty)} mart table(s)/column(s) without a comment on PostgreSQL: {empty[:20]}"
