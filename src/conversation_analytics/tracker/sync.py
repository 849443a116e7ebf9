"""`SyncConversationTracker`: the tracker for agents that do not run asyncio.

    tracker = SyncConversationTracker(DuckDBStore("events.duckdb"))
    tracker.started("c-1", "u-1", channel="web", agent_id="support")
    tracker.user_message("c-1", "u-1", text="How do I reset my password?")
    tracker.close()                       # or: with SyncConversationTracker(...) as tracker

A thin wrapper: a `ConversationTracker` runs on an event loop in a background
thread of its own, and each call hands the tracker's coroutine to that loop
and waits for its result. The call therefore costs a hop between threads
(tens of microseconds) on top of the tracker's own work; it waits for the
store only with `when_full="wait"`. Validation errors are raised in the
caller, as with the async tracker. Any thread may call it.

The loop's thread is a daemon thread, so a program that forgets `close()`
still exits; the exit hook (`flush_on_exit`) then closes the tracker on that
thread before the interpreter ends.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from ..contract import EventRecord
from .batching import TrackerClosedError, TrackerStats
from .stores.base import EventStore
from .tracker import ConversationTracker

T = TypeVar("T")

_EVENT_CALLS = (
    "record",
    "started",
    "user_message",
    "agent_response",
    "tool_called",
    "handoff_requested",
    "feedback",
    "completed",
    "abandoned",
)


class SyncConversationTracker:
    """`ConversationTracker` for synchronous code; takes the same arguments.

    The event calls (`record`, `started`, `user_message`, ...) have the async
    tracker's signatures and return its `EventRecord`.
    """

    def __init__(self, store: EventStore, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="conversation-tracker-loop", daemon=True
        )
        self._thread.start()
        self._closed = False

        async def make() -> ConversationTracker:
            return ConversationTracker(store, **options)

        self.tracker = self._run(make())

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def __getattr__(self, name: str) -> Any:
        if name not in _EVENT_CALLS:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        call = getattr(self.tracker, name)

        def event_call(*args: Any, **kwargs: Any) -> EventRecord:
            if self._closed:
                raise TrackerClosedError("the tracker is closed: no more events can be recorded")
            return self._run(call(*args, **kwargs))

        event_call.__name__ = name
        event_call.__doc__ = call.__doc__
        return event_call

    @property
    def stats(self) -> TrackerStats:
        return self.tracker.stats

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything recorded so far is written; False on time-out."""
        return self._run(self.tracker.flush(timeout))

    def close(self, timeout: float | None = None) -> None:
        """Close the tracker (as `ConversationTracker.close`), then its loop."""
        if self._closed:
            return
        try:
            self._run(self.tracker.close(timeout))
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def __enter__(self) -> SyncConversationTracker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
