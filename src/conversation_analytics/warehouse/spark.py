"""Raw events into Apache Spark, through a Spark Thrift Server.

The loader's Spark target: `conversation-analytics load --target spark`
writes `<raw_schema>.conversation_events`, a Parquet table of the cluster's
metastore. DuckDB writes the events to a Parquet file in a staging folder
(CA_SPARK_STAGING_DIR, else the system's temporary folder) and one
`insert ... select` over the Thrift protocol (CA_SPARK_HOST, CA_SPARK_PORT,
CA_SPARK_USER, as the `spark` profile) copies them into the table: a
million events take seconds, where `insert ... values` statements took
minutes. The cluster must read the staging folder: the loopback test
cluster shares this machine's filesystem; a real cluster needs a folder
that this machine writes and the executors read at the same path (an HDFS,
S3 or ABFS volume mounted on both). A team whose events already land as
Parquet or JSON-lines files declares those files as the table instead
(README, "On Apache Spark").

Every connection reads and writes times in UTC (`spark.sql.session.timeZone`),
as the models do.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from conversation_analytics.contract import EventRecord
from conversation_analytics.raw_table import INGESTION_COLUMN, qualified_name, quote_ident


class SparkLoadError(RuntimeError):
    """The events could not be written to Spark."""


def spark_address() -> tuple[str, int, str]:
    """(host, port, user) of the Thrift Server, from the `spark` profile's variables."""
    host = os.environ.get("CA_SPARK_HOST", "127.0.0.1")
    port_text = os.environ.get("CA_SPARK_PORT", "10000")
    if not port_text.isdigit():
        raise SparkLoadError(f"CA_SPARK_PORT is {port_text[:40]!r}: expected a port number")
    return host, int(port_text), os.environ.get("CA_SPARK_USER", "dbt")


def connect_spark() -> Any:
    """A PyHive connection to the Thrift Server whose session time zone is UTC."""
    try:
        from pyhive import hive
    except ImportError:
        raise SparkLoadError(
            "the Spark target needs PyHive: pip install 'conversation-analytics[spark]'"
        ) from None
    host, port, user = spark_address()
    try:
        connection = hive.connect(host=host, port=port, username=user)
    except Exception as exc:  # thrift raises its own transport errors
        raise SparkLoadError(
            f"cannot reach the Spark Thrift Server at {host}:{port}: {exc}"
        ) from None
    cursor = connection.cursor()
    cursor.execute("set spark.sql.session.timeZone = UTC")
    cursor.close()
    return connection


class SparkReadConnection:
    """A connection for reading tables on Spark with the calls the marts'
    readers make of a psycopg connection: `cursor()` is a context manager
    whose `execute(sql, params)` takes `%s` placeholders and returns the
    cursor, and values come back typed as psycopg types them (dates as
    dates, decimals as Decimal), where PyHive returns dates as text. The
    marts' timestamps are UTC without a zone (`timestamp`), as PyHive
    returns them in the session's zone, UTC."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def cursor(self) -> SparkReadCursor:
        return SparkReadCursor(self._connection.cursor())

    def close(self) -> None:
        self._connection.close()

    def table_exists(self, schema: str, table: str) -> bool:
        """Whether `schema.table` is in the metastore."""
        with self.cursor() as cursor:
            databases = {str(row[0]).lower() for row in cursor.execute("show databases")
                         .fetchall()}
            if schema.lower() not in databases:
                return False
            rows = cursor.execute(f"show tables in {spark_ident(schema)}").fetchall()
        return table.lower() in {str(row[1]).lower() for row in rows}


_PLACEHOLDER = re.compile(r"%s")


class SparkReadCursor:
    """A PyHive cursor behind the psycopg calls of SparkReadConnection."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def __enter__(self) -> SparkReadCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    def execute(self, sql: str, params: Sequence[Any] = ()) -> SparkReadCursor:
        pieces = _PLACEHOLDER.split(sql)
        if len(pieces) - 1 != len(params):
            raise ValueError(
                f"the query has {len(pieces) - 1} placeholders and {len(params)} values"
            )
        literals = [*(spark_literal(value) for value in params), ""]
        bound = "".join(piece + literal for piece, literal in zip(pieces, literals, strict=True))
        try:
            self._cursor.execute(bound)
        except Exception as exc:  # PyHive raises the server's error with its stack
            raise SparkLoadError(f"Spark could not read: {server_error(exc)}") from None
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        kinds = [column[1] for column in self._cursor.description or ()]
        return [
            tuple(_typed(value, kind) for value, kind in zip(row, kinds, strict=True))
            for row in self._cursor.fetchall()
        ]

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None


