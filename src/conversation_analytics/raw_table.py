"""DDL of the raw `conversation_events` table on each supported warehouse.

The loader and the tracker's stores create the table through these helpers,
so both write the same contract (docs/event-contract.md).

The table carries an ingestion time, `loaded_at`: when the row landed in the
warehouse, set by the column's default (the writing transaction's time), never
by the agent's clock. Writers name the six event columns in their inserts and
leave `loaded_at` to the default, so a raw table created without it (before
the column existed, or with `ingestion_column=False`) keeps loading.
"""

from __future__ import annotations

from typing import Literal

Target = Literal["duckdb", "postgres", "spark"]
MetadataType = Literal["json", "text"]
# The raw `timestamp` column: with time zone (the default), or without, in
# which case it holds UTC wall-clock times.
TimestampType = Literal["timestamptz", "timestamp"]
TIMESTAMP_TYPES: tuple[TimestampType, ...] = ("timestamptz", "timestamp")

TABLE_NAME = "conversation_events"
INGESTION_COLUMN = "loaded_at"
DEFAULT_RAW_SCHEMA = "raw"

# The ingestion-time column, set by the warehouse when the row is written
# (the transaction's start time on both warehouses).
_INGESTION_COLUMN_SQL = {
    "duckdb": f"{INGESTION_COLUMN} timestamptz default current_timestamp",
    "postgres": f"{INGESTION_COLUMN} timestamp with time zone not null default now()",
}

_METADATA_SQL_TYPE = {
    ("duckdb", "json"): "json",
    ("duckdb", "text"): "varchar",
    ("postgres", "json"): "jsonb",
    ("postgres", "text"): "text",
}


def quote_ident(name: str) -> str:
    """Double-quote an identifier, escaping embedded quotes."""
    return '"' + name.replace('"', '""') + '"'


def qualified_name(schema: str = DEFAULT_RAW_SCHEMA, table: str = TABLE_NAME) -> str:
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def create_schema_sql(schema: str = DEFAULT_RAW_SCHEMA) -> str:
    return f"create schema if not exists {quote_ident(schema)}"


def create_table_sql(
    target: Target,
    schema: str = DEFAULT_RAW_SCHEMA,
    metadata_type: MetadataType = "json",
    table: str = TABLE_NAME,
    primary_key: bool = False,
    timestamp_type: TimestampType = "timestamptz",
    ingestion_column: bool = True,
) -> str:
    """`create table if not exists` for the raw table.

    The raw table accepts duplicate ids by default (at-least-once delivery;
    staging deduplicates). `primary_key=True` adds a key on `id`, which the
    tracker's PostgreSQL store uses for `on conflict (id) do nothing`.
    `ingestion_column=False` leaves out `loaded_at` (a table as it was made
    before the column existed; the contract says it must still work).
    """
    try:
        metadata_sql = _METADATA_SQL_TYPE[(target, metadata_type)]
    except KeyError:
        raise ValueError(
            f"unsupported target/metadata type {target!r}/{metadata_type!r}"
        ) from None
    if timestamp_type not in TIMESTAMP_TYPES:
        raise ValueError(
            f"unsupported timestamp type {timestamp_type!r}: use timestamptz or timestamp"
        )
    zone = "with" if timestamp_type == "timestamptz" else "without"
    text = "varchar" if target == "duckdb" else "text"
    key = " primary key" if primary_key else ""
    return (
        f"create table if not exists {qualified_name(schema, table)} (\n"
        f"    id {text}{key},\n"
        f"    conversation_id {text},\n"
        f"    user_id {text},\n"
        f"    event_type {text},\n"
        f'    "timestamp" timestamp {zone} time zone,\n'
        f"    metadata {metadata_sql}"
        + (f",\n    {_INGESTION_COLUMN_SQL[target]}" if ingestion_column else "")
        + "\n)"
    )


# --- OpenTelemetry spans (docs/opentelemetry.md) ----------------------------------

SPAN_TABLE_NAME = "otel_spans"
SPAN_COLUMNS: tuple[str, ...] = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "start_time",
    "end_time",
    "status_code",
    "status_message",
    "resource_attributes",
    "attributes",
    "events",
)


def create_span_table_sql(
    target: Target,
    schema: str = DEFAULT_RAW_SCHEMA,
    table: str = SPAN_TABLE_NAME,
) -> str:
    """`create table if not exists` for the raw span table: one row per span,
    its attributes, resource attributes and events as JSON (json on DuckDB,
    jsonb on PostgreSQL), and the ingestion time `loaded_at` set by the
    warehouse, as on the event table."""
    kinds = {
        "start_time": "timestamp",
        "end_time": "timestamp",
        "resource_attributes": "json",
        "attributes": "json",
        "events": "json",
    }
    return create_typed_table_sql(
        target, schema, table, {c: kinds.get(c, "text") for c in SPAN_COLUMNS}
    )


def create_typed_table_sql(
    target: Target, schema: str, table: str, columns: dict[str, str]
) -> str:
    """`create table if not exists` for a raw table whose columns are
    `text`, `timestamp` (with time zone) or `json` (json on DuckDB, jsonb on
    PostgreSQL), plus the ingestion time `loaded_at` set by the warehouse."""
    sql_types = {
        "text": "varchar" if target == "duckdb" else "text",
        "timestamp": "timestamp with time zone",
        "json": _METADATA_SQL_TYPE[(target, "json")],
    }
    lines = ",\n".join(
        f"    {quote_ident(c)} {sql_types[kind]}" for c, kind in columns.items()
    )
    return (
        f"create table if not exists {qualified_name(schema, table)} (\n"
        f"{lines},\n    {_INGESTION_COLUMN_SQL[target]}\n)"
    )


# --- Langfuse exports (docs/langfuse.md) --------------------------------------------

# One raw table per Langfuse entity; each column's kind (text, timestamp,
# json). The names are Langfuse's fields in snake_case.
LANGFUSE_TABLES: dict[str, dict[str, str]] = {
    "langfuse_traces": {
        "id": "text", "timestamp": "timestamp", "name": "text", "user_id": "text",
        "session_id": "text", "release": "text", "version": "text", "input": "json",
        "output": "json", "metadata": "json", "tags": "json",
    },
    "langfuse_observations": {
        "id": "text", "trace_id": "text", "parent_observation_id": "text", "type": "text",
        "name": "text", "start_time": "timestamp", "end_time": "timestamp",
        "completion_start_time": "timestamp", "model": "text", "usage_details": "json",
        "level": "text", "status_message": "text", "input": "json", "output": "json",
        "metadata": "json",
    },
    "langfuse_scores": {
        "id": "text", "trace_id": "text", "observation_id": "text", "session_id": "text",
        "name": "text", "value": "text", "string_value": "text", "data_type": "text",
        "source": "text", "timestamp": "timestamp", "comment": "text", "metadata": "json",
    },
}
