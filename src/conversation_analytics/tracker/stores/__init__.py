"""Where the tracker writes events: DuckDB, PostgreSQL, JSON-lines files, memory."""

from .base import EventStore, Row
from .duckdb_store import DuckDBStore
from .jsonl_store import JsonLinesStore
from .memory_store import MemoryStore
from .postgres_store import PostgresStore

__all__ = [
    "DuckDBStore",
    "EventStore",
    "JsonLinesStore",
    "MemoryStore",
    "PostgresStore",
    "Row",
]
