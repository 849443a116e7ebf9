"""Bulk-load raw events into `<raw_schema>.conversation_events`.

DuckDB: one `insert ... select unnest(...)` per batch from column lists (no
row-by-row inserts). PostgreSQL: psycopg 3 `COPY ... FROM STDIN`, one COPY per
batch. Either way the whole load is one transaction: a failed load leaves the
table as it was.

Metadata is written so that nothing is lost (docs/event-contract.md):

- a JSON column (DuckDB `json`, PostgreSQL `jsonb`) gets a dict as its JSON
  object, a raw string that parses as JSON as that JSON value (an array, a
  string, ...), and a raw string that does not parse as a JSON *string* holding
  the text: still present, and still "not a JSON object";
- a text column gets the JSON text of a dict, or the raw string as it is.

Timestamps are stored as `timestamp with time zone`, the same instant as the
event's; a naive timestamp is taken to be UTC.

The inserts name the six event columns only: the ingestion time `loaded_at`
comes from the column's default (the load transaction's time, so all rows of
one load share it), and a raw table without that column loads the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from conversation_analytics.contract import RAW_COLUMNS, EventRecord
from conversation_analytics.raw_table import (
    DEFAULT_RAW_SCHEMA,
    LANGFUSE_TABLES,
    SPAN_COLUMNS,
    SPAN_TABLE_NAME,
    TABLE_NAME,
    TIMESTAMP_TYPES,
    MetadataType,
    Target,
    TimestampType,
    create_schema_sql,
    create_table_sql,
    create_typed_table_sql,
    qualified_name,
    quote_ident,
)
from conversation_analytics.warehouse import dbt_runner, spark
from conversation_analytics.warehouse.langfuse import LangfuseExport
from conversation_analytics.warehouse.otlp import SpanRecord

DEFAULT_BATCH_SIZE = 50_000

# One encoder for all rows: `json.dumps` with options builds a new one per call.
_encode_json = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=str).encode
PG_CONNECT_TIMEOUT_SECONDS = 5

# libpq settings and the defaults the dbt profile (profiles.example.yml) uses,
# so that `load` and `build` reach the same database.
_PG_ENV_DEFAULTS = {
    "host": ("PGHOST", "localhost"),
    "port": ("PGPORT", "5432"),
    "user": ("PGUSER", "postgres"),
    "dbname": ("PGDATABASE", "postgres"),
}


class LoadError(RuntimeError):
    """The events could not be loaded; the message says what to do."""


class ConnectionFailed(LoadError):
    """The warehouse could not be reached."""


# --- connections ------------------------------------------------------------------


def postgres_conninfo(conninfo: str | None = None) -> str:
    """`conninfo` if given, else one built from PGHOST, PGPORT, PGUSER and
    PGDATABASE with the dbt profile's defaults (libpq reads PGPASSWORD and the
    other PG* variables itself)."""
    if conninfo:
        return conninfo
    params = {
        key: os.environ.get(env) or default for key, (env, default) in _PG_ENV_DEFAULTS.items()
    }
    return make_conninfo("", **params)


def describe_conninfo(conninfo: str) -> str:
    """`user@host:port/dbname` for messages, without any password."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "the PostgreSQL server"
    host = params.get("host") or os.environ.get("PGHOST", "localhost")
    port = params.get("port") or os.environ.get("PGPORT", "5432")
    user = params.get("user") or os.environ.get("PGUSER", "postgres")
    dbname = params.get("dbname") or os.environ.get("PGDATABASE", "postgres")
    return f"{user}@{host}:{port}/{dbname}"


def connect_postgres(conninfo: str | None = None) -> psycopg.Connection[Any]:
    """A connection, or `ConnectionFailed` saying where and what to check."""
    info = postgres_conninfo(conninfo)
    try:
        return psycopg.connect(info, connect_timeout=PG_CONNECT_TIMEOUT_SECONDS)
    except psycopg.Error as exc:
        first_line = (str(exc).strip().splitlines() or ["connection failed"])[0]
        raise ConnectionFailed(
            f"cannot connect to PostgreSQL at {describe_conninfo(info)} ({first_line}): "
            "start the server or set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE"
        ) from None


