"""Where the tracker writes events: DuckDB, PostgreSQL, JSON-lines files, memory.

The DuckDB and PostgreSQL stores load their database drivers only when they
are first used, so an agent that writes JSON lines (or tests with the
memory store) imports neither.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base import EventStore, Row
from .jsonl_store import JsonLinesStore
from .memory_store import MemoryStore

if TYPE_CHECKING:
    from .duckdb_store import DuckDBStore
    from .postgres_store import PostgresStore

_DRIVER_STORES = {"DuckDBStore": ".duckdb_store", "PostgresStore": ".postgres_store"}

__all__ = [
    "DuckDBStore",
    "EventStore",
    "JsonLinesStore",
    "MemoryStore",
    "PostgresStore",
    "Row",
]


def __getattr__(name: str) -> Any:
    if name in _DRIVER_STORES:
        return getattr(import_module(_DRIVER_STORES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
