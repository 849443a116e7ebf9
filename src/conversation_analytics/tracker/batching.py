"""The queue between the agent and the store, and the task that drains it.

`BatchWriter.submit` is all the agent's path pays: a bounds check and a list
append. A background task wakes when `batch_size` events are waiting or
`flush_interval` seconds have passed, and hands the store everything waiting,
up to `max_batch_size` events per write.

A failed write is retried with exponential backoff (with jitter) for as long
as the store calls the error transient; a batch the store rejects with an
error it calls permanent `max_attempts` times is written in halves, halved
again while rejected, until each event the store cannot take is dropped on its
own and the rest are written. Meanwhile new events queue up to `max_queue`;
past that, new events are dropped, or `submit_when_ready` waits for room
(backpressure). Every drop
is counted in `TrackerStats` and logged at ERROR on the
`conversation_analytics.tracker` logger (at once, then at most every
`drop_log_interval` seconds while drops go on), and handed to `on_drop` if
given. `close()` flushes, waiting at most `close_timeout` seconds; what is
still unwritten then is dropped the same loud way. `close_from_outside` is
`close()` for the exit hook and the SIGTERM handler (`shutdown`).

Delivery is at-least-once: a write whose outcome is unknown (a time-out, a
connection lost after commit) is retried, and the raw table may then hold an
event twice. Staging deduplicates by id.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .stores.base import EventStore, Row

logger = logging.getLogger("conversation_analytics.tracker")

_REJECTS_LOGGED_PER_BATCH = 10
# How long close() waits for a cancelled writer before it gives up on it.
_CANCEL_WAIT = 5.0

DropHandler = Callable[[list[Row], str], None]
"""Called with the dropped rows and the reason (`queue_full`,
`rejected_by_store`, `unwritten_at_close`)."""


class TrackerClosedError(RuntimeError):
    """An event was recorded after the tracker was closed."""


@dataclass
class TrackerStats:
    """Counters of one tracker. `recorded = written + dropped + pending`,
    except that an event written just as it timed out can be counted dropped."""

    recorded: int = 0
    written: int = 0
    dropped: int = 0
    retries: int = 0
    batches: int = 0
    dropped_by_reason: Counter[str] = field(default_factory=Counter)
    dropped_by_type: Counter[str] = field(default_factory=Counter)

    @property
    def pending(self) -> int:
        """Events accepted but neither written nor dropped yet."""
        return self.recorded - self.written - self.dropped


@dataclass(frozen=True)
class BatchSettings:
    """How the writer batches, retries and bounds memory.

    `max_queue` bounds waiting events; one batch of up to `max_batch_size`
    more may be in flight. `write_timeout` bounds one store call; a call that
    takes longer counts as a transient failure.
    """

    batch_size: int = 500
    max_batch_size: int = 10_000
    flush_interval: float = 1.0
    max_queue: int = 100_000
    max_attempts: int = 5
    backoff_initial: float = 0.1
    backoff_max: float = 5.0
    write_timeout: float = 30.0
    close_timeout: float = 10.0
    drop_log_interval: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= self.max_batch_size:
            raise ValueError("need 1 <= batch_size <= max_batch_size")
        if self.max_queue < 1 or self.max_attempts < 1:
            raise ValueError("max_queue and max_attempts must be at least 1")
        for name in ("flush_interval", "backoff_initial", "backoff_max", "write_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.close_timeout < 0 or self.drop_log_interval < 0:
            raise ValueError("close_timeout and drop_log_interval must not be negative")


class BatchWriter:
    """A bounded queue of rows and the background task that writes them."""

    def __init__(
        self,
        store: EventStore,
        settings: BatchSettings | None = None,
        on_drop: DropHandler | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or BatchSettings()
        self.stats = TrackerStats()
        self._on_drop = on_drop
        self.on_start: Callable[[BatchWriter], None] | None = None
        self.on_close: Callable[[BatchWriter], None] | None = None
        self.flush_at_exit = True
        self._buffer: list[Row] = []
        self._inflight: list[Row] = []
        self._inflight_done = 0
        self._rejected_in_batch = 0
        self._enqueued = 0
        self._resolved = 0
        self._flush_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._space_waiters: list[asyncio.Future[None]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._store_open = False
        self._closing = False
        self._closed = False
        self._failing_since: float | None = None
        self._last_drop_log = -math.inf
        self._unreported_drops: Counter[str] = Counter()
        # Bound once: the hot path reads them as plain attributes.
        self._max_queue = self.settings.max_queue
        self._batch_size = self.settings.batch_size

    @property
    def closed(self) -> bool:
        return self._closing

    # -- the agent's path -------------------------------------------------

    def submit(self, row: Row) -> bool:
        """Queue one row; False when it was dropped because the queue is full.

        Must be called from the event loop the writer runs on.
        """
        if self._closing:
            raise TrackerClosedError("the tracker is closed: no more events can be recorded")
        self.stats.recorded += 1
        buffer = self._buffer
        if len(buffer) >= self._max_queue:
            self._drop_queue_full(row)
            return False
        buffer.append(row)
        self._enqueued += 1
        if self._task is None:
            self._start()
        elif len(buffer) >= self._batch_size:
            self._wake.set()  # type: ignore[union-attr]
        return True

    async def submit_when_ready(self, row: Row) -> None:
        """Queue one row, first waiting while the queue is full (backpressure).

        Waits as long as the store takes to make room: with a store that is
        down, for as long as it is down. Cancelling the wait (a time-out of
        the caller's) leaves the row unqueued and uncounted.
        """
        if self._closing:
            raise TrackerClosedError("the tracker is closed: no more events can be recorded")
        while len(self._buffer) >= self._max_queue:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._space_waiters.append(future)
            self._wake.set()  # type: ignore[union-attr]  # a full queue has a writer
            try:
                await future
            finally:
                if not future.done():
                    self._space_waiters.remove(future)
            if self._closing:
                raise TrackerClosedError("the tracker closed while this event waited for room")
        self.submit(row)

    def _wake_space_waiters(self) -> None:
        waiters, self._space_waiters = self._space_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "record events from inside a running event loop (the tracker's "
                "writer is an asyncio task)"
            ) from None
        self._loop = loop
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._run(), name="conversation-tracker-writer")
        self._task.add_done_callback(_log_crash)
        if self.on_start is not None:
            self.on_start(self)

    def _drop_queue_full(self, row: Row) -> None:
        self._count_drop([row], "queue_full")
        self._unreported_drops[row[3]] += 1
        now = time.monotonic()
        if now - self._last_drop_log >= self.settings.drop_log_interval:
            self._report_drops(now)

    # -- dropping, loudly ---------------------------------------------------

    def _count_drop(self, rows: list[Row], reason: str) -> None:
        stats = self.stats
        stats.dropped += len(rows)
        stats.dropped_by_reason[reason] += len(rows)
        for row in rows:
            stats.dropped_by_type[row[3]] += 1
        if self._on_drop is not None:
            try:
                self._on_drop(rows, reason)
            except Exception:
                logger.exception("the on_drop handler failed")

    def _report_drops(self, now: float | None = None) -> None:
        if not self._unreported_drops:
            return
        count = sum(self._unreported_drops.values())
        kinds = ", ".join(f"{kind} {n}" for kind, n in self._unreported_drops.most_common())
        failing = (
            f", failing for {time.monotonic() - self._failing_since:.0f}s"
            if self._failing_since is not None
            else ""
        )
        logger.error(
            "conversation tracker DROPPED %d events (%s): the queue is full "
            "(%d waiting for %s%s); %d dropped in total",
            count,
            kinds,
            len(self._buffer),
            self.store.name,
            failing,
            self.stats.dropped,
        )
        self._unreported_drops.clear()
        self._last_drop_log = time.monotonic() if now is None else now

    # -- the background writer ------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        settings = self.settings
        while True:
            wake.clear()
            idle = not self._closing and not self._flush_waiters
            if idle and len(self._buffer) < settings.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), settings.flush_interval)
                if _cancel_requested():
                    # Python 3.11's wait_for returns normally when the wake
                    # fires in the instant a cancel lands, dropping the
                    # cancel: stop here all the same.
                    raise asyncio.CancelledError
            while self._buffer:
                batch = self._buffer[: settings.max_batch_size]
                del self._buffer[: len(batch)]
                if self._space_waiters:
                    self._wake_space_waiters()
                self._inflight, self._inflight_done = batch, 0
                await self._write_with_retry(batch)
                self._inflight, self._inflight_done = [], 0
                self._resolved += len(batch)
                self._wake_flushers()
                if self._unreported_drops and self._failing_since is None:
                    self._report_drops()
                urgent = self._closing or self._flush_waiters
                if not urgent and len(self._buffer) < settings.batch_size:
                    break  # the rest waits for the size or the time trigger
            if self._closing and not self._buffer:
                return

    async def _write_with_retry(self, batch: list[Row]) -> None:
        """Write `batch`, retrying transient failures for as long as they last.

        A batch the store rejects `max_attempts` times is split in halves,
        each written on its own (and split again while rejected), so the
        events the store cannot take are found and dropped one by one and
        the rest are written. Parts are written in order: what is resolved
        of the batch is always a prefix of it (`_inflight_done`).
        """
        self._rejected_in_batch = 0
        error = await self._attempt(batch, self.settings.max_attempts)
        if error is None:
            return
        if len(batch) == 1:
            self._drop_rejected(batch, error, self.settings.max_attempts)
            return
        logger.warning(
            "%s rejected a batch of %d events %d times (%s: %s); writing it in "
            "parts to find the events it rejects",
            self.store.name,
            len(batch),
            self.settings.max_attempts,
            type(error).__name__,
            _short(error),
        )
        last_error: BaseException = error
        parts = [batch]
        while parts:
            part = parts.pop()
            if part is not batch:
                error = await self._attempt(part, 1)
                if error is None:
                    continue
                last_error = error
            if len(part) == 1:
                self._drop_rejected(part, last_error, 1)
            else:
                middle = len(part) // 2
                parts += [part[middle:], part[:middle]]
        unlogged = self._rejected_in_batch - _REJECTS_LOGGED_PER_BATCH
        if unlogged > 0:
            logger.error(
                "%s rejected %d more events of the batch of %d (last: %s: %s); DROPPED them, "
                "%d rejected in total",
                self.store.name,
                unlogged,
                len(batch),
                type(last_error).__name__,
                _short(last_error),
                self.stats.dropped_by_reason["rejected_by_store"],
            )

    async def _attempt(self, rows: list[Row], permanent_attempts: int) -> BaseException | None:
        """Write `rows`; None once written, or the error after the store
        rejected them `permanent_attempts` times. Transient errors are
        retried with backoff and never returned."""
        settings = self.settings
        attempt = rejected = 0
        while True:
            try:
                if not self._store_open:
                    await asyncio.wait_for(self.store.open(), settings.write_timeout)
                    self._store_open = True
                await asyncio.wait_for(self.store.write(rows), settings.write_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if _cancel_requested():
                    # Python 3.11's wait_for turns a cancel that lands as the
                    # write fails into the write's error; retrying would
                    # leave close() waiting on a writer that never ends.
                    raise asyncio.CancelledError from error
                attempt += 1
                self._store_open = False
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                transient = isinstance(error, TimeoutError) or self.store.is_transient(error)
                if not transient:
                    rejected += 1
                    if rejected >= permanent_attempts:
                        return error
                self.stats.retries += 1
                delay = min(settings.backoff_max, settings.backoff_initial * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.0)
                logger.warning(
                    "writing %d events to %s failed (attempt %d, %s: %s); retrying in %.2fs, "
                    "%d events waiting",
                    len(rows),
                    self.store.name,
                    attempt,
                    type(error).__name__,
                    _short(error),
                    delay,
                    len(self._buffer),
                )
                await asyncio.sleep(delay)
            else:
                self.stats.written += len(rows)
                self.stats.batches += 1
                self._inflight_done += len(rows)
                if self._failing_since is not None:
                    logger.warning(
                        "%s is writable again after %.1fs",
                        self.store.name,
                        time.monotonic() - self._failing_since,
                    )
                    self._failing_since = None
                return None

    def _drop_rejected(self, rows: list[Row], error: BaseException, attempts: int) -> None:
        """Drop one event the store rejects whatever the retries (an id over
        an index's size limit, a character the column cannot hold). The
        first few of a batch are logged one by one, the rest in one line."""
        self._inflight_done += len(rows)
        self._count_drop(rows, "rejected_by_store")
        self._rejected_in_batch += 1
        if self._rejected_in_batch > _REJECTS_LOGGED_PER_BATCH:
            return
        logger.error(
            "%s rejected event %s (%s) %d times (%s: %s); DROPPED it, %d rejected in total",
            self.store.name,
            _clip(rows[0][0]),
            rows[0][3],
            attempts,
            type(error).__name__,
            _short(error),
            self.stats.dropped_by_reason["rejected_by_store"],
        )

    def _requeue_inflight(self) -> None:
        """Put the unwritten part of an interrupted batch back in front."""
        self._buffer[:0] = self._inflight[self._inflight_done :]
        self._resolved += self._inflight_done
        self._inflight, self._inflight_done = [], 0

    def _wake_flushers(self) -> None:
        if not self._flush_waiters:
            return
        waiting = []
        for target, future in self._flush_waiters:
            if self._resolved >= target:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((target, future))
        self._flush_waiters = waiting

    # -- flush and close -------------------------------------------------------

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event queued so far is written (or dropped).

        Returns False if `timeout` seconds passed first; nothing is dropped then.
        """
        if self._task is None or self._resolved >= self._enqueued:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flush_waiters.append((self._enqueued, future))
        assert self._wake is not None
        self._wake.set()
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        return True

    async def close(self, timeout: float | None = None) -> None:
        """Flush for at most `timeout` (default `close_timeout`) seconds, drop
        loudly what is left, and close the store. Idempotent."""
        if self._closed:
            return
        self._closing = True
        timeout = self.settings.close_timeout if timeout is None else timeout
        if self._task is not None:
            deadline = time.monotonic() + timeout
            while True:
                assert self._wake is not None
                self._wake.set()
                left = deadline - time.monotonic()
                done, _ = await asyncio.wait({self._task}, timeout=max(left, 0.0))
                if not done:
                    await self._cancel_writer()
                    break
                unwritten = self._buffer or self._inflight_done < len(self._inflight)
                if not (_ended_from_outside(self._task) and unwritten and left > 0):
                    break
                # The writer was cancelled from outside (asyncio.run cancels
                # every task when its main coroutine ends, a SystemExit too),
                # or a signal handler's SystemExit was raised inside it: a
                # new one writes the rest.
                self._requeue_inflight()
                self._start()
            self._report_drops()
            left = self._inflight[self._inflight_done :] + self._buffer
            self._inflight, self._inflight_done, self._buffer = [], 0, []
            if left:
                self._count_drop(left, "unwritten_at_close")
                logger.error(
                    "conversation tracker closed with %d events unwritten after %.1fs "
                    "(%s): DROPPED them",
                    len(left),
                    timeout,
                    self.store.name,
                )
        self._report_drops()
        self._wake_space_waiters()
        for _, future in self._flush_waiters:
            if not future.done():
                future.set_result(None)
        self._flush_waiters = []
        try:
            await asyncio.wait_for(self.store.close(), max(timeout, 1.0))
        except Exception as error:
            logger.warning(
                "closing %s failed: %s: %s", self.store.name, type(error).__name__, error
            )
        self._closed = True
        if self.on_close is not None:
            self.on_close(self)

    async def _cancel_writer(self) -> None:
        """Cancel the writer and wait for it a bounded time: a close at exit
        must end even if a store swallows the cancellation."""
        task = self._task
        assert task is not None
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=_CANCEL_WAIT)
        if not done:
            logger.error(
                "the conversation tracker's writer did not stop %.1fs after it was "
                "cancelled (%s); closing without it",
                _CANCEL_WAIT,
                self.store.name,
            )
        elif not task.cancelled():
            task.exception()  # retrieved: its failure is logged by _log_crash

    def close_from_outside(self, timeout: float | None = None) -> None:
        """`close()` for code outside the writer's event loop: an `atexit`
        hook, a signal handler while the loop is not running.

        A loop left open (not running) is used as it is; a loop running in
        another thread gets the close as a coroutine; when the loop is closed
        (`asyncio.run` returned, cancelling the writer), the events still
        queued are written from a new loop through a reopened store.
        """
        if self._closed:
            return
        left = len(self._inflight) - self._inflight_done + len(self._buffer)
        if left:
            logger.warning(
                "conversation tracker was not closed: writing the %d events still "
                "queued for %s before the process exits",
                left,
                self.store.name,
            )
        loop = self._loop
        wait = self.settings.close_timeout if timeout is None else timeout
        if loop is not None and not loop.is_closed():
            if loop.is_running():
                loop.call_soon_threadsafe(loop.set_default_executor, _InlineExecutor())
                future = asyncio.run_coroutine_threadsafe(self.close(timeout), loop)
                with contextlib.suppress(Exception):
                    future.result(wait + 5.0)
                return
            if self._task is not None and not self._task.done():
                loop.set_default_executor(_InlineExecutor())
                loop.run_until_complete(self.close(timeout))
                return
        loop = asyncio.new_event_loop()
        try:
            loop.set_default_executor(_InlineExecutor())
            loop.run_until_complete(self._close_in_new_loop(timeout))
        finally:
            loop.close()

    async def _close_in_new_loop(self, timeout: float | None) -> None:
        # The writer task died with its loop; its store's connections may
        # belong to that loop too. Put back what was not written, let the
        # store drop what it held, and write through a fresh task.
        self._requeue_inflight()
        self._flush_waiters, self._space_waiters = [], []
        self._task, self._store_open, self._closing = None, False, False
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.store.close(), 2.0)
        if self._buffer:
            self._start()
        await self.close(timeout)


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs `asyncio.to_thread` work in the calling thread. At interpreter
    exit no new worker thread can start, and the stores run their blocking
    calls through `to_thread`."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: concurrent.futures.Future[object] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def _ended_from_outside(task: asyncio.Task[None]) -> bool:
    """The writer ended by cancellation, or by a SystemExit or
    KeyboardInterrupt raised into it (a signal handler that runs while the
    writer's code runs): not by its own failure, which a new writer would
    repeat."""
    if task.cancelled():
        return True
    error = task.exception()
    return error is not None and not isinstance(error, Exception)


def _cancel_requested() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _log_crash(task: asyncio.Task[None]) -> None:
    # A SystemExit or KeyboardInterrupt raised into the writer is the
    # process ending, not a crash: close() starts a writer for the rest.
    if not task.cancelled() and isinstance(task.exception(), Exception):
        logger.error(
            "the conversation tracker's writer stopped unexpectedly",
            exc_info=task.exception(),
        )


def _short(error: BaseException, limit: int = 300) -> str:
    """The first line of an error's message, clipped for a log line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text if len(text) <= limit else text[:limit] + "..."


def _clip(value: str | None, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(value or '')} characters)"
