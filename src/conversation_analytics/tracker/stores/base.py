"""What every event store offers the tracker's background writer.

A store receives batches of rows in `RAW_COLUMNS` order (`Row`): the record's
fields with the metadata already serialised to JSON text by the tracker. It is
opened lazily by the writer, written to from one writer at a time, and closed
when the tracker closes. A write either stores the whole batch or raises; the
writer retries it, so a store must tolerate seeing a batch twice (the raw
table is at-least-once: staging deduplicates by id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

Row = tuple[str, str, str | None, str, datetime, str | None]
"""(id, conversation_id, user_id, event_type, timestamp UTC, metadata JSON text)."""


@runtime_checkable
class EventStore(Protocol):
    """A destination for event batches."""

    @property
    def name(self) -> str:
        """A short description for logs (`duckdb:/path/file.duckdb`)."""
        ...

    async def open(self) -> None:
        """Connect and create the raw table if needed; idempotent."""
        ...

    async def write(self, rows: list[Row]) -> None:
        """Store all `rows` or raise."""
        ...

    async def close(self) -> None:
        """Release connections; idempotent."""
        ...

    def is_transient(self, error: BaseException) -> bool:
        """Whether `error` may go away by retrying the same batch later
        (a lost connection, a locked file), rather than being a fault of the
        batch or of the table that retrying cannot fix."""
        ...
