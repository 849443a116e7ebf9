"""The stores: DuckDB, PostgreSQL and JSON-lines files, each against the real thing."""

from __future__ import annotations

import errno
import json
import logging
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
import pytest

from conversation_analytics import raw_table
from conversation_analytics.tracker import (
    BatchSettings,
    ConversationTracker,
    DuckDBStore,
    JsonLinesStore,
    PostgresStore,
    Row,
)
from conversation_analytics.tracker.batching import BatchWriter
from conversation_analytics.tracker.stores.postgres_store import APPLICATION_NAME

LOGGER = "conversation_analytics.tracker"
T0 = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


def rows(count: int, prefix: str = "e") -> list[Row]:
    return [
        (
            f"{prefix}-{i}",
            f"c-{i % 3}",
            None if i % 4 == 0 else f"u-{i}",
            "user_message",
            T0 + timedelta(seconds=i),
            json.dumps({"turn": i, "similarity_to_previous": 0.5, "note": "é\t\\\n"}),
        )
        for i in range(count)
    ]


def with_bad_events(count: int, bad: dict[int, Row]) -> list[Row]:
    batch = rows(count)
    for index, row in bad.items():
        batch[index] = row
    return batch


async def write_through_the_writer(store, batch: list[Row]) -> BatchWriter:
    """The rows straight into the tracker's writer, past the call-site checks
    (an older client, or a check the store has and the tracker lacks)."""
    settings = BatchSettings(
        batch_size=10_000, flush_interval=0.05, max_attempts=2, backoff_initial=0.01
    )
    writer = BatchWriter(store, settings)
    for row in batch:
        writer.submit(row)
    await writer.close(timeout=60)
    return writer


# -- DuckDB -------------------------------------------------------------------------


async def test_duckdb_store_creates_the_contract_table_and_bulk_inserts(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "sub" / "events.duckdb")
    await store.open()
    await store.write(rows(300))
    await store.write(rows(2, prefix="f"))
    await store.close()
    with duckdb.connect(str(tmp_path / "sub" / "events.duckdb")) as con:
        types = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'conversation_events' "
            "order by ordinal_position"
        ).fetchall()
        assert types == [
            ("id", "VARCHAR"),
            ("conversation_id", "VARCHAR"),
            ("user_id", "VARCHAR"),
            ("event_type", "VARCHAR"),
            ("timestamp", "TIMESTAMP WITH TIME ZONE"),
            ("metadata", "JSON"),
            ("loaded_at", "TIMESTAMP WITH TIME ZONE"),
        ]
        count, nulls, turns, first = con.execute(
            "select count(*), count(*) filter (where user_id is null), "
            "sum((metadata->>'turn')::int), min(\"timestamp\") from raw.conversation_events"
        ).fetchone()
        note = con.execute(
            "select metadata->>'note' from raw.conversation_events where id = 'e-1'"
        ).fetchone()[0]
    assert (count, nulls, turns) == (302, 75 + 1, sum(range(300)) + 1)
    assert first == T0 and note == "é\t\\\n"


async def test_duckdb_store_writes_into_an_existing_text_metadata_table() -> None:
    con = duckdb.connect()
    con.execute(raw_table.create_schema_sql("raw"))
    con.execute(raw_table.create_table_sql("duckdb", "raw", "text"))
    store = DuckDBStore(connection=con)
    async with ConversationTracker(store, embedder="ngram") as tracker:
        await tracker.started("c", "u", channel="web")
    assert con.execute("select metadata from raw.conversation_events").fetchall() == [
        ('{"channel":"web"}',)
    ]
    con.close()  # the store left the caller's connection open


