"""Spark I/O: raw files loaded into Hive tables, and frames read and written for the Python models' step.

Every function runs a local SparkSession built from the `server_side_parameters` of the `spark` target in
profiles.yml, so it sees the same metastore and warehouse directory as `dbt --target spark`. The metastore is
an embedded Derby database that one process at a time can open: `load_raw` releases it when it returns, and
a caller of `read_table` / `write_table` calls `close()` before dbt runs again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
import pyarrow as pa
import yaml
from pyspark import SparkContext
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType, TimestampNTZType

from churn_warehouse.quality.contract import PROJECT_DIR, load_raw_contract, raw_file_pattern, raw_reader_sql
from churn_warehouse.targets import check_schema_name

PROFILE = "churn_warehouse"
TARGET = "spark"
SPARK_DIR_VARIABLE = "CHURN_WAREHOUSE_SPARK_DIR"
# profiles.yml's default folder, relative to the directory dbt runs in: the project, as the package runs dbt.
DEFAULT_SPARK_DIR = PROJECT_DIR / "build" / "spark"

# Spark builds in place: the Hive metastore cannot rename a database, so there is no build schema to publish.
BUILD_VARS: dict[str, object] = {}

# dbt-spark sets this on every session it opens (whatever the profile says); the loader must agree with it.
ADAPTER_PARAMETERS = {"spark.sql.ansi.enabled": "false"}


def _env_var(name: str, default: str | None = None) -> str:
    """dbt's `env_var()` for rendering profiles.yml outside dbt."""
    value = os.environ.get(name, default)
    if value is None:
        raise KeyError(f"profiles.yml needs the environment variable {name}")
    return value


