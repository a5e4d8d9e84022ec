"""Read-only access to the published marts: one short connection per query, so a build is never blocked.

`CHURN_WAREHOUSE_DB` names where the marts are: a DuckDB file (default `warehouse.duckdb` at the repository
root) or a PostgreSQL database as a URL, `postgresql://user@host:port/dbname` (password from `PGPASSWORD` or
`~/.pgpass`, as for any libpq client); there the dashboard reads schemas `marts` and `reference`.

DuckDB lets one writer or many readers hold a file, never both. The build writes a separate file and
renames it over the published one, so a reader that opens the published file read-only and closes it at
once never blocks the build, and keeps reading the last published marts until the rename.

On PostgreSQL each query opens its own connection, runs one statement in a read-only transaction with a
statement and a lock timeout, and closes: it holds its shared locks only while its statement runs, so a
build's table swaps wait at most that long, and a reader never waits long behind a build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple, Sequence
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pandas as pd

REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_WAREHOUSE = REPO_DIR / "warehouse.duckdb"
WAREHOUSE_ENV = "CHURN_WAREHOUSE_DB"
BUILD_COMMAND = "scripts/demo.sh"
POSTGRES_BUILD_COMMAND = (
    "python -m churn_warehouse load-raw --target postgres --raw-path /path/to/raw && "
    "python -m churn_warehouse server-build --target postgres"
)

DUCKDB = "duckdb"
POSTGRES = "postgres"
_POSTGRES_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)

# A dashboard read is small; anything slower is a problem to report, not to wait for.
POSTGRES_CONNECT_TIMEOUT_S = 5
POSTGRES_STATEMENT_TIMEOUT_MS = 30_000
POSTGRES_LOCK_TIMEOUT_MS = 5_000
POSTGRES_APPLICATION_NAME = "churn_warehouse_dashboard"


class WarehouseId(NamedTuple):
    """Where the marts are and which publish of them: a publish changes it, so cached figures keyed on it are
    refreshed. A DuckDB file: its path, modification time, size and inode. PostgreSQL: the URL and the
    `fingerprint` of the published marts (the numbers are 0)."""

    location: str
    modified_ns: int
    size: int
    inode: int
    fingerprint: str = ""

    @property
    def engine(self) -> str:
        """`duckdb` or `postgres`."""
        return engine_of(self.location)

    @property
    def shown(self) -> str:
        """The location as messages show it: a URL without its password."""
        return shown_location(self.location)


class WarehouseUnavailable(Exception):
    """The marts cannot be read: no file or database, not a warehouse, held by a writer, or unreachable."""


class WarehouseHeld(WarehouseUnavailable):
    """Another program holds the DuckDB file read-write: nothing is missing, but no one else can open it until it
    closes its connection (DuckDB allows one writer or many readers)."""


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def held_message(location: str, error: duckdb.Error) -> str:
    """Who holds the file read-write (DuckDB names the program and its PID) and what to do about it."""
    holder = _LOCK_HOLDER.search(str(error))
    who = f"{holder['program']} (PID {holder['pid']})" if holder else "another program"
    return (
        f"{who} has the warehouse {location} open read-write, and DuckDB then lets no other program read it. "
        "Nothing needs building: close that program's connection, or have it open the file read-only "
        "(read_only=True in Python and SQLAlchemy, duckdb -readonly on the command line; see the README, "
        "\"Connect a BI tool\"), then reload this page."
    )


def engine_of(location: str) -> str:
    """`postgres` for a `postgresql://` (or `postgres://`) URL, else `duckdb` (a file path)."""
    return POSTGRES if _POSTGRES_URL.match(location) else DUCKDB


def shown_location(location: str) -> str:
    """A URL without its password (file paths as they are), for messages."""
    if engine_of(location) != POSTGRES:
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))


def warehouse_location() -> str:
    """`CHURN_WAREHOUSE_DB` as a resolved file path or a PostgreSQL URL; default the repository's file."""
    configured = os.environ.get(WAREHOUSE_ENV, "").strip()
    if not configured:
        return str(DEFAULT_WAREHOUSE)
    if engine_of(configured) == POSTGRES:
        return configured
    return str(Path(configured).expanduser().resolve())


def warehouse_path() -> Path:
    """The published DuckDB file named by `CHURN_WAREHOUSE_DB` (meaningless for a PostgreSQL URL)."""
    return Path(warehouse_location())


def build_command(location: str | None = None) -> str:
    """The command that builds and publishes marts where the dashboard reads them."""
    return POSTGRES_BUILD_COMMAND if engine_of(location or warehouse_location()) == POSTGRES else BUILD_COMMAND


def identify(location: str | Path | None = None) -> WarehouseId:
    """Identity of the published marts now; raises WarehouseUnavailable when there are none."""
    location = str(location) if location is not None else warehouse_location()
    if engine_of(location) == POSTGRES:
        # The fingerprint is read by SQL, and every SQL statement of the dashboard lives in lib.data.
        from lib.data import publication_fingerprint

        return WarehouseId(location, 0, 0, 0, publication_fingerprint(WarehouseId(location, 0, 0, 0)))
    path = Path(location)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise WarehouseUnavailable(f"There is no warehouse at {path} yet.") from None
    if not path.is_file() or status.st_size == 0:
        raise WarehouseUnavailable(f"{path} is not a warehouse file (it is empty or a folder).")
    return WarehouseId(str(path), status.st_mtime_ns, status.st_size, status.st_ino)