def _typed(value: Any, kind: str) -> Any:
    """A value PyHive returned, typed as psycopg returns the column's type."""
    if value is None:
        return None
    if kind == "DATE_TYPE" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def spark_literal(value: Any) -> str:
    """`value` as a Spark SQL literal: text with its backslashes and quotes
    escaped (Spark reads a backslash in a literal as an escape), dates and
    timestamps typed, instants in UTC."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def connect_spark_read() -> SparkReadConnection:
    """A connection for reading the marts on Spark (see SparkReadConnection)."""
    return SparkReadConnection(connect_spark())


def spark_ident(name: str) -> str:
    """A Spark SQL identifier, quoted."""
    return "`" + name.replace("`", "``") + "`"


def raw_table_exists_spark(raw_schema: str = "raw", raw_table: str = "conversation_events") -> bool:
    """Whether `<raw_schema>.<raw_table>` is in the metastore."""
    with closing(connect_spark_read()) as connection:
        return connection.table_exists(raw_schema, raw_table)


RAW_SPARK_COLUMNS = (
    ("id", "string"),
    ("conversation_id", "string"),
    ("user_id", "string"),
    ("event_type", "string"),
    ("timestamp", "timestamp"),
    ("metadata", "string"),
    (INGESTION_COLUMN, "timestamp"),
)
"""The raw table on Spark: the contract's columns, metadata as JSON text,
timestamps as instants (read and written in UTC)."""


def staging_folder(parent: str | os.PathLike[str] | None = None) -> Path:
    """A new folder for Parquet files the Thrift Server reads: under
    `parent`, else CA_SPARK_STAGING_DIR, else the system's temporary folder
    (which a loopback cluster shares; a real cluster needs a folder it can
    read, e.g. a mounted volume)."""
    where = parent or os.environ.get("CA_SPARK_STAGING_DIR") or None
    if where is not None:
        Path(where).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="ca-spark-load-", dir=where))


SparkColumns = Sequence[tuple[str, str]]
"""A Spark table's columns: (name, Spark type) pairs, `string` or `timestamp`."""