def session_parameters(profiles_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The `server_side_parameters` of the `spark` target, rendered as dbt renders them, plus the adapter's own."""
    profiles = yaml.safe_load((Path(profiles_dir) / "profiles.yml").read_text(encoding="utf-8"))
    parameters = profiles[PROFILE]["outputs"][TARGET].get("server_side_parameters", {})
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.globals["env_var"] = _env_var
    rendered = {str(key): environment.from_string(str(value)).render() for key, value in parameters.items()}
    return {**rendered, **ADAPTER_PARAMETERS}


# The parameters the running session was started with: a JVM keeps its metastore folder for its whole life.
_started_with: dict[str, str] | None = None


def session() -> SparkSession:
    """The process's SparkSession with Hive support, configured like dbt's (started on first use).

    When CHURN_WAREHOUSE_SPARK_DIR (or another parameter) changed since the session started, the session and
    its JVM are replaced, so each folder is read through its own metastore.
    """
    global _started_with
    os.environ.setdefault(SPARK_DIR_VARIABLE, str(DEFAULT_SPARK_DIR))
    parameters = session_parameters()
    if _started_with is not None and _started_with != parameters:
        close()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in parameters.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    _started_with = parameters
    return spark


def close() -> None:
    """Stop the SparkSession and its JVM, which releases the Derby metastore for the next process (dbt)."""
    global _started_with
    _started_with = None
    context = SparkContext._active_spark_context
    if context is not None:
        context.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:
        # The JVM exits when its standard input closes (pyspark's gateway server watches it).
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None


def _replace_table(spark: SparkSession, frame: DataFrame, schema: str, name: str) -> None:
    """Write `frame` as the managed table `schema.name`, dropping any table or view of that name first."""
    qualified = f"{schema}.{name}"
    if not spark.catalog.databaseExists(schema):
        spark.sql(f"create database {schema}")
    if spark.catalog.tableExists(qualified):
        kind = "view" if spark.catalog.getTable(qualified).tableType == "VIEW" else "table"
        spark.sql(f"drop {kind} {qualified}")
    frame.write.mode("overwrite").saveAsTable(qualified)


def _utc_timestamps(frame: DataFrame) -> DataFrame:
    """Timestamps without time zone (UTC by the contract) as Spark's `timestamp`: the session time zone is UTC."""
    return frame.select(
        *[
            F.col(field.name).cast("timestamp").alias(field.name)
            if isinstance(field.dataType, TimestampNTZType)
            else F.col(field.name)
            for field in frame.schema.fields
        ]
    )


def _csv_as_parquet(pattern: str, scratch: Path, table: str) -> str:
    """The CSV file read by DuckDB exactly as the DuckDB target reads it (every column text), written as Parquet."""
    target = scratch / f"{table}.parquet"
    with duckdb.connect() as reader:
        quoted = str(target).replace("'", "''")
        reader.execute(f"copy (select * from {raw_reader_sql(pattern, 'csv')}) to '{quoted}' (format parquet)")
    return str(target)


def load_raw(raw_path: Path, raw_format: str, raw_schema: str) -> dict[str, int]:
    """Load every raw table of the contract from `raw_path` into `raw_schema`, replacing what was there.

    Parquet keeps the file's types (timestamps as UTC); CSV is read by DuckDB as on the DuckDB target, every
    column text, then cast and quarantined by dbt. An absent optional table becomes an empty table of string
    columns; an absent required one stops the load before anything is written.
    """
    check_schema_name(raw_schema)
    contract = load_raw_contract()
    patterns = {table: raw_file_pattern(Path(raw_path), raw_format, table) for table in contract}
    missing = [table for table, pattern in patterns.items() if pattern is None and contract[table].required]
    if missing:
        raise FileNotFoundError(
            f"Required raw table(s) {', '.join(repr(table) for table in missing)} missing under {raw_path} "
            f"({raw_format}): expected <table>.{raw_format}"
            + (" or <table>/*.parquet" if raw_format == "parquet" else "")
            + " (docs/raw_contract.md)."
        )
    loaded: dict[str, int] = {}
    scratch = Path(tempfile.mkdtemp(prefix="churn_raw_"))
    spark = session()
    try:
        for table, pattern in patterns.items():
            if pattern is None:
                print(f"Optional raw table '{table}' is absent: the marts that need it will be empty.")
                empty = StructType([StructField(column, StringType()) for column in contract[table].column_names])
                frame = spark.createDataFrame([], empty)
            else:
                path = _csv_as_parquet(pattern, scratch, table) if raw_format == "csv" else pattern
                frame = _utc_timestamps(spark.read.parquet(path))
            _replace_table(spark, frame, raw_schema, table)
            loaded[table] = spark.table(f"{raw_schema}.{table}").count()
    finally:
        close()
        shutil.rmtree(scratch, ignore_errors=True)
    return loaded


def read_table(schema: str, name: str) -> pd.DataFrame:
    """The table as the pandas frame DuckDB's `.df()` gives for it (decimals as float, dates as datetime64)."""
    arrow = session().table(f"{schema}.{name}").toArrow()
    # Spark's timestamps arrive marked with the session time zone (UTC); DuckDB's have none.
    arrow = arrow.cast(
        pa.schema(
            field.with_type(pa.timestamp(field.type.unit)) if pa.types.is_timestamp(field.type) else field
            for field in arrow.schema
        )
    )
    with duckdb.connect() as converter:
        return converter.from_arrow(arrow).df()


def write_table(schema: str, name: str, frame: pd.DataFrame) -> None:
    """Write the frame as the table `schema.name` with the column types DuckDB would give it, replacing it."""
    with duckdb.connect() as converter:
        arrow = converter.from_df(frame).to_arrow_table()
    spark = session()
    _replace_table(spark, _utc_timestamps(spark.createDataFrame(arrow)), schema, name)


def prepare_build() -> None:
    """Nothing to prepare: a Spark build replaces its tables in place."""


def publish_build() -> list[str]:
    """Nothing to publish: a Spark build wrote the live schemas (see BUILD_VARS)."""
    return []
