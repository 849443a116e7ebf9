"""`SyncConversationTracker`: the tracker from code that does not run asyncio."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from conversation_analytics.tracker import (
    DuckDBStore,
    EventValidationError,
    MemoryStore,
    SyncConversationTracker,
    TrackerClosedError,
)


def test_sync_calls_record_validate_and_close() -> None:
    store = MemoryStore()
    with SyncConversationTracker(store, embedder="ngram") as tracker:
        tracker.started("c", "u", channel="web")
        first = tracker.user_message("c", "u", text="reset my password")
        second = tracker.user_message("c", "u", text="reset my password please")
        event = tracker.record("c", "u", "tool_called", tool_name="lookup")
        with pytest.raises(EventValidationError, match="rating must be"):
            tracker.feedback("c", "u", rating="meh")
        assert tracker.flush(timeout=5)
    assert first.metadata["turn"] == 1 and second.metadata["turn"] == 2
    assert 0 < second.metadata["similarity_to_previous"] < 1
    assert [row[0] for row in store.rows][-1] == event.id
    assert tracker.stats.written == 4 and store.closed
    with pytest.raises(TrackerClosedError):
        tracker.started("c", "u")


def test_sync_tracker_takes_events_from_many_threads(tmp_path: Path) -> None:
    tracker = SyncConversationTracker(DuckDBStore(tmp_path / "e.duckdb"), embedder="ngram")

    def agent(n: int) -> None:
        for i in range(500):
            tracker.record(f"c{n}", "u", "user_message", turn=i)

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tracker.close()
    with duckdb.connect(str(tmp_path / "e.duckdb")) as con:
        assert con.execute("select count(*) from raw.conversation_events").fetchone() == (2000,)


def test_a_sync_program_that_forgets_close_still_writes(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from conversation_analytics.tracker import DuckDBStore, SyncConversationTracker\n"
        "t = SyncConversationTracker(DuckDBStore(sys.argv[1]), embedder='ngram')\n"
        "for i in range(3000): t.record('c', 'u', 'started', turn=i)\n"
    )
    database = tmp_path / "e.duckdb"
    result = subprocess.run(
        [sys.executable, "-c", script, str(database)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from raw.conversation_events").fetchone() == (3000,)