async def test_duckdb_store_drops_only_the_event_its_table_rejects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    path = tmp_path / "events.duckdb"
    with duckdb.connect(str(path)) as con:  # a raw table of the team's, with a rule
        con.execute(raw_table.create_schema_sql("raw"))
        con.execute(
            "create table raw.conversation_events (id varchar check (length(id) < 100), "
            "conversation_id varchar, user_id varchar, event_type varchar, "
            '"timestamp" timestamptz, metadata json)'
        )
    bad = ("x" * 500, "c", "u", "started", T0, "{}")
    writer = await write_through_the_writer(DuckDBStore(path), with_bad_events(5000, {4321: bad}))
    assert (writer.stats.written, writer.stats.dropped) == (4999, 1)
    assert writer.stats.dropped_by_reason == {"rejected_by_store": 1}
    with duckdb.connect(str(path)) as con:
        assert con.execute("select count(*) from raw.conversation_events").fetchone() == (4999,)
    assert any("characters)" in r.getMessage() for r in caplog.records)


def test_duckdb_store_needs_exactly_one_destination(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        DuckDBStore()
    with pytest.raises(ValueError, match="exactly one"):
        DuckDBStore(tmp_path / "x.duckdb", connection=duckdb.connect())


# -- JSON lines ---------------------------------------------------------------------


def read_lines(directory: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


async def test_jsonl_store_rotates_complete_files_and_keeps_the_contract(tmp_path: Path) -> None:
    store = JsonLinesStore(tmp_path / "out", max_events_per_file=10)
    tracker = ConversationTracker(store, embedder="ngram")
    recorded = []
    for i in range(25):
        recorded.append(await tracker.record(f"c{i % 2}", None, "agent_response", turn=i))
        if i % 5 == 4:
            assert await tracker.flush(timeout=5)
    # Two full files are complete; the third is still open, as a .part file.
    assert len(list((tmp_path / "out").glob("*.jsonl"))) == 2
    assert len(list((tmp_path / "out").glob("*.jsonl.part"))) == 1
    await tracker.close()
    files = sorted((tmp_path / "out").glob("*"))
    assert [p.suffix for p in files] == [".jsonl"] * 3  # nothing left half-written
    assert [len(p.read_text().splitlines()) for p in files] == [10, 10, 5]
    assert files == sorted(store.completed_files)
    lines = read_lines(tmp_path / "out")
    assert [line["id"] for line in lines] == [event.id for event in recorded]
    first = lines[0]
    assert list(first) == [
        "id",
        "conversation_id",
        "user_id",
        "event_type",
        "timestamp",
        "metadata",
    ]
    assert first["user_id"] is None and first["metadata"] == {"turn": 0}
    assert datetime.fromisoformat(first["timestamp"]) == recorded[0].timestamp


async def test_jsonl_store_rotates_by_age(tmp_path: Path) -> None:
    store = JsonLinesStore(tmp_path, max_file_seconds=0.05)
    await store.open()
    await store.write(rows(2))
    time.sleep(0.1)
    await store.write(rows(3, prefix="f"))
    assert len(list(tmp_path.glob("*.jsonl"))) == 1
    assert len(list(tmp_path.glob("*.jsonl.part"))) == 1
    await store.close()
    assert sorted(len(p.read_text().splitlines()) for p in tmp_path.glob("*.jsonl")) == [2, 3]


async def test_jsonl_store_cuts_a_failed_write_back_to_whole_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Path.open
    failures = [1]

    class HalfWrite:
        """A file that writes half of the first write, then runs out of disk."""

        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

        def tell(self) -> int:
            return self.handle.tell()

        def seek(self, *args: int) -> int:
            return self.handle.seek(*args)

        def fileno(self) -> int:
            return self.handle.fileno()

        def close(self) -> None:
            self.handle.close()

        def truncate(self, size: int) -> int:
            return self.handle.truncate(size)

        def flush(self) -> None:
            self.handle.flush()

        def write(self, data: bytes) -> int:
            if failures:
                failures.pop()
                self.handle.write(data[: len(data) // 2])
                self.handle.flush()
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: HalfWrite(real_open(self, *a, **k)))
    tracker = ConversationTracker(
        JsonLinesStore(tmp_path),
        settings=BatchSettings(backoff_initial=0.01, backoff_max=0.02),
        embedder="ngram",
    )
    for i in range(7):
        await tracker.record("c", "u", "started", turn=i)
    await tracker.record("c", "u", "completed", total_turns=1)
    await tracker.close()
    monkeypatch.undo()
    assert not failures, "the injected failure did not happen"
    assert tracker.stats.retries == 1 and tracker.stats.written == 8
    lines = read_lines(tmp_path)  # every line parses
    assert len(lines) == 8 and len({line["id"] for line in lines}) == 8


async def test_jsonl_files_load_with_the_bulk_loader(tmp_path: Path) -> None:
    """The files the JSON-lines store ships are what `conversation-analytics
    load --input` reads: same ids, instants and metadata."""
    from conversation_analytics.simulation.simulator import read_jsonl
    from conversation_analytics.warehouse import loader

    async with ConversationTracker(JsonLinesStore(tmp_path / "out"), embedder="ngram") as tracker:
        recorded = [
            await tracker.started("c", None, channel="web"),
            await tracker.user_message("c", "u", text="hello there"),
            await tracker.feedback("c", "u", rating="negative"),
        ]
    [path] = (tmp_path / "out").glob("*.jsonl")
    events = read_jsonl(path)
    assert [(e.id, e.user_id, e.event_type, e.timestamp, e.metadata) for e in events] == [
        (r.id, r.user_id, r.event_type, r.timestamp, r.metadata) for r in recorded
    ]
    database = tmp_path / "loaded.duckdb"
    assert loader.load_events(events, "duckdb", duckdb_path=database) == 3
    with duckdb.connect(str(database)) as con:
        loaded = con.execute(
            "select id, metadata->>'rating' from raw.conversation_events order by timestamp"
        ).fetchall()
    assert loaded == [(r.id, r.metadata.get("rating")) for r in recorded]


# -- PostgreSQL ---------------------------------------------------------------------


def fetch(conninfo: str, query: str) -> list[tuple]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(query).fetchall()


async def test_postgres_store_creates_a_keyed_table_and_a_retried_batch_lands_once(
    postgres_conninfo: str,
) -> None:
    store = PostgresStore(postgres_conninfo, schema="tracker_keyed")
    await store.open()
    batch = rows(500)
    await store.write(batch)
    await store.write(batch)  # a retry after an ambiguous failure
    await store.write(rows(1, prefix="f"))
    await store.close()
    assert store.has_unique_id is True
    types = fetch(
        postgres_conninfo,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'tracker_keyed' order by ordinal_position",
    )
    assert types == [
        ("id", "text"),
        ("conversation_id", "text"),
        ("user_id", "text"),
        ("event_type", "text"),
        ("timestamp", "timestamp with time zone"),
        ("metadata", "jsonb"),
        ("loaded_at", "timestamp with time zone"),
    ]
    [(count, distinct, nulls, first, note)] = fetch(
        postgres_conninfo,
        "select count(*), count(distinct id), count(*) filter (where user_id is null), "
        "min(timestamp), (array_agg(metadata->>'note'))[1] "
        "from tracker_keyed.conversation_events",
    )
    assert (count, distinct, nulls) == (501, 501, 125 + 1)
    assert first == T0 and note == "é\t\\\n"


async def test_postgres_drops_an_overlong_id_and_a_nul_and_writes_the_rest(
    postgres_conninfo: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An id over the btree index limit (54000, an OperationalError) used to
    be retried forever; a NUL in metadata (22P05) dropped its whole batch."""
    caplog.set_level(logging.ERROR, logger=LOGGER)
    long_id = secrets.token_hex(2500)  # 5,000 characters that do not compress
    bad = {
        1234: (long_id, "c", "u", "started", T0, "{}"),
        2222: ("nul", "c", "u", "started", T0, json.dumps({"note": "a\x00b"})),
    }
    store = PostgresStore(postgres_conninfo, schema="tracker_rejects")
    writer = await write_through_the_writer(store, with_bad_events(3000, bad))
    assert (writer.stats.written, writer.stats.dropped) == (2998, 2)
    assert writer.stats.dropped_by_reason == {"rejected_by_store": 2}
    assert writer.stats.retries < 10
    [(count, has_bad)] = fetch(
        postgres_conninfo,
        "select count(*), bool_or(id = 'nul' or length(id) > 100) "
        "from tracker_rejects.conversation_events",
    )
    assert (count, has_bad) == (2998, False)
    reports = [r.getMessage() for r in caplog.records if "DROPPED it" in r.getMessage()]
    assert len(reports) == 2
    assert any("ProgramLimitExceeded" in m for m in reports)
    assert any("UntranslatableCharacter" in m for m in reports)


async def test_postgres_store_falls_back_to_plain_inserts_without_a_unique_id(
    postgres_conninfo: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with psycopg.connect(postgres_conninfo) as conn:
        conn.execute(raw_table.create_schema_sql("tracker_loaded"))
        conn.execute(raw_table.create_table_sql("postgres", "tracker_loaded", "text"))
    store = PostgresStore(postgres_conninfo, schema="tracker_loaded")
    await store.open()
    await store.write(rows(10))
    await store.write(rows(10))
    await store.open()
    await store.close()
    assert store.has_unique_id is False
    warnings = [r for r in caplog.records if "no unique index on id" in r.getMessage()]
    assert len(warnings) == 1
    [(count, distinct, kind)] = fetch(
        postgres_conninfo,
        "select count(*), count(distinct id), pg_typeof(min(metadata))::text "
        "from tracker_loaded.conversation_events",
    )
    assert (count, distinct, kind) == (20, 10, "text")  # staging deduplicates


async def test_postgres_tracker_survives_its_connections_being_killed(
    postgres_conninfo: str,
) -> None:
    store = PostgresStore(postgres_conninfo, schema="tracker_killed")
    settings = BatchSettings(batch_size=50, flush_interval=0.02, backoff_initial=0.01)
    tracker = ConversationTracker(store, settings=settings, embedder="ngram")
    ids = []
    for round_ in range(3):
        for i in range(200):
            ids.append((await tracker.record(f"c{i}", "u", "started", round=round_)).id)
        assert await tracker.flush(timeout=30)
        killed = fetch(
            postgres_conninfo,
            "select pg_terminate_backend(pid) from pg_stat_activity "
            f"where application_name = '{APPLICATION_NAME}' and pid <> pg_backend_pid()",
        )
        assert killed, "the tracker's session was not found"
    await tracker.close()
    assert tracker.stats.written == 600 and tracker.stats.dropped == 0
    assert tracker.stats.retries >= 2  # the killed sessions were found, then replaced
    stored = fetch(postgres_conninfo, "select id from tracker_killed.conversation_events")
    assert sorted(r[0] for r in stored) == sorted(ids)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_postgres_server_down_does_not_stall_the_agent(caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    store = PostgresStore(
        f"host=127.0.0.1 port={closed_port()} user=nobody dbname=nowhere connect_timeout=1",
        connect_timeout=0.5,
    )
    settings = BatchSettings(
        batch_size=10, flush_interval=0.01, backoff_initial=0.01, backoff_max=0.05
    )
    tracker = ConversationTracker(store, settings=settings, embedder="ngram")
    started = time.monotonic()
    for i in range(200):
        await tracker.record(f"c{i % 5}", "u", "user_message", turn=i)
        if i % 20 == 0:
            await tracker.user_message("c", "u", text=f"message {i}")
    loop_seconds = time.monotonic() - started
    started = time.monotonic()
    await tracker.close(timeout=1.0)
    close_seconds = time.monotonic() - started
    assert loop_seconds < 5 and close_seconds < 10
    assert tracker.stats.written == 0 and tracker.stats.dropped == tracker.stats.recorded == 210
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "postgres:raw.conversation_events failed" in messages
    assert "DROPPED" in messages
