"""Delivery: batching triggers, retries, a store that is down, the bounded queue, close."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from _tracker_fixtures import DownStore, FlakyStore, RejectingStore, load_example
from conversation_analytics.tracker import (
    BatchSettings,
    ConversationTracker,
    DuckDBStore,
    MemoryStore,
    TrackerClosedError,
)

LOGGER = "conversation_analytics.tracker"

FAST_RETRY = {"backoff_initial": 0.01, "backoff_max": 0.05}


def tracker_for(store, **settings: float) -> ConversationTracker:
    return ConversationTracker(store, settings=BatchSettings(**settings), embedder="ngram")


async def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def test_a_full_batch_is_written_without_waiting_for_the_timer() -> None:
    store = MemoryStore()
    tracker = tracker_for(store, batch_size=10, flush_interval=60)
    for expected in (10, 20):
        for i in range(10):
            await tracker.record("c", "u", "user_message", turn=i)
        await wait_until(lambda: tracker.stats.written == expected)  # noqa: B023
    for i in range(5):
        await tracker.record("c", "u", "user_message", turn=i)
    await asyncio.sleep(0.05)
    assert tracker.stats.written == 20  # the last 5 wait for the size or the time trigger
    assert store.batches == 2
    assert await tracker.flush(timeout=5)
    assert tracker.stats.written == 25 and store.batches == 3
    await tracker.close()


async def test_a_partial_batch_is_written_when_the_interval_passes() -> None:
    store = MemoryStore()
    tracker = tracker_for(store, batch_size=1000, flush_interval=0.05)
    for i in range(3):
        await tracker.record("c", "u", "user_message", turn=i)
    assert tracker.stats.written == 0  # record() never writes on the caller's path
    await wait_until(lambda: tracker.stats.written == 3, timeout=5)
    assert store.batches == 1
    await tracker.close()


async def test_writes_are_capped_at_max_batch_size() -> None:
    store = MemoryStore()
    tracker = tracker_for(store, batch_size=10, max_batch_size=40, flush_interval=60)
    for i in range(100):
        tracker.record_nowait("c", "u", "user_message", turn=i)
    await tracker.close()
    assert len(store.rows) == 100 and store.batches == 3
    assert [row[5] for row in store.rows] == [f'{{"turn":{i}}}' for i in range(100)]


async def test_a_store_that_fails_twice_then_recovers_loses_nothing(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    store = FlakyStore(DuckDBStore(tmp_path / "events.duckdb"), failures=2)
    tracker = tracker_for(store, batch_size=50, flush_interval=0.02, **FAST_RETRY)
    ids = [
        (await tracker.record(f"c{i % 7}", "u", "user_message", turn=i)).id for i in range(500)
    ]
    await tracker.close()
    assert tracker.stats.written == 500
    assert (tracker.stats.dropped, tracker.stats.retries) == (0, 2)
    assert store.attempts == tracker.stats.batches + 2
    retries = [r for r in caplog.records if "failed (attempt" in r.getMessage()]
    assert len(retries) == 2 and "injected failure" in retries[0].getMessage()
    assert any("writable again" in r.getMessage() for r in caplog.records)

    import duckdb

    with duckdb.connect(str(tmp_path / "events.duckdb")) as con:
        stored = [r[0] for r in con.execute("select id from raw.conversation_events").fetchall()]
    assert sorted(stored) == sorted(ids)


async def test_an_ambiguous_failure_delivers_at_least_once() -> None:
    inner = MemoryStore()
    store = FlakyStore(inner, failures=1, fail_after_write=True)
    tracker = tracker_for(store, batch_size=10, flush_interval=60, **FAST_RETRY)
    for i in range(10):
        await tracker.record("c", "u", "user_message", turn=i)
    await tracker.close()
    assert tracker.stats.written == 10 and tracker.stats.dropped == 0
    assert len(inner.rows) == 20 and len({row[0] for row in inner.rows}) == 10


@pytest.mark.parametrize("hang", [False, True], ids=["refusing", "hanging"])
async def test_a_store_that_is_down_does_not_stall_the_agent_loop(hang, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    example = load_example()
    scenarios = example.build_scenarios(70, seed=3)
    store = DownStore(hang=hang)
    tracker = tracker_for(
        store, batch_size=20, max_queue=100, flush_interval=0.01, write_timeout=0.2, **FAST_RETRY
    )

    started = time.monotonic()
    await example.run_scenarios(tracker, scenarios, llm_delay=0.001)
    loop_seconds = time.monotonic() - started
    recorded = tracker.stats.recorded

    started = time.monotonic()
    await tracker.close(timeout=0.3)
    close_seconds = time.monotonic() - started

    # Generous bounds: the point is "bounded", not "fast".
    assert loop_seconds < 10, f"the agent loop took {loop_seconds:.1f}s with the store down"
    assert close_seconds < 5, f"close() took {close_seconds:.1f}s with the store down"
    stats = tracker.stats
    assert recorded > 300 and stats.written == 0
    assert stats.dropped == recorded and stats.pending == 0
    # At close: a full queue (100) plus the batch that was being retried.
    unwritten = stats.dropped_by_reason["unwritten_at_close"]
    assert 100 < unwritten <= 200
    assert stats.dropped_by_reason["queue_full"] == recorded - unwritten
    assert store.attempts >= 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("DROPPED" in m and "queue is full" in m and "user_message" in m for m in errors)
    assert any(f"closed with {unwritten} events unwritten" in m for m in errors)


async def test_queue_full_drops_are_reported_at_most_once_per_interval(caplog) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    dropped: list[tuple[int, str]] = []
    tracker = ConversationTracker(
        DownStore(),
        settings=BatchSettings(max_queue=10, drop_log_interval=3600, **FAST_RETRY),
        on_drop=lambda rows, reason: dropped.append((len(rows), reason)),
    )
    for i in range(50):
        accepted = tracker.record_nowait("c", "u", "agent_response", turn=i)
        assert accepted.conversation_id == "c"
    reports = [r for r in caplog.records if "queue is full" in r.getMessage()]
    assert len(reports) == 1 and "agent_response 1" in reports[0].getMessage()
    assert tracker.stats.dropped_by_type["agent_response"] == 40
    await tracker.close(timeout=0.05)
    # The close reports what had not been reported yet: the 39 later drops.
    reports = [r.getMessage() for r in caplog.records if "queue is full" in r.getMessage()]
    assert len(reports) == 2 and "DROPPED 39 events (agent_response 39)" in reports[1]
    assert dropped.count((1, "queue_full")) == 40
    assert (10, "unwritten_at_close") in dropped


async def test_a_batch_rejected_then_accepted_is_written_in_parts(caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    inner = MemoryStore()
    store = FlakyStore(inner, failures=3, error=ValueError)
    store.is_transient = lambda error: False  # type: ignore[method-assign]
    tracker = tracker_for(store, batch_size=5, max_attempts=3, flush_interval=60, **FAST_RETRY)
    for i in range(5):
        await tracker.record("c", "u", "user_message", turn=i)
    await tracker.close()
    stats = tracker.stats
    assert (stats.dropped, stats.written, stats.retries) == (0, 5, 2)
    assert any("writing it in parts" in r.getMessage() for r in caplog.records)


async def test_one_event_the_store_rejects_is_dropped_and_the_rest_written(caplog) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    inner = MemoryStore()
    dropped: list[tuple[list, str]] = []
    store = RejectingStore(inner, rejects=lambda row: row[0] == "bad")
    tracker = ConversationTracker(
        store,
        settings=BatchSettings(batch_size=1000, max_attempts=3, flush_interval=60, **FAST_RETRY),
        embedder="ngram",
        on_drop=lambda rows, reason: dropped.append((rows, reason)),
    )
    for i in range(1000):
        event_id = "bad" if i == 637 else None
        await tracker.record("c", "u", "user_message", event_id=event_id, turn=i)
    await tracker.close()
    stats = tracker.stats
    assert (stats.written, stats.dropped) == (999, 1)
    assert stats.dropped_by_reason == {"rejected_by_store": 1}
    assert [r[0] for rows, _ in dropped for r in rows] == ["bad"]
    assert sorted(int(r[5].split(":")[1].rstrip("}")) for r in inner.rows) == [
        i for i in range(1000) if i != 637
    ]
    # Found by halving: 3 tries of the batch, then about 2 writes per level.
    assert len(store.write_sizes) <= 3 + 2 * 10
    [report] = [r.getMessage() for r in caplog.records if "DROPPED" in r.getMessage()]
    assert "event 'bad' (user_message)" in report and "ValueError" in report


async def test_a_store_that_rejects_every_event_drops_each_one_counted(caplog) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    store = RejectingStore(MemoryStore(), rejects=lambda row: True)
    tracker = tracker_for(store, batch_size=5, max_attempts=3, flush_interval=60, **FAST_RETRY)
    for i in range(5):
        await tracker.record("c", "u", "user_message", turn=i)
    await tracker.close()
    stats = tracker.stats
    assert (stats.dropped, stats.written, stats.retries) == (5, 0, 2)
    assert stats.dropped_by_reason == {"rejected_by_store": 5}
    assert sum("DROPPED" in r.getMessage() for r in caplog.records) == 5


async def test_flush_gives_up_after_its_timeout_without_dropping() -> None:
    tracker = tracker_for(DownStore(), **FAST_RETRY)
    await tracker.record("c", "u", "started")
    started = time.monotonic()
    assert await tracker.flush(timeout=0.1) is False
    assert time.monotonic() - started < 5
    assert tracker.stats.dropped == 0 and tracker.stats.pending == 1
    await tracker.close(timeout=0.05)
    assert tracker.stats.dropped == 1


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        BatchSettings(batch_size=0)
    with pytest.raises(ValueError, match="flush_interval"):
        BatchSettings(flush_interval=0)


async def test_a_burst_with_backpressure_is_written_whole(tmp_path) -> None:
    """A burst four times `max_queue` into a healthy store (the 200,000
    against 100,000 of the defaults, scaled down): the default drops what
    overflows; `when_full="wait"` waits for room and drops none."""
    burst, settings = 40_000, BatchSettings(max_queue=10_000, max_batch_size=5_000)
    waiting = ConversationTracker(
        DuckDBStore(tmp_path / "waits.duckdb"),
        settings=settings,
        embedder="ngram",
        when_full="wait",
    )
    for i in range(burst):
        await waiting.record(f"c{i % 100}", "u", "user_message", turn=i)
    await waiting.close(timeout=120)
    assert (waiting.stats.written, waiting.stats.dropped) == (burst, 0)

    dropping = ConversationTracker(MemoryStore(), settings=settings, embedder="ngram")
    for i in range(burst):
        await dropping.record(f"c{i % 100}", "u", "user_message", turn=i)
    await dropping.close()
    assert dropping.stats.dropped_by_reason["queue_full"] == burst - 10_000


async def test_waiting_for_room_ends_with_the_tracker_or_the_caller() -> None:
    tracker = ConversationTracker(
        DownStore(),
        settings=BatchSettings(batch_size=2, max_batch_size=2, max_queue=3, **FAST_RETRY),
        embedder="ngram",
        when_full="wait",
    )
    for i in range(5):  # two in flight, three waiting
        await tracker.record("c", "u", "started", turn=i)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await tracker.record("c", "u", "started")
    assert tracker.stats.recorded == 5  # the event that timed out was not taken
    blocked = asyncio.create_task(tracker.started("c", "u"))
    await asyncio.sleep(0.05)
    await tracker.close(timeout=0.05)
    with pytest.raises(TrackerClosedError):
        await blocked
    assert tracker.stats.dropped == 5


async def test_many_rejected_events_are_logged_a_few_then_in_one_line(caplog) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    rejected = {f'{{"turn":{i}}}' for i in range(0, 100, 5)}
    store = RejectingStore(MemoryStore(), rejects=lambda row: row[5] in rejected)
    tracker = tracker_for(store, batch_size=100, max_attempts=1, flush_interval=60)
    for i in range(100):
        await tracker.record("c", "u", "user_message", turn=i)
    await tracker.close()
    assert (tracker.stats.written, tracker.stats.dropped) == (80, 20)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("DROPPED it," in m for m in messages) == 10
    [summary] = [m for m in messages if "DROPPED them" in m]
    assert "rejected 10 more events of the batch of 100" in summary


class CancelledAsItFails:
    """A store that is down, and whose writer is cancelled in the instant a
    failed write has ended but before the writer has resumed: what `close()`
    does when its time-out falls there. On Python 3.11 `asyncio.wait_for`
    turns that cancellation into the write's own error."""

    name = "cancelled-as-it-fails"

    def __init__(self) -> None:
        self.writer: asyncio.Task[None] | None = None
        self.writes = 0
        self.cancelled_at: int | None = None  # the write the cancel landed on

    async def open(self) -> None:
        pass

    async def write(self, rows) -> None:
        self.writes += 1
        if self.writer is not None and self.cancelled_at is None and self.writes >= 3:
            self.cancelled_at = self.writes
            asyncio.get_running_loop().call_soon(self.writer.cancel)
        raise ConnectionRefusedError("down")

    async def close(self) -> None:
        pass

    def is_transient(self, error: BaseException) -> bool:
        return True


