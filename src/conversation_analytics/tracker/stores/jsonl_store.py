"""JSON-lines store: rotating files to ship to object storage.

Events are appended to `<prefix>-<UTC start>-<pid>-<n>.jsonl.part`; when a file
holds `max_events_per_file` events, is `max_file_seconds` old, or the tracker
closes, it is renamed to `.jsonl`. A shipper (a cron job, a sidecar, an
object-storage sync) picks up only `*.jsonl` files, which are complete and
never written again. One line is one event:

    {"id": "...", "conversation_id": "...", "user_id": null,
     "event_type": "user_message", "timestamp": "2026-03-17T09:00:00.123456+00:00",
     "metadata": {"turn": 1, "message_length": 42}}

A write that fails half-way (a full disk) is cut back to the last whole line,
so a retry never leaves a broken line behind.

A process that dies before it closes the tracker (SIGKILL, SIGTERM without
`flush_on_sigterm`, a power cut) leaves its `.part` file behind. The store
holds a lock on the file it writes (`flock`, where the platform has it); when
a store opens, it finishes every `.part` file of its prefix that no live store
holds: cut back to the last whole line, renamed to `.jsonl`, in
`completed_files`, and logged with its event count.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .base import Row

try:
    import fcntl
except ImportError:  # Windows: orphans are told by their process id instead
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("conversation_analytics.tracker")

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class JsonLinesStore:
    """Appends batches to rotating JSON-lines files in `directory`."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "conversation_events",
        max_events_per_file: int = 100_000,
        max_file_seconds: float = 300.0,
    ) -> None:
        if max_events_per_file < 1 or max_file_seconds <= 0:
            raise ValueError("max_events_per_file and max_file_seconds must be positive")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_events_per_file = max_events_per_file
        self.max_file_seconds = max_file_seconds
        self.completed_files: list[Path] = []
        self._lock = threading.Lock()
        self._file: Path | None = None
        self._handle: BinaryIO | None = None
        self._file_events = 0
        self._file_opened_at = 0.0
        self._sequence = 0

    @property
    def name(self) -> str:
        return f"jsonl:{self.directory}"

    async def open(self) -> None:
        await asyncio.to_thread(self._open_sync)

    def _open_sync(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for part in sorted(self.directory.glob(f"{self.prefix}-*.jsonl.part")):
                if part != self._file:
                    self._finish_orphan(part)

    def _finish_orphan(self, part: Path) -> None:
        """Complete a `.part` file whose writer is gone; leave it if it lives."""
        try:
            with part.open("r+b") as handle:
                if fcntl is not None:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        return  # a live store writes it
                elif _writer_alive(part):
                    return
                data = handle.read()
                whole = data.rfind(b"\n") + 1
                if whole < len(data):
                    handle.truncate(whole)
                events = data.count(b"\n")
                final = part.with_suffix("")  # drop ".part"
                os.replace(part, final)
        except FileNotFoundError:
            return  # another store finished it first
        self.completed_files.append(final)
        logger.warning(
            "%s: finished %s, left behind by a process that ended without closing its "
            "tracker (%d events%s)",
            self.name,
            final.name,
            events,
            f", {len(data) - whole} bytes of a broken last line cut" if whole < len(data) else "",
        )

    async def write(self, rows: list[Row]) -> None:
        if rows:
            await asyncio.to_thread(self._write_sync, rows)

    def _write_sync(self, rows: list[Row]) -> None:
        text = "".join(_line(row) for row in rows).encode("utf-8")
        with self._lock:
            if self._file is not None and self._due_for_rotation():
                self._complete_current()
            if self._file is None:
                self._start_file()
            assert self._handle is not None
            handle = self._handle
            start = handle.seek(0, os.SEEK_END)
            try:
                handle.write(text)
                handle.flush()
            except BaseException:
                handle.truncate(start)
                raise
            self._file_events += len(rows)
            if self._due_for_rotation():
                self._complete_current()

    def _due_for_rotation(self) -> bool:
        return (
            self._file_events >= self.max_events_per_file
            or time.monotonic() - self._file_opened_at >= self.max_file_seconds
        )

    def _start_file(self) -> None:
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self._file = self.directory / (
            f"{self.prefix}-{stamp}-{os.getpid()}-{self._sequence}.jsonl.part"
        )
        self._handle = self._file.open("ab")
        if fcntl is not None:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file_events = 0
        self._file_opened_at = time.monotonic()

    def _complete_current(self) -> None:
        if self._file is None:
            return
        if self._handle is not None:
            self._handle.close()  # and its lock
            self._handle = None
        if self._file.exists():
            final = self._file.with_suffix("")  # drop ".part"
            os.replace(self._file, final)
            self.completed_files.append(final)
        self._file = None
        self._file_events = 0

    async def close(self) -> None:
        await asyncio.to_thread(self._close_sync)

    def _close_sync(self) -> None:
        with self._lock:
            self._complete_current()

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, OSError)


def _writer_alive(part: Path) -> bool:
    """Whether the process named in a `.part` file's name still runs."""
    try:
        pid = int(part.name.split("-")[-2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _line(row: Row) -> str:
    event_id, conversation_id, user_id, event_type, timestamp, metadata = row
    # `metadata` is JSON text the tracker produced from a validated dict.
    return (
        f'{{"id":{_dumps(event_id)},"conversation_id":{_dumps(conversation_id)},'
        f'"user_id":{_dumps(user_id)},"event_type":{_dumps(event_type)},'
        f'"timestamp":{_dumps(timestamp.isoformat())},'
        f'"metadata":{"null" if metadata is None else metadata}}}\n'
    )
