"""Benchmark the tracker: its cost on the agent's path and its sustained throughput.

    python -m conversation_analytics.benchmarks.tracker --events 100000
    conversation-analytics bench-tracker --stores duckdb,postgres

For each store, `--events` events (a realistic mix of types and metadata) are
recorded as fast as an agent loop can, yielding to the event loop every few
hundred events and pausing when the queue is half full, so nothing is dropped.
Two figures come out:

- the cost of one `record()` call on the caller's path (median and p99 of
  every call, timed one by one), against the target of 50 microseconds;
- sustained throughput: events / seconds from the first `record()` until
  `close()` has written the last event, against 20,000 events per second.

PostgreSQL is reached through the libpq variables (PGHOST, PGPORT, ...); the
benchmark creates a schema of its own (`--pg-schema`, default `tracker_bench`),
writes there and drops it afterwards. It refuses a schema that already exists
(`raw`, say): it only ever drops what it created. An unreachable server is reported on its row; the
exit code is then non-zero only if postgres was asked for with `--stores`.
DuckDB and JSON-lines files go to a temporary folder that is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conversation_analytics.tracker.batching import BatchSettings
from conversation_analytics.tracker.similarity import (
    CharNgramEmbedder,
    Embedder,
    TokenSortEmbedder,
)
from conversation_analytics.tracker.stores import (
    DuckDBStore,
    EventStore,
    JsonLinesStore,
    MemoryStore,
    PostgresStore,
)
from conversation_analytics.tracker.tracker import ConversationTracker

STORES = ("memory", "duckdb", "postgres", "jsonl")
DEFAULT_STORES = ("duckdb", "postgres", "jsonl")
PER_CALL_TARGET_US = 50.0
THROUGHPUT_TARGET = 20_000.0

Event = tuple[str, str, str, dict[str, Any]]


@dataclass
class Result:
    store: str
    events: int = 0
    median_us: float = 0.0
    p99_us: float = 0.0
    events_per_second: float = 0.0
    written: int = 0
    dropped: int = 0
    error: str | None = None

    @property
    def per_call_met(self) -> bool:
        return self.error is None and self.median_us < PER_CALL_TARGET_US

    @property
    def throughput_met(self) -> bool:
        return self.error is None and self.events_per_second >= THROUGHPUT_TARGET


def make_events(count: int, seed: int = 0) -> list[Event]:
    """`count` events shaped like the example agent's: conversations of a few
    turns with user messages, tool calls, responses, feedback and endings."""
    rng = random.Random(seed)
    events: list[Event] = []
    while len(events) < count:
        conversation = str(uuid.UUID(int=rng.getrandbits(128)))
        user = f"user-{rng.randrange(5000)}"
        events.append((conversation, user, "started", {"channel": "web", "agent_id": "bench"}))
        turns = rng.randint(1, 5)
        for turn in range(1, turns + 1):
            events.append(
                (
                    conversation,
                    user,
                    "user_message",
                    {
                        "turn": turn,
                        "message_length": rng.randint(5, 400),
                        "similarity_to_previous": round(rng.random(), 4),
                        "is_exact_repeat": False,
                    },
                )
            )
            if rng.random() < 0.4:
                events.append(
                    (
                        conversation,
                        user,
                        "tool_called",
                        {"tool_name": "search", "turn": turn, "status": "ok"},
                    )
                )
            events.append(
                (
                    conversation,
                    user,
                    "agent_response",
                    {
                        "turn": turn,
                        "response_length": rng.randint(20, 2000),
                        "model": "gpt-4o-mini",
                        "latency_ms": round(rng.uniform(200, 3000), 1),
                        "input_tokens": rng.randint(100, 4000),
                        "output_tokens": rng.randint(10, 800),
                    },
                )
            )
        events.append((conversation, user, "completed", {"total_turns": turns}))
    return events[:count]


async def run_store(
    name: str,
    store: EventStore,
    events: Sequence[Event],
    settings: BatchSettings,
) -> Result:
    """Record `events` into `store`; time each call and the whole run."""
    tracker = ConversationTracker(store, settings=settings, embedder=TokenSortEmbedder())
    record = tracker.record
    stats = tracker.stats
    high_water = settings.max_queue // 2
    timings = [0] * len(events)
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for index, (conversation, user, kind, metadata) in enumerate(events):
        before = clock()
        await record(conversation, user, kind, **metadata)
        timings[index] = clock() - before
        if index % 256 == 255:
            await asyncio.sleep(0)  # an agent awaits its LLM; the writer runs then
            while stats.pending > high_water:
                await asyncio.sleep(0.001)
    await tracker.close(timeout=300)
    elapsed = time.perf_counter() - started
    timings.sort()
    return Result(
        store=name,
        events=len(events),
        median_us=statistics.median(timings) / 1000,
        p99_us=timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1000,
        events_per_second=len(events) / elapsed if elapsed > 0 else 0.0,
        written=stats.written,
        dropped=stats.dropped,
    )


async def user_message_cost(embedder: Embedder, samples: int = 2000) -> tuple[float, float]:
    """Median and p99 microseconds of `user_message(text=...)` with `embedder`."""
    tracker = ConversationTracker(MemoryStore(), embedder=embedder)
    texts = [
        "How do I reset my password?",
        "how do I reset my password please, the link in the email does not work",
        "Where is my order #4521? It was supposed to arrive on Monday.",
    ]
    timings = []
    for index in range(samples):
        before = time.perf_counter_ns()
        await tracker.user_message(f"c{index % 50}", "u", text=texts[index % len(texts)])
        timings.append(time.perf_counter_ns() - before)
        if index % 256 == 255:
            await asyncio.sleep(0)
    await tracker.close()
    timings.sort()
    return statistics.median(timings) / 1000, timings[int(len(timings) * 0.99)] / 1000


def postgres_problem(timeout: float = 3.0) -> str | None:
    """Why the PG* server cannot be used, or None when it can."""
    import psycopg

    try:
        with psycopg.connect("", connect_timeout=int(max(1, timeout))) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return None


async def create_postgres_schema(schema: str) -> str | None:
    """Create `schema` for the benchmark; why not (it exists) or None."""
    import psycopg
    from psycopg import sql

    async with await psycopg.AsyncConnection.connect("", autocommit=True) as conn:
        try:
            await conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        except psycopg.errors.DuplicateSchema:
            return (
                f"schema {schema!r} already exists: the benchmark writes to a schema of its "
                "own and drops it afterwards, so it leaves this one alone; pass a new "
                "--pg-schema (or drop a leftover benchmark schema yourself)"
            )
    return None


async def drop_postgres_schema(schema: str) -> None:
    """Drop the schema `create_postgres_schema` made (never call it otherwise)."""
    import psycopg
    from psycopg import sql

    async with await psycopg.AsyncConnection.connect("", autocommit=True) as conn:
        drop = sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
        await conn.execute(drop)


def build_store(name: str, folder: Path, args: argparse.Namespace) -> EventStore:
    if name == "memory":
        return MemoryStore()
    if name == "duckdb":
        return DuckDBStore(folder / "bench.duckdb")
    if name == "jsonl":
        return JsonLinesStore(folder / "jsonl")
    return PostgresStore(schema=args.pg_schema)


def parse_stores(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in STORES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown store(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(STORES)}"
        )
    return names


def format_table(results: Sequence[Result], write: Callable[[str], None]) -> None:
    header = (
        f"{'store':<9} {'events':>8} {'record() median':>16} {'p99':>9} "
        f"{'sustained ev/s':>15} {'dropped':>8}  {'< 50 us/call':<13} {'>= 20k ev/s':<11}"
    )
    write(header)
    write("-" * len(header))
    for r in results:
        if r.error is not None:
            write(f"{r.store:<9} {'-':>8} {r.error}")
            continue
        write(
            f"{r.store:<9} {r.events:>8,} {r.median_us:>13.1f} us {r.p99_us:>6.1f} us "
            f"{r.events_per_second:>15,.0f} {r.dropped:>8}  "
            f"{'met' if r.per_call_met else 'MISSED':<13} "
            f"{'met' if r.throughput_met else 'MISSED':<11}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table. Exit 1 when a store that was asked
    for could not be used or lost events, 3 with --strict when a target is missed."""
    parser = argparse.ArgumentParser(
        prog="conversation-analytics bench-tracker",
        description="Measure the tracker's cost per record() call and its sustained "
        "throughput into each store.",
    )
    parser.add_argument(
        "--events", type=int, default=100_000, help="events per store (default 100,000)"
    )
    parser.add_argument(
        "--stores",
        type=parse_stores,
        default=None,
        help=f"comma-separated, from {', '.join(STORES)} (default {','.join(DEFAULT_STORES)})",
    )
    parser.add_argument("--batch-size", type=int, default=2000, help="size trigger (default 2000)")
    parser.add_argument(
        "--pg-schema",
        default="tracker_bench",
        help="a schema that does not exist yet: the postgres row creates it, writes "
        "there, then drops it (default tracker_bench)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 3 when a target is missed"
    )
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    explicit = args.stores is not None
    stores: list[str] = args.stores or list(DEFAULT_STORES)
    settings = BatchSettings(
        batch_size=args.batch_size,
        max_batch_size=max(args.batch_size, 10_000),
        flush_interval=0.05,
        max_queue=max(100_000, args.batch_size * 4),
    )
    events = make_events(args.events)
    print(
        f"tracker benchmark: {args.events:,} events per store, batch size {args.batch_size}",
        flush=True,
    )

    results: list[Result] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="ca-bench-tracker-") as tmp:
        for name in stores:
            if name == "postgres":
                problem = postgres_problem()
                if problem is not None:
                    results.append(
                        Result(name, error=f"unreachable through PG* variables: {problem}")
                    )
                    failed = failed or explicit
                    continue
                problem = asyncio.run(create_postgres_schema(args.pg_schema))
                if problem is not None:
                    results.append(Result(name, error=f"refused: {problem}"))
                    failed = True
                    continue
            print(f"  {name} ...", flush=True)
            store = build_store(name, Path(tmp), args)
            try:
                result = asyncio.run(run_store(name, store, events, settings))
            except Exception as exc:  # a benchmark row reports, the others still run
                results.append(Result(name, error=f"failed: {type(exc).__name__}: {exc}"))
                failed = True
                continue
            finally:
                if name == "postgres":
                    asyncio.run(drop_postgres_schema(args.pg_schema))
            if result.written != result.events:
                result.error = f"wrote {result.written:,} of {result.events:,} events"
                failed = True
            results.append(result)
    message_costs = [
        (label, embedder.name, *asyncio.run(user_message_cost(embedder)))
        for label, embedder in (("before", CharNgramEmbedder()), ("now", TokenSortEmbedder()))
    ]

    print()
    format_table(results, print)
    print()
    for label, name, median_us, p99_us in message_costs:
        print(
            f"user_message(text=...), {label} ({name} embedder): median {median_us:.1f} us, "
            f"p99 {p99_us:.1f} us per call (similarity computed on the caller's path)"
        )
    print(
        "record() cost is timed per call while the store is being written; "
        "sustained = events / (first record() .. close() done)."
    )
    if failed:
        return 1
    if args.strict and not all(r.per_call_met and r.throughput_met for r in results):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
