"""Delivery: batching triggers, retries, a store that is down, the bounded queue, close."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from _tracker_fixtures import DownStore, FlakyStore, load_example
from conversation_analytics.tracker import (
    BatchSettings,
    ConversationTracker,
    DuckDBStore,
    MemoryStore,
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


async def test_a_batch_the_store_keeps_rejecting_is_dropped_after_max_attempts(caplog) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    inner = MemoryStore()
    store = FlakyStore(inner, failures=3, error=ValueError)
    store.is_transient = lambda error: False  # type: ignore[method-assign]
    tracker = tracker_for(store, batch_size=5, max_attempts=3, flush_interval=60, **FAST_RETRY)
    for i in range(5):
        await tracker.record("c", "u", "user_message", turn=i)
    assert await tracker.flush(timeout=5)
    for i in range(5):
        await tracker.record("c", "u", "user_message", turn=i)
    await tracker.close()
    stats = tracker.stats
    assert (stats.dropped, stats.written, stats.retries) == (5, 5, 2)
    assert stats.dropped_by_reason == {"rejected_by_store": 5}
    assert any("DROPPING the batch" in r.getMessage() for r in caplog.records)


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
