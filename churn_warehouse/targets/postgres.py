"""PostgreSQL I/O: raw files loaded with COPY, and frames read and written for the Python models' step.

Connection settings come from the same environment variables as the `postgres` target of profiles.yml.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

import duckdb
import pandas as pd
import psycopg2
from psycopg2 import sql

from churn_warehouse.quality.contract import BILLING_TABLES, load_raw_contract, raw_file_pattern, raw_reader_sql
from churn_warehouse.targets import check_schema_name

# DuckDB type (as DESCRIBE prints it) -> PostgreSQL type; anything else is loaded as text.
_POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


# PostgreSQL type (information_schema data_type) -> DuckDB type, for reading a table back; numeric is special.
_DUCKDB_TYPES = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "boolean": "BOOLEAN",
    "smallint": "SMALLINT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "real": "FLOAT",
    "double precision": "DOUBLE",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
}


def connection_settings() -> dict[str, object]:
    """libpq settings from CHURN_WAREHOUSE_PG_HOST/PORT/USER/PASSWORD/DATABASE (the defaults of profiles.yml)."""
    return {
        "host": os.environ.get("CHURN_WAREHOUSE_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("CHURN_WAREHOUSE_PG_PORT", "5432")),
        "user": os.environ.get("CHURN_WAREHOUSE_PG_USER", "postgres"),
        "password": os.environ.get("CHURN_WAREHOUSE_PG_PASSWORD", ""),
        "dbname": os.environ.get("CHURN_WAREHOUSE_PG_DATABASE", "churn_warehouse"),
    }


@contextmanager
def connect() -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits when the block succeeds and is closed after it."""
    connection = psycopg2.connect(**connection_settings())
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB column type; decimals keep precision and scale."""
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return _POSTGRES_TYPES.get(duckdb_type, "text")


def _create_and_copy(
    cursor: psycopg2.extensions.cursor, schema: str, name: str, columns: list[tuple[str, str]], csv: IO[str]
) -> int:
    """(Re)create `schema.name` with `columns` (name, PostgreSQL type), COPY the CSV (with header) into it and
    analyse it; returns the rows copied."""
    table = sql.Identifier(schema, name)
    cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    cursor.execute(sql.SQL("drop table if exists {} cascade").format(table))
    cursor.execute(
        sql.SQL("create table {} ({})").format(
            table,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(column_type)) for column, column_type in columns
            ),
        )
    )
    cursor.copy_expert(
        sql.SQL("copy {} from stdin with (format csv, header true)").format(table).as_string(cursor),
        csv,
    )
    rows = cursor.rowcount
    # Statistics now: the build plans its queries before autovacuum would have analysed the table.
    cursor.execute(sql.SQL("analyze {}").format(table))
    return rows


def _write_csv(relation: duckdb.DuckDBPyRelation, path: Path) -> None:
    """The relation as CSV that PostgreSQL's COPY reads back exactly: nulls unquoted, empty strings quoted."""
    relation.write_csv(str(path), header=True, quotechar='"', escapechar='"')


def _duckdb_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """The DuckDB type that reads a PostgreSQL column back as dbt-duckdb would have stored it."""
    if data_type == "numeric":
        return f"DECIMAL({precision},{scale})" if precision and precision <= 38 else "DOUBLE"
    return _DUCKDB_TYPES.get(data_type, "VARCHAR")


def read_table(schema: str, name: str) -> pd.DataFrame:
    """`schema.name` as the frame DuckDB's `.df()` gives for the same table (the input of a Python model)."""
    with connect() as connection, connection.cursor() as cursor, tempfile.TemporaryDirectory() as scratch:
        cursor.execute(
            "select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            (schema, name),
        )
        columns = {column: _duckdb_type(kind, precision, scale) for column, kind, precision, scale in cursor}
        if not columns:
            raise LookupError(f"PostgreSQL relation {schema}.{name} does not exist")
        csv_path = Path(scratch) / "table.csv"
        with csv_path.open("w", encoding="utf-8") as csv:
            query = sql.SQL("copy (select * from {}) to stdout with (format csv, header true)")
            cursor.copy_expert(query.format(sql.Identifier(schema, name)).as_string(cursor), csv)
        with duckdb.connect() as reader:
            reader.execute("set TimeZone = 'UTC'")
            return reader.read_csv(
                str(csv_path), header=True, columns=columns, auto_detect=False, quotechar='"', escapechar='"',
                allow_quoted_nulls=False,
            ).df()


def write_table(schema: str, name: str, frame: pd.DataFrame) -> None:
    """Replace `schema.name` by `frame`, with the column types dbt-duckdb would give the same frame."""
    with connect() as connection, connection.cursor() as cursor, tempfile.TemporaryDirectory() as scratch:
        with duckdb.connect() as converter:
            converter.execute("set TimeZone = 'UTC'")
            relation = converter.from_df(frame)
            columns = [(column, postgres_type(str(kind))) for column, kind in zip(relation.columns, relation.types)]
            csv_path = Path(scratch) / "table.csv"
            _write_csv(relation, csv_path)
        with csv_path.open(encoding="utf-8") as csv:
            _create_and_copy(cursor, schema, name, columns, csv)