def run_query(warehouse: WarehouseId, sql: str, parameters: Sequence[object] = ()) -> pd.DataFrame:
    """Rows of `sql` with its `?` parameters bound, from a read-only connection that is closed at once."""
    if warehouse.engine == POSTGRES:
        return _run_postgres(warehouse, sql, parameters)
    try:
        connection = duckdb.connect(warehouse.location, read_only=True)
    except duckdb.Error as error:
        if "Could not set lock" in str(error):
            raise WarehouseHeld(held_message(warehouse.location, error)) from error
        raise WarehouseUnavailable(f"The warehouse at {warehouse.location} cannot be opened: {error}") from error
    try:
        return connection.execute(sql, list(parameters)).df()
    finally:
        connection.close()


# ---------------------------------------------------------------- PostgreSQL


def postgres_placeholders(sql: str) -> str:
    """The dashboard's `?` placeholders in psycopg2's style (`%s`, with a literal `%` doubled), outside quotes."""
    translated = []
    quote = None
    for character in sql:
        if quote:
            if character == quote:
                quote = None
        elif character in ("'", '"'):
            quote = character
        elif character == "?":
            translated.append("%s")
            continue
        translated.append("%%" if character == "%" else character)
    return "".join(translated)


def _run_postgres(warehouse: WarehouseId, sql: str, parameters: Sequence[object]) -> pd.DataFrame:
    import psycopg2

    try:
        connection = psycopg2.connect(
            warehouse.location,
            connect_timeout=POSTGRES_CONNECT_TIMEOUT_S,
            application_name=POSTGRES_APPLICATION_NAME,
            options=(
                "-c default_transaction_read_only=on"
                f" -c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}"
                f" -c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}"
                " -c idle_in_transaction_session_timeout=60000"
            ),
        )
    except psycopg2.OperationalError as error:
        raise WarehouseUnavailable(
            f"The PostgreSQL warehouse at {warehouse.shown} cannot be reached: {_first_line(error)}"
        ) from error
    try:
        connection.set_session(readonly=True)
        _register_numeric_as_float(connection)
        with connection.cursor() as cursor:
            cursor.execute(postgres_placeholders(sql), tuple(parameters))
            names = [column.name for column in cursor.description]
            types = [column.type_code for column in cursor.description]
            rows = cursor.fetchall()
        connection.rollback()
    except psycopg2.OperationalError as error:  # lost connection, statement or lock timeout
        raise WarehouseUnavailable(
            f"The PostgreSQL warehouse at {warehouse.shown} did not answer: {_first_line(error)}"
        ) from error
    finally:
        connection.close()
    return _frame(names, types, rows)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _register_numeric_as_float(connection: Any) -> None:
    """NUMERIC arrives as float, as DuckDB hands DECIMAL columns to pandas."""
    import psycopg2.extensions as extensions

    as_float = extensions.new_type(
        extensions.DECIMAL.values, "NUMERIC_AS_FLOAT", lambda value, _cursor: None if value is None else float(value)
    )
    extensions.register_type(as_float, connection)


# PostgreSQL type OIDs -> the pandas dtype DuckDB's `.df()` gives the same SQL type.
_FLOAT_TYPES = {700, 701, 1700}  # real, double precision, numeric
_INTEGER_TYPES = {20: "int64", 21: "int16", 23: "int32"}  # bigint, smallint, integer
_BOOLEAN_TYPES = {16}
_DATETIME_TYPES = {1082, 1114}  # date, timestamp
_DATETIME_TZ_TYPES = {1184}  # timestamp with time zone
_TEXT_TYPES = {18, 19, 25, 1042, 1043}  # char, name, text, bpchar, varchar


def _frame(names: list[str], types: list[int], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """The rows as a DataFrame with the column dtypes DuckDB would give, so pages need not know the engine."""
    columns = {}
    for index, (name, type_code) in enumerate(zip(names, types)):
        values = [row[index] for row in rows]
        has_null = any(value is None for value in values)
        if type_code in _FLOAT_TYPES:
            column = pd.Series(values, dtype="float64")
        elif type_code in _INTEGER_TYPES:
            dtype = _INTEGER_TYPES[type_code]
            column = pd.Series(values, dtype=dtype.capitalize() if has_null else dtype)
        elif type_code in _BOOLEAN_TYPES:
            column = pd.Series(values, dtype="boolean" if has_null else "bool")
        elif type_code in _DATETIME_TYPES:
            column = pd.Series(pd.to_datetime(values), dtype="datetime64[us]")
        elif type_code in _DATETIME_TZ_TYPES:
            column = pd.Series(pd.to_datetime(values, utc=True)).astype("datetime64[us, UTC]")
        elif type_code in _TEXT_TYPES:
            column = pd.Series(values, dtype="str")
        else:
            column = pd.Series(values, dtype="object")
        columns[name] = column
    return pd.DataFrame(columns, columns=names)
