"""DuckDB store: batches go in with one bulk `insert ... select unnest(...)`.

DuckDB's Python API is synchronous, so every call runs in a worker thread
(`asyncio.to_thread`) behind a lock: the agent's event loop never waits on the
file. The store creates `raw.conversation_events` (metadata `json`, timestamps
`timestamptz`, ingestion time `loaded_at`) when it is missing, and writes plain
inserts: a batch that is retried after an ambiguous failure may land twice,
which staging absorbs (docs/event-contract.md, deduplication). The inserts
name the six event columns: `loaded_at` comes from the column's default (the
time the batch is written, never the agent's clock), and a table without that
column takes the same inserts.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import duckdb

from ...contract import RAW_COLUMNS
from ...raw_table import (
    DEFAULT_RAW_SCHEMA,
    TABLE_NAME,
    MetadataType,
    create_schema_sql,
    create_table_sql,
    qualified_name,
    quote_ident,
)
from .base import Row

_COLUMN_TYPES = ("varchar", "varchar", "varchar", "varchar", "timestamptz", "varchar")


class DuckDBStore:
    """Writes to a DuckDB file (or to a connection you own).

    With `path`, the store opens the file on first write and closes it on
    `close()`. With `connection`, it uses that connection and leaves it open.
    DuckDB allows one writing process per file: run dbt after closing the
    tracker, or point the tracker at a file of its own.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        connection: duckdb.DuckDBPyConnection | None = None,
        schema: str = DEFAULT_RAW_SCHEMA,
        table: str = TABLE_NAME,
        metadata_type: MetadataType = "json",
    ) -> None:
        if (path is None) == (connection is None):
            raise ValueError("give DuckDBStore exactly one of `path` or `connection`")
        self.path = None if path is None else Path(path)
        self.schema = schema
        self.table = table
        self.metadata_type = metadata_type
        self._connection = connection
        self._owns_connection = connection is None
        self._ready = False
        self._lock = threading.Lock()
        columns = ", ".join(quote_ident(c) for c in RAW_COLUMNS)
        values = ", ".join(
            f"unnest(${i}::{kind}[])" for i, kind in enumerate(_COLUMN_TYPES, start=1)
        )
        self._insert_sql = (
            f"insert into {qualified_name(schema, table)} ({columns}) select {values}"
        )

    @property
    def name(self) -> str:
        where = str(self.path) if self.path is not None else "connection"
        return f"duckdb:{where}"

    async def open(self) -> None:
        await asyncio.to_thread(self._open_sync)

    def _open_sync(self) -> None:
        with self._lock:
            if self._ready:
                return
            if self._connection is None:
                assert self.path is not None
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._connection = duckdb.connect(str(self.path))
            self._connection.execute(create_schema_sql(self.schema))
            self._connection.execute(
                create_table_sql("duckdb", self.schema, self.metadata_type, self.table)
            )
            self._ready = True

    async def write(self, rows: list[Row]) -> None:
        if rows:
            await asyncio.to_thread(self._write_sync, rows)

    def _write_sync(self, rows: list[Row]) -> None:
        with self._lock:
            if not self._ready or self._connection is None:
                raise duckdb.ConnectionException(f"{self.name} is not open")
            columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)]
            self._connection.execute(self._insert_sql, columns)

    async def close(self) -> None:
        await asyncio.to_thread(self._close_sync)

    def _close_sync(self) -> None:
        with self._lock:
            if self._connection is not None and self._owns_connection:
                self._connection.close()
                self._connection = None
            self._ready = False

    def is_transient(self, error: BaseException) -> bool:
        # A file locked by another process, a full or failing disk, a closed
        # connection: all may clear up. Conversion or catalog errors will not.
        return isinstance(error, duckdb.IOException | duckdb.ConnectionException | OSError)