# A build writes `<schema>__build` for every schema of the project; publish_build renames them over the live ones.
BUILD_VARS: dict[str, object] = {"schema_suffix": "__build"}
_BUILD_SUFFIX = str(BUILD_VARS["schema_suffix"])


def _build_schemas(cursor: psycopg2.extensions.cursor) -> list[str]:
    cursor.execute(
        "select nspname from pg_namespace where right(nspname, %s) = %s order by nspname",
        (len(_BUILD_SUFFIX), _BUILD_SUFFIX),
    )
    return [name for (name,) in cursor.fetchall()]


def prepare_build() -> None:
    """Drop what an earlier build left in the build schemas, so nothing stale is published."""
    with connect() as connection, connection.cursor() as cursor:
        for schema in _build_schemas(cursor):
            cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))


def publish_build() -> list[str]:
    """Replace each live schema by its build schema in one transaction: readers see the old marts or the new."""
    with connect() as connection, connection.cursor() as cursor:
        published = []
        for built in _build_schemas(cursor):
            live = built[: -len(_BUILD_SUFFIX)]
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(live)))
            cursor.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(built), sql.Identifier(live)))
            published.append(live)
    return published


# The Stripe tables the dbt var billing_source='stripe' reads (macros/stripe_tables.sql); they replace the contract
# tables of quality.contract.BILLING_TABLES.
STRIPE_TABLES = ("customer", "price", "plan", "subscription_history", "subscription", "subscription_item",
                 "invoice", "invoice_line_item", "charge", "refund")


def load_raw(
    raw_path: Path, raw_format: str, raw_schema: str, billing_source: str = "contract", stripe_schema: str = "stripe"
) -> dict[str, int]:
    """Load every raw table of the contract from `raw_path` into `raw_schema`, replacing what was there.

    Columns keep the file's types (CSV: all text, cast and quarantined by dbt as on DuckDB). An absent
    optional table becomes an empty table of text columns; an absent required one stops the load.
    With billing_source 'stripe' the six billing tables are not looked for; the Stripe tables found under
    `raw_path/stripe` are loaded into `stripe_schema` instead (dbt checks which are missing).
    """
    check_schema_name(raw_schema)
    if billing_source == "stripe":
        check_schema_name(stripe_schema)
    loaded: dict[str, int] = {}
    scratch = tempfile.mkdtemp(prefix="churn_raw_")
    reader = duckdb.connect()
    reader.execute("set TimeZone = 'UTC'")
    try:
        with connect() as connection, connection.cursor() as cursor:
            for table, contract in load_raw_contract().items():
                if billing_source == "stripe" and table in BILLING_TABLES:
                    continue
                pattern = raw_file_pattern(Path(raw_path), raw_format, table)
                if pattern is None and contract.required:
                    raise FileNotFoundError(f"Required raw table '{table}' is missing under {raw_path} ({raw_format}).")
                if pattern is None:
                    print(f"Optional raw table '{table}' is absent: the marts that need it will be empty.")
                    columns = [(column, "text") for column in contract.column_names]
                    header = io.StringIO(",".join(contract.column_names) + "\n")
                    _create_and_copy(cursor, raw_schema, table, columns, header)
                    loaded[table] = 0
                    continue
                loaded[table] = _copy_file(cursor, reader, pattern, raw_format, raw_schema, table, Path(scratch))
            if billing_source == "stripe":
                for table in STRIPE_TABLES:
                    pattern = raw_file_pattern(Path(raw_path) / "stripe", raw_format, table)
                    if pattern is None:
                        cursor.execute(sql.SQL("drop table if exists {} cascade").format(sql.Identifier(stripe_schema, table)))
                        continue
                    loaded[f"stripe.{table}"] = _copy_file(
                        cursor, reader, pattern, raw_format, stripe_schema, table, Path(scratch)
                    )
    finally:
        reader.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return loaded


def _copy_file(
    cursor: psycopg2.extensions.cursor, reader: duckdb.DuckDBPyConnection, pattern: str, raw_format: str,
    schema: str, table: str, scratch: Path,
) -> int:
    """One raw file (or glob) into `schema.table` with the file's column types; returns the rows copied."""
    relation = reader.sql(f"select * from {raw_reader_sql(pattern, raw_format)}")
    columns = [(name, postgres_type(str(kind))) for name, kind in zip(relation.columns, relation.types)]
    csv_path = scratch / f"{table}.csv"
    _write_csv(relation, csv_path)
    with csv_path.open(encoding="utf-8") as csv:
        rows = _create_and_copy(cursor, schema, table, columns, csv)
    csv_path.unlink()
    return rows
