"""An in-memory store: for tests, examples and measuring the tracker alone."""

from __future__ import annotations

from .base import Row


class MemoryStore:
    """Keeps every written row in `rows`, in write order."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.batches = 0
        self.opened = False
        self.closed = False

    @property
    def name(self) -> str:
        return "memory"

    async def open(self) -> None:
        self.opened = True

    async def write(self, rows: list[Row]) -> None:
        self.rows.extend(rows)
        self.batches += 1

    async def close(self) -> None:
        self.closed = True

    def is_transient(self, error: BaseException) -> bool:
        return True