def resolve_duckdb_path(duckdb_path: str | os.PathLike[str] | None = None) -> Path:
    """`duckdb_path`, else `CA_DUCKDB_PATH`, else the default file in the cwd."""
    return Path(duckdb_path if duckdb_path is not None else dbt_runner.duckdb_path())


def connect_duckdb(
    duckdb_path: str | os.PathLike[str] | None = None, *, must_exist: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file (created unless `must_exist`).

    Always read-write: dbt-duckdb keeps its own read-write connection open in
    this process after a build, and DuckDB refuses a second connection to the
    same file with another configuration."""
    path = resolve_duckdb_path(duckdb_path)
    if must_exist and not path.is_file():
        raise ConnectionFailed(
            f"no DuckDB database at {path}: run `conversation-analytics load` first "
            "(or point --duckdb-path / CA_DUCKDB_PATH at it)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise ConnectionFailed(
            f"cannot open DuckDB database {path}: {_first_line(exc)} "
            "(is another process using it?)"
        ) from None


def table_exists(connection: Any, schema: str, table: str) -> bool:
    """Whether `schema.table` exists, on a DuckDB, psycopg or Spark
    (SparkReadConnection) connection."""
    if isinstance(connection, spark.SparkReadConnection):
        return connection.table_exists(schema, table)
    sql = (
        "select count(*) from information_schema.tables "
        "where table_schema = {p} and table_name = {p}"
    )
    if isinstance(connection, duckdb.DuckDBPyConnection):
        row = connection.execute(sql.format(p="?"), [schema, table]).fetchone()
    else:
        with connection.cursor() as cursor:
            row = cursor.execute(sql.format(p="%s"), [schema, table]).fetchone()
    return bool(row and row[0])


def raw_table_exists(
    target: Target,
    *,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
    raw_table: str = TABLE_NAME,
) -> bool:
    """Whether the raw event table (dbt vars raw_schema and raw_table) is
    there to build from."""
    if target == "duckdb":
        if not resolve_duckdb_path(duckdb_path).is_file():
            return False
        with closing(connect_duckdb(duckdb_path, must_exist=True)) as connection:
            return table_exists(connection, raw_schema, raw_table)
    if target == "spark":
        return spark.raw_table_exists_spark(raw_schema, raw_table)
    with closing(connect_postgres(conninfo)) as connection:
        return table_exists(connection, raw_schema, raw_table)


# The comment `conversation-analytics demo` puts on the raw table it writes,
# so a later demo knows the table is its own to replace.
DEMO_TABLE_COMMENT = "sample events written by conversation-analytics demo"


def duckdb_raw_table_comment(
    duckdb_path: str | os.PathLike[str] | None = None, raw_schema: str = DEFAULT_RAW_SCHEMA
) -> str | None:
    """The comment on the DuckDB raw table ('' when it has none), or None
    when the file or the table does not exist."""
    if not resolve_duckdb_path(duckdb_path).is_file():
        return None
    with closing(connect_duckdb(duckdb_path, must_exist=True)) as connection:
        row = connection.execute(
            "select coalesce(comment, '') from duckdb_tables() "
            "where database_name = current_database() and schema_name = ? and table_name = ?",
            [raw_schema, TABLE_NAME],
        ).fetchone()
    return None if row is None else str(row[0])


def mark_duckdb_raw_table(
    comment: str,
    duckdb_path: str | os.PathLike[str] | None = None,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
) -> None:
    """Put `comment` on the DuckDB raw table."""
    with closing(connect_duckdb(duckdb_path, must_exist=True)) as connection:
        connection.execute(
            f"comment on table {qualified_name(raw_schema)} is "
            + "'" + comment.replace("'", "''") + "'"
        )


# --- value conversion -------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_json_text(text: str) -> bool:
    """Whether `text` is strict JSON (no NaN/Infinity, which warehouses refuse)."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return False
    return True


def metadata_for_json_column(metadata: dict[str, Any] | str | None) -> str | None:
    """JSON text for a json/jsonb column (see the module docstring)."""
    if metadata is None:
        return None
    if isinstance(metadata, str):
        if not metadata.strip():
            # Blank text is absent metadata, as it reads in a text column.
            return None
        return metadata if is_json_text(metadata) else _encode_json(metadata)
    return _encode_json(metadata)


def metadata_for_text_column(metadata: dict[str, Any] | str | None) -> str | None:
    """Text for a text column: a raw string as it is, a dict as JSON text."""
    if metadata is None or isinstance(metadata, str):
        return metadata
    return _encode_json(metadata)


def _utc_aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _utc_naive(value: datetime | None) -> datetime | None:
    """UTC wall-clock time, for a `timestamp without time zone` column."""
    aware = _utc_aware(value)
    return None if aware is None else aware.astimezone(UTC).replace(tzinfo=None)


def _columns(
    batch: list[EventRecord],
    metadata_type: MetadataType,
    timestamp_type: TimestampType = "timestamptz",
) -> list[list[Any]]:
    """A batch as six column lists, in `RAW_COLUMNS` order."""
    convert = metadata_for_json_column if metadata_type == "json" else metadata_for_text_column
    moment = _utc_aware if timestamp_type == "timestamptz" else _utc_naive
    return [
        [e.id for e in batch],
        [e.conversation_id for e in batch],
        [e.user_id for e in batch],
        [e.event_type for e in batch],
        [moment(e.timestamp) for e in batch],
        [convert(e.metadata) for e in batch],
    ]


def _batches(events: Iterable[EventRecord], size: int) -> Iterator[list[EventRecord]]:
    iterator = iter(events)
    while batch := list(islice(iterator, size)):
        yield batch


# --- loading ------------------------------------------------------------------------


def load_events(
    events: Iterable[EventRecord],
    target: Target,
    *,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    replace: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    metadata_type: MetadataType = "json",
    timestamp_type: TimestampType = "timestamptz",
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
    ingestion_column: bool = True,
) -> int:
    """Append `events` to `<raw_schema>.conversation_events` (creating the
    schema and table if needed; `replace` drops and recreates the table first)
    and return how many rows were written. A table this creates has the
    ingestion-time column `loaded_at` unless `ingestion_column` is false."""
    if batch_size < 1:
        raise LoadError("batch size must be at least 1")
    if metadata_type not in ("json", "text"):
        raise LoadError(f"unknown metadata type {metadata_type!r}: use json or text")
    if timestamp_type not in TIMESTAMP_TYPES:
        raise LoadError(f"unknown timestamp type {timestamp_type!r}: use timestamptz or timestamp")
    batches = _batches(events, batch_size)
    if target == "duckdb":
        return _load_duckdb(
            batches, raw_schema, replace, metadata_type, timestamp_type, duckdb_path,
            ingestion_column,
        )
    if target == "postgres":
        return _load_postgres(
            batches, raw_schema, replace, metadata_type, timestamp_type, conninfo,
            ingestion_column,
        )
    if target == "spark":
        # Spark's raw table is Parquet with JSON text metadata and UTC
        # timestamps, whatever metadata_type and timestamp_type say.
        try:
            return spark.load_events_spark(
                (event for batch in batches for event in batch),
                raw_schema=raw_schema,
                replace=replace,
            )
        except spark.SparkLoadError as exc:
            raise LoadError(str(exc)) from None
    raise LoadError(f"unknown target {target!r}: use duckdb, postgres or spark")


def _load_duckdb(
    batches: Iterator[list[EventRecord]],
    raw_schema: str,
    replace: bool,
    metadata_type: MetadataType,
    timestamp_type: TimestampType,
    duckdb_path: str | os.PathLike[str] | None,
    ingestion_column: bool = True,
) -> int:
    cast = "json" if metadata_type == "json" else "varchar"
    columns = ", ".join(f'"{c}"' for c in RAW_COLUMNS)
    written = 0
    with closing(connect_duckdb(duckdb_path)) as connection:
        try:
            # Names are qualified with the database (catalog) too: DuckDB names
            # it after the file, and `raw.duckdb` would make "raw" ambiguous.
            row = connection.execute("select current_database()").fetchone()
            catalog = str(row[0]) if row else "memory"
            table = f"{quote_ident(catalog)}.{qualified_name(raw_schema)}"
            insert = (
                f"insert into {table} ({columns}) select unnest($1::varchar[]), "
                "unnest($2::varchar[]), unnest($3::varchar[]), unnest($4::varchar[]), "
                f"unnest($5::{timestamp_type}[]), unnest($6::varchar[])::{cast}"
            )
            connection.execute("begin transaction")
            _prepare_table(
                connection.execute,
                "duckdb",
                raw_schema,
                replace,
                (metadata_type, timestamp_type),
                catalog,
                ingestion_column=ingestion_column,
            )
            for batch in batches:
                connection.execute(insert, _columns(batch, metadata_type, timestamp_type))
                written += len(batch)
            connection.execute("commit")
        except duckdb.Error as exc:
            raise LoadError(f"loading into DuckDB failed: {_first_line(exc)}") from None
    return written


def _load_postgres(
    batches: Iterator[list[EventRecord]],
    raw_schema: str,
    replace: bool,
    metadata_type: MetadataType,
    timestamp_type: TimestampType,
    conninfo: str | None,
    ingestion_column: bool = True,
) -> int:
    table = qualified_name(raw_schema)
    columns = ", ".join(f'"{c}"' for c in RAW_COLUMNS)
    copy_sql = f"copy {table} ({columns}) from stdin"
    written = 0
    with closing(connect_postgres(conninfo)) as connection:
        try:
            with connection.transaction(), connection.cursor() as cursor:
                _prepare_table(
                    cursor.execute,
                    "postgres",
                    raw_schema,
                    replace,
                    (metadata_type, timestamp_type),
                    None,
                    ingestion_column=ingestion_column,
                )
                for batch in batches:
                    with cursor.copy(copy_sql) as copy:
                        rows = _columns(batch, metadata_type, timestamp_type)
                        for row in zip(*rows, strict=True):
                            copy.write_row(row)
                    written += len(batch)
                # Fresh statistics, so the planner sizes the staging views right.
                cursor.execute(f"analyze {table}")
        except psycopg.Error as exc:
            raise LoadError(f"loading into PostgreSQL failed: {_first_line(exc)}") from None
    return written


def _prepare_table(
    execute: Any,
    target: Target,
    raw_schema: str,
    replace: bool,
    column_types: tuple[MetadataType, TimestampType],
    catalog: str | None,
    *,
    ingestion_column: bool = True,
) -> None:
    """Create the schema and table (dropping the table first when `replace`),
    with the metadata and timestamp column types given (and `loaded_at` unless
    `ingestion_column` is false), qualified with `catalog` when one is given."""
    metadata_type, timestamp_type = column_types
    schema_sql = create_schema_sql(raw_schema)
    table_sql = create_table_sql(
        target,
        raw_schema,
        metadata_type,
        timestamp_type=timestamp_type,
        ingestion_column=ingestion_column,
    )
    table = qualified_name(raw_schema)
    if catalog is not None:
        qualified = f"{quote_ident(catalog)}.{table}"
        schema_sql = f"create schema if not exists {quote_ident(catalog)}.{quote_ident(raw_schema)}"
        table_sql = table_sql.replace(table, qualified, 1)
        table = qualified
    execute(schema_sql)
    if replace:
        # PostgreSQL refuses to drop a table that views read (dbt's staging
        # views do): they go with it, and the next build recreates them.
        cascade = " cascade" if target == "postgres" else ""
        execute(f"drop table if exists {table}{cascade}")
    execute(table_sql)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__



# --- OpenTelemetry spans -------------------------------------------------------------


def _json_or_none(value: Any) -> str | None:
    return None if value is None else _encode_json(value)


def _span_columns(batch: list[SpanRecord]) -> list[list[Any]]:
    """A batch of spans as column lists, in `SPAN_COLUMNS` order."""
    return [
        [s.trace_id for s in batch],
        [s.span_id for s in batch],
        [s.parent_span_id for s in batch],
        [s.name for s in batch],
        [s.kind for s in batch],
        [s.start_time for s in batch],
        [s.end_time for s in batch],
        [s.status_code for s in batch],
        [s.status_message for s in batch],
        [_json_or_none(s.resource_attributes) for s in batch],
        [_json_or_none(s.attributes) for s in batch],
        [_json_or_none(s.events) for s in batch],
    ]


def load_spans(
    spans: Iterable[SpanRecord],
    target: Target,
    *,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    span_schema: str | None = None,
    span_table: str = SPAN_TABLE_NAME,
    replace: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> int:
    """Append `spans` to `<span_schema>.<span_table>` (default
    `<raw_schema>.otel_spans`), creating the schema and table if needed
    (`replace` drops and recreates the table first), in one transaction,
    and return how many rows were written. The event table
    `<raw_schema>.conversation_events` is created empty if it is missing, so
    a project fed by spans alone builds."""
    if batch_size < 1:
        raise LoadError("batch size must be at least 1")
    batches: Iterator[list[SpanRecord]] = _batches(spans, batch_size)  # type: ignore[arg-type]
    kinds = ["text"] * 5 + ["timestamp"] * 2 + ["text"] * 2 + ["json"] * 3
    table = _RawTable(
        span_schema or raw_schema, span_table, dict(zip(SPAN_COLUMNS, kinds, strict=True)),
        (_span_columns(batch) for batch in batches),
    )
    try:
        return _write_tables([table], target, raw_schema, replace, duckdb_path, conninfo)
    except LoadError as exc:
        raise LoadError(str(exc).replace("loading rows", "loading spans", 1)) from None


@dataclass(frozen=True)
class _RawTable:
    """A raw table to write: where, its columns and their kinds (`text`,
    `timestamp`, `json`), and its rows as batches of column lists."""

    schema: str
    name: str
    columns: dict[str, str]
    batches: Iterable[list[list[Any]]]


def _write_tables(
    tables: list[_RawTable],
    target: Target,
    raw_schema: str,
    replace: bool,
    duckdb_path: str | os.PathLike[str] | None,
    conninfo: str | None,
) -> int:
    """Create (or with `replace` recreate) each table and append its rows,
    all in one transaction; the event table is created empty if missing.
    Returns how many rows were written."""
    written = 0
    if target == "duckdb":
        duck_types = {"text": "varchar", "timestamp": "timestamptz", "json": "json"}
        with closing(connect_duckdb(duckdb_path)) as connection:
            try:
                row = connection.execute("select current_database()").fetchone()
                catalog = quote_ident(str(row[0]) if row else "memory")
                connection.execute("begin transaction")
                _prepare_table(
                    connection.execute, "duckdb", raw_schema, False, ("json", "timestamptz"),
                    row[0] if row else "memory",
                )
                for table in tables:
                    _prepare_typed_table(connection.execute, "duckdb", table, replace, catalog)
                    columns = ", ".join(quote_ident(c) for c in table.columns)
                    selects = ", ".join(
                        f"unnest(${i}::varchar[])::json" if kind == "json"
                        else f"unnest(${i}::{duck_types[kind]}[])"
                        for i, kind in enumerate(table.columns.values(), start=1)
                    )
                    insert = (
                        f"insert into {catalog}.{qualified_name(table.schema, table.name)} "
                        f"({columns}) select {selects}"
                    )
                    for batch in table.batches:
                        connection.execute(insert, batch)
                        written += len(batch[0])
                connection.execute("commit")
            except duckdb.Error as exc:
                raise LoadError(f"loading rows into DuckDB failed: {_first_line(exc)}") from None
        return written
    if target == "postgres":
        with closing(connect_postgres(conninfo)) as connection:
            try:
                with connection.transaction(), connection.cursor() as cursor:
                    _prepare_table(
                        cursor.execute, "postgres", raw_schema, False,
                        ("json", "timestamptz"), None,
                    )
                    for table in tables:
                        _prepare_typed_table(cursor.execute, "postgres", table, replace)
                        name = qualified_name(table.schema, table.name)
                        columns = ", ".join(quote_ident(c) for c in table.columns)
                        for batch in table.batches:
                            with cursor.copy(f"copy {name} ({columns}) from stdin") as copy:
                                for values in zip(*batch, strict=True):
                                    copy.write_row(values)
                            written += len(batch[0])
                        cursor.execute(f"analyze {name}")
            except psycopg.Error as exc:
                raise LoadError(
                    f"loading rows into PostgreSQL failed: {_first_line(exc)}"
                ) from None
        return written
    if target == "spark":
        # Through a scratch DuckDB file and Parquet, as the events: JSON is
        # kept as its text, timestamps as UTC instants.
        def write(scratch: Path) -> int:
            return _write_tables(tables, "duckdb", raw_schema, True, scratch, None)

        try:
            return spark.load_tables_spark(
                write,
                [(t.schema, t.name, t.schema, spark.spark_columns(t.columns)) for t in tables],
                replace=replace, create_raw_table=raw_schema,
            )
        except spark.SparkLoadError as exc:
            raise LoadError(str(exc).replace("loading into", "loading rows into", 1)) from None
    raise LoadError(f"unknown target {target!r}: use duckdb, postgres or spark")


def load_langfuse(
    export: LangfuseExport,
    target: Target,
    *,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    langfuse_schema: str | None = None,
    replace: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> dict[str, int]:
    """Append a Langfuse export's traces, observations and scores to
    `<langfuse_schema>.langfuse_traces`, `langfuse_observations` and
    `langfuse_scores` (default schema `raw_schema`), in one transaction;
    returns the rows written per table (docs/langfuse.md)."""
    if batch_size < 1:
        raise LoadError("batch size must be at least 1")
    schema = langfuse_schema or raw_schema
    tables = []
    for name, columns in LANGFUSE_TABLES.items():
        rows = export.rows(name)
        batches = [
            [
                [_json_or_none(row[c]) if kind == "json" else row[c] for row in batch]
                for c, kind in columns.items()
            ]
            for batch in _batches(rows, batch_size)  # type: ignore[arg-type]
        ]
        tables.append(_RawTable(schema, name, columns, batches))
    try:
        _write_tables(tables, target, raw_schema, replace, duckdb_path, conninfo)
    except LoadError as exc:
        raise LoadError(str(exc).replace("loading rows", "loading Langfuse rows", 1)) from None
    return {name: len(export.rows(name)) for name in LANGFUSE_TABLES}


def _prepare_typed_table(
    execute: Any, target: Target, table: _RawTable, replace: bool, catalog: str | None = None
) -> None:
    """Create a raw table's schema and the table (dropping it first when
    `replace`), qualified with the quoted `catalog` when one is given."""
    name = qualified_name(table.schema, table.name)
    table_sql = create_typed_table_sql(target, table.schema, table.name, table.columns)
    schema_sql = create_schema_sql(table.schema)
    if catalog is not None:
        table_sql = table_sql.replace(name, f"{catalog}.{name}", 1)
        schema_sql = f"create schema if not exists {catalog}.{quote_ident(table.schema)}"
        name = f"{catalog}.{name}"
    execute(schema_sql)
    if replace:
        cascade = " cascade" if target == "postgres" else ""
        execute(f"drop table if exists {name}{cascade}")
    execute(table_sql)
