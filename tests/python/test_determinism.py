"""Two builds of the same raw data give the same marts, to the last digit of every column.

DuckDB runs queries on several threads, so rows reach an aggregate or a Python model in a different order
on each run: a floating-point sum, or a fit that depends on row order, then differs between identical
builds. Money is summed as decimals and the Python models sort their inputs, so nothing may differ except
what describes the build itself.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest


# What describes one build rather than the data: when it ran, dbt's id of the run, where it read the files, the
# digest of its dbt vars (the Stripe route differs from the contract route by billing_source).
BUILD_COLUMNS = {"build_info": {"built_at", "invocation_id", "raw_path", "settings_digest"}}
SAMPLE_SIZE = 3
# A small sample read as a big one is: in many row groups, by several threads, so rows meet in varying order.
ROW_GROUP_ROWS = 64
THREADS = 4


def in_small_row_groups(source: Path, target: Path) -> None:
    """Copy every raw Parquet file of `source` into `target`, rewritten in row groups of ROW_GROUP_ROWS rows."""
    for path in sorted(source.glob("*.parquet")):
        pq.write_table(pq.read_table(path), target / path.name, row_group_size=ROW_GROUP_ROWS)


@pytest.fixture(scope="module")
def twin_builds(build_warehouse, parity_duckdb, parity_raw, tmp_path_factory) -> tuple[Path, Path]:
    """The engine-parity sample built twice: as the session built it, and again from the same rows rewritten in
    row groups of ROW_GROUP_ROWS rows and read by THREADS threads."""
    raw = tmp_path_factory.mktemp("determinism_raw")
    in_small_row_groups(parity_raw, raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHURN_WAREHOUSE_DUCKDB_THREADS", str(THREADS))
        again = build_warehouse(raw)
    assert again.ok, again.output[-5000:]
    return parity_duckdb.db_path, again.db_path


def mart_columns(connection: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    """Every table of schema `marts` in the attached `database`: its columns in order."""
    rows = connection.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' order by table_name, ordinal_position",
        [database],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def one_way_difference(connection: duckdb.DuckDBPyConnection, table: str, columns: str, first: str,
                       second: str) -> tuple[int, list[tuple]]:
    """Rows of `first` not matched by a row of `second` (as multisets, sorted by every column), and a sample."""
    query = (f"select {columns} from {first}.marts.{table} except all "
             f"select {columns} from {second}.marts.{table}")
    count = connection.execute(f"select count(*) from ({query})").fetchone()[0]
    sample = connection.execute(f"select * from ({query}) order by all limit {SAMPLE_SIZE}").fetchall()
    return count, sample


def differing_columns(connection: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[str]:
    """The columns whose values, taken alone, differ between the two builds."""
    return [
        column for column in columns
        if one_way_difference(connection, table, f'"{column}"', "first", "second")[0]
        or one_way_difference(connection, table, f'"{column}"', "second", "first")[0]
    ]


def mart_file_differences(first_path: Path, second_path: Path, skipped_tables: tuple[str, ...] = ()) -> list[str]:
    """Every difference between the marts of two DuckDB files, row by row, but for BUILD_COLUMNS and
    `skipped_tables`; empty when they agree."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{first_path}' as first (read_only)")
        connection.execute(f"attach '{second_path}' as second (read_only)")
        first_tables, second_tables = (
            {table: columns for table, columns in mart_columns(connection, database).items()
             if table not in skipped_tables}
            for database in ("first", "second")
        )
        if first_tables != second_tables:
            return [f"the two builds have different mart tables or columns: {sorted(first_tables)} "
                    f"!= {sorted(second_tables)}"]
        assert len(first_tables) > 10, f"too few marts to compare: {sorted(first_tables)}"
        problems = []
        for table, all_columns in first_tables.items():
            columns = [column for column in all_columns if column not in BUILD_COLUMNS.get(table, set())]
            selected = ", ".join(f'"{column}"' for column in columns)
            only_first, sample_first = one_way_difference(connection, table, selected, "first", "second")
            only_second, sample_second = one_way_difference(connection, table, selected, "second", "first")
            if only_first or only_second:
                problems.append(
                    f"marts.{table}: {only_first} rows only in the first build, {only_second} only in the second; "
                    f"differing columns {differing_columns(connection, table, columns)}; "
                    f"e.g. first {sample_first[:SAMPLE_SIZE]} second {sample_second[:SAMPLE_SIZE]}"
                )
    return problems


def test_two_identical_builds_give_identical_marts(twin_builds):
    problems = mart_file_differences(*twin_builds)
    assert not problems, "identical builds differ:\n" + "\n".join(problems)