def spark_columns(kinds: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The Spark columns of a raw table whose columns are `text`,
    `timestamp` or `json` (the loader's kinds), and its ingestion time: JSON
    is kept as its text, timestamps as UTC instants."""
    spark_type = {"text": "string", "json": "string", "timestamp": "timestamp"}
    return (
        *((name, spark_type[kind]) for name, kind in kinds.items()),
        (INGESTION_COLUMN, "timestamp"),
    )


def write_parquet(
    connection: duckdb.DuckDBPyConnection,
    select_sql: str,
    folder: Path,
    part: str = "part-0",
    columns: SparkColumns = RAW_SPARK_COLUMNS,
) -> tuple[Path, int]:
    """COPY `select_sql` (rows with `columns`, in any DuckDB types) to
    `<folder>/<part>.parquet` in the Spark table's types: text, and
    timestamps as UTC instants. Returns the file and its rows."""
    cast = {"string": "varchar", "timestamp": "timestamptz"}
    selected = ", ".join(
        f"cast({quote_ident(name)} as {cast[kind]}) as {quote_ident(name)}"
        for name, kind in columns
    )
    path = folder / f"{part}.parquet"
    literal = "'" + str(path).replace("'", "''") + "'"
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(
        f"copy (select {selected} from ({select_sql}) as rows_to_write) to {literal} "
        "(format parquet)"
    )
    row = connection.execute(f"select count(*) from read_parquet({literal})").fetchone()
    return path, int(row[0]) if row else 0


def create_table_spark(
    cursor: Any,
    schema: str,
    table: str = "conversation_events",
    columns: SparkColumns = RAW_SPARK_COLUMNS,
    *,
    replace: bool = False,
) -> str:
    """Create the database `schema` and the Parquet table `<schema>.<table>`
    with `columns` if missing (`replace` drops the table first); returns
    the table's quoted name."""
    name = f"{spark_ident(schema)}.{spark_ident(table)}"
    cursor.execute(f"create database if not exists {spark_ident(schema)}")
    if replace:
        cursor.execute(f"drop table if exists {name}")
    definition = ", ".join(f"{spark_ident(column)} {kind}" for column, kind in columns)
    cursor.execute(f"create table if not exists {name} ({definition}) using parquet")
    return name


def insert_parquet(
    cursor: Any,
    path: Path | str,
    raw_schema: str = "raw",
    *,
    replace: bool = False,
    table: str = "conversation_events",
    columns: SparkColumns = RAW_SPARK_COLUMNS,
) -> None:
    """Append the rows of Parquet file(s) at `path` (a file or a folder the
    Thrift Server can read, with `columns`) to `<raw_schema>.<table>`,
    creating the database and a Parquet table first (`replace` drops the
    table before). One Spark job."""
    name = create_table_spark(cursor, raw_schema, table, columns, replace=replace)
    selected = ", ".join(f"cast({spark_ident(column)} as {kind})" for column, kind in columns)
    cursor.execute(
        f"insert into {name} select {selected} from parquet.{spark_ident(str(path))}"
    )


def load_events_spark(
    events: Iterable[EventRecord],
    *,
    raw_schema: str = "raw",
    replace: bool = False,
    staging_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Append `events` to `<raw_schema>.conversation_events` on Spark (creating
    the database and a Parquet table if needed; `replace` drops the table
    first) and return how many rows were written. The events go to a
    Parquet file by DuckDB (`staging_folder`), then into the table by one
    `insert ... select` on the cluster; the file is removed afterwards. The
    metadata is JSON text and `loaded_at` the time of the load."""
    from conversation_analytics.warehouse import loader

    def write(scratch: Path) -> int:
        return loader.load_events(
            events, "duckdb", duckdb_path=scratch, raw_schema="raw", replace=True,
            metadata_type="text",
        )

    return load_tables_spark(
        write, [("raw", "conversation_events", raw_schema, RAW_SPARK_COLUMNS)],
        replace=replace, staging_dir=staging_dir,
    )


def load_tables_spark(
    write: Callable[[Path], int],
    tables: Sequence[tuple[str, str, str, SparkColumns]],
    *,
    replace: bool = False,
    staging_dir: str | os.PathLike[str] | None = None,
    create_raw_table: str | None = None,
) -> int:
    """Copy raw tables to Spark through a scratch DuckDB file: `write(path)`
    fills the file and returns how many rows it wrote; then each of `tables`,
    (schema in the file, table, schema on Spark, its Spark columns), goes to
    a Parquet file and by one `insert ... select` into the Parquet table of
    that name on Spark, created if missing (`replace` drops it first). The
    staging folder is removed afterwards. `create_raw_table`, a schema,
    creates the event table there if it is missing. Returns the rows
    `write` wrote."""
    from conversation_analytics.warehouse.loader import LoadError

    folder = staging_folder(staging_dir)
    try:
        scratch = folder / "rows.duckdb"
        written = write(scratch)
        files = []
        with closing(duckdb.connect(str(scratch))) as connection:
            for index, (scratch_schema, table, _, columns) in enumerate(tables):
                path, _ = write_parquet(
                    connection, f"select * from {qualified_name(scratch_schema, table)}",
                    folder, f"part-{index}", columns,
                )
                files.append(path)
        connection = connect_spark()
        try:
            cursor = connection.cursor()
            if create_raw_table is not None:
                create_table_spark(cursor, create_raw_table)
            for (_, table, schema, columns), path in zip(tables, files, strict=True):
                insert_parquet(cursor, path, schema, replace=replace, table=table, columns=columns)
        finally:
            connection.close()
    except (SparkLoadError, LoadError):
        raise
    except Exception as exc:
        raise SparkLoadError(f"loading into Spark failed: {_first_line(exc)}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return written


def _first_line(exc: BaseException) -> str:
    return server_error(exc)


def server_error(exc: BaseException) -> str:
    """The first line of a PyHive error: the server's `errorMessage` (not the
    whole Thrift response with its Java stack) when there is one."""
    message = getattr(exc.args[0], "errorMessage", None) if exc.args else None
    text = str(message or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
