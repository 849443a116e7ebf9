"""Raw events into Apache Spark, through a Spark Thrift Server.

The loader's Spark target: `conversation-analytics load --target spark`
writes `<raw_schema>.conversation_events` as a Parquet table of the cluster's
metastore, by plain `insert ... values` statements over the Thrift
protocol, so it needs nothing but the server's address (the variables of the
`spark` profile: CA_SPARK_HOST, CA_SPARK_PORT, CA_SPARK_USER) and works the
same on a loopback test cluster and on a shared one. A team whose events
already land as Parquet or JSON-lines files declares those files as the
table instead (README, "On Apache Spark").

Every connection reads and writes times in UTC (`spark.sql.session.timeZone`),
as the models do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse.loader import metadata_for_text_column

DEFAULT_INSERT_ROWS = 1000
"""Rows per `insert` statement: one statement is one Spark job."""


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


def spark_ident(name: str) -> str:
    """A Spark SQL identifier, quoted."""
    return "`" + name.replace("`", "``") + "`"


def spark_string(value: str | None) -> str:
    """A Spark SQL string literal (Spark reads backslash escapes in literals)."""
    if value is None:
        return "null"
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def spark_timestamp(value: datetime | None) -> str:
    """A timestamp literal in UTC, to the microsecond."""
    if value is None:
        return "null"
    utc = value.astimezone(UTC) if value.tzinfo else value
    return f"timestamp'{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def _values(event: EventRecord) -> str:
    metadata = metadata_for_text_column(event.metadata)
    return "({})".format(
        ", ".join(
            [
                spark_string(event.id),
                spark_string(event.conversation_id),
                spark_string(event.user_id),
                spark_string(event.event_type),
                spark_timestamp(event.timestamp),
                spark_string(metadata),
                "current_timestamp()",
            ]
        )
    )


def _batches(events: Iterable[EventRecord], size: int) -> Iterator[list[EventRecord]]:
    batch: list[EventRecord] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def raw_table_exists_spark(raw_schema: str = "raw", raw_table: str = "conversation_events") -> bool:
    """Whether `<raw_schema>.<raw_table>` is in the metastore."""
    connection = connect_spark()
    try:
        cursor = connection.cursor()
        cursor.execute("show databases")
        if raw_schema.lower() not in {str(row[0]).lower() for row in cursor.fetchall()}:
            return False
        cursor.execute(f"show tables in {spark_ident(raw_schema)}")
        return raw_table.lower() in {str(row[1]).lower() for row in cursor.fetchall()}
    finally:
        connection.close()


def load_events_spark(
    events: Iterable[EventRecord],
    *,
    raw_schema: str = "raw",
    replace: bool = False,
    insert_rows: int = DEFAULT_INSERT_ROWS,
) -> int:
    """Append `events` to `<raw_schema>.conversation_events` on Spark (creating
    the database and a Parquet table if needed; `replace` drops the table
    first) and return how many rows were written. The metadata is JSON text
    and `loaded_at` the server's time of the insert."""
    if insert_rows < 1:
        raise SparkLoadError("rows per insert must be at least 1")
    table = f"{spark_ident(raw_schema)}.conversation_events"
    connection = connect_spark()
    written = 0
    try:
        cursor = connection.cursor()
        cursor.execute(f"create database if not exists {spark_ident(raw_schema)}")
        if replace:
            cursor.execute(f"drop table if exists {table}")
        cursor.execute(
            f"create table if not exists {table} (id string, conversation_id string, "
            "user_id string, event_type string, `timestamp` timestamp, metadata string, "
            "loaded_at timestamp) using parquet"
        )
        for batch in _batches(events, insert_rows):
            cursor.execute(f"insert into {table} values " + ", ".join(map(_values, batch)))
            written += len(batch)
    except SparkLoadError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkLoadError(
            f"loading into Spark failed after {written:,} rows: {first[:300]}"
        ) from None
    finally:
        connection.close()
    return written