async def test_a_cancel_that_lands_as_a_write_fails_still_stops_the_writer(caplog) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    store = CancelledAsItFails()
    tracker = tracker_for(store, close_timeout=0.2, **FAST_RETRY)
    for i in range(10):
        await tracker.record("c", "u", "user_message", turn=i)
    writer = tracker._writer._task
    assert writer is not None
    store.writer = writer
    await wait_until(writer.done, timeout=5)
    assert writer.cancelled() and store.writes == store.cancelled_at  # no retry after it
    await asyncio.wait_for(tracker.close(), 5)
    assert (tracker.stats.written, tracker.stats.dropped) == (0, 10)
    assert any("closed with 10 events unwritten" in r.getMessage() for r in caplog.records)


async def test_a_cancel_that_lands_as_the_idle_writer_wakes_still_stops_it(monkeypatch) -> None:
    """On Python 3.11, a cancel landing in the instant the awaited wake has
    fired is swallowed by `asyncio.wait_for`, which returns normally. The
    writer must still stop instead of waiting on, uncancellable."""
    tracker = tracker_for(MemoryStore(), flush_interval=0.05)
    await tracker.record("c", "u", "user_message", turn=1)
    await tracker.flush()
    writer = tracker._writer._task
    assert writer is not None
    real_wait_for = asyncio.wait_for

    async def wait_for_as_on_311(awaitable, timeout):
        try:
            return await real_wait_for(awaitable, timeout)
        except asyncio.CancelledError:
            if asyncio.current_task() is not writer:
                raise
            return None  # the awaited finished as the cancel landed

    monkeypatch.setattr(asyncio, "wait_for", wait_for_as_on_311)
    await asyncio.sleep(0.1)  # the writer is back in its idle wait
    writer.cancel()
    await asyncio.wait({writer}, timeout=2)
    stopped = writer.cancelled()
    monkeypatch.undo()
    if not stopped:  # let the test's event loop end
        writer.cancel()
        await asyncio.wait({writer}, timeout=5)
    assert stopped
    await asyncio.wait_for(tracker.close(), 5)
    assert tracker.stats.written == 1


class IgnoresCancellation(CancelledAsItFails):
    """A store whose write swallows every cancellation while `stubborn`."""

    name = "ignores-cancellation"
    stubborn = True

    async def write(self, rows) -> None:
        while True:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                if not self.stubborn:
                    raise


async def test_close_gives_up_on_a_writer_that_will_not_stop(monkeypatch, caplog) -> None:
    monkeypatch.setattr("conversation_analytics.tracker.batching._CANCEL_WAIT", 0.3)
    caplog.set_level(logging.ERROR, logger=LOGGER)
    store = IgnoresCancellation()
    tracker = tracker_for(store, close_timeout=0.2, write_timeout=60)
    for i in range(10):
        await tracker.record("c", "u", "user_message", turn=i)
    await asyncio.wait_for(tracker.close(), 5)
    assert tracker.stats.dropped == 10
    messages = [r.getMessage() for r in caplog.records]
    assert any("did not stop 0.3s after it was cancelled" in m for m in messages)
    store.stubborn = False  # let the test's event loop end
    writer = tracker._writer._task
    writer.cancel()
    await asyncio.wait({writer}, timeout=5)
    assert writer.cancelled()
