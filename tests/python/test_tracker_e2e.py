"""Acceptance: scripted conversations, through the instrumented example loop and
the tracker, into DuckDB and PostgreSQL; then `dbt build`; the marts show
exactly those conversations' outcomes, turns, feedback and rephrases.

Both runs go through a store that fails before recovering, so the marts also
prove that a flaky store loses nothing and that staging absorbs the duplicates
an ambiguous failure leaves behind.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from _tracker_fixtures import FlakyStore, load_example
from conversation_analytics.tracker import (
    BatchSettings,
    ConversationTracker,
    DuckDBStore,
    EventStore,
    PostgresStore,
)
from conversation_analytics.warehouse import dbt_runner

example = load_example()

COLUMNS = (
    "conversation_id",
    "outcome",
    "user_turns",
    "positive_feedback_count",
    "negative_feedback_count",
    "rephrase_count",
    "had_handoff",
)
MARTS_QUERY = "select {} from {}.fct_conversations order by conversation_id"


@pytest.fixture(scope="module")
def scenarios() -> list:
    return example.build_scenarios(35, seed=1)


def expected_rows(scenarios: list) -> list[tuple]:
    return sorted(
        (
            s.conversation_id,
            s.expected.outcome,
            s.expected.user_turns,
            s.expected.positive_feedback_count,
            s.expected.negative_feedback_count,
            s.expected.rephrase_count,
            s.expected.had_handoff,
        )
        for s in scenarios
    )


def record(store: EventStore, scenarios: list) -> ConversationTracker:
    """Run the scenarios through the example loop; return the closed tracker."""

    async def run() -> ConversationTracker:
        settings = BatchSettings(
            batch_size=40, flush_interval=0.02, backoff_initial=0.01, backoff_max=0.05
        )
        tracker = ConversationTracker(store, settings=settings, embedder="ngram")
        await example.run_scenarios(tracker, scenarios, concurrency=6, llm_delay=0.001)
        await tracker.close()
        return tracker

    tracker = asyncio.run(run())
    assert tracker.stats.dropped == 0
    assert tracker.stats.written == tracker.stats.recorded
    return tracker


def test_scripted_conversations_reach_the_duckdb_marts_exactly(
    tmp_path: Path, scenarios: list, dbt_scratch: Path
) -> None:
    path = tmp_path / "tracked.duckdb"
    # The first write reaches the file, then reports failure: it is retried,
    # so some events land twice in the raw table.
    store = FlakyStore(DuckDBStore(path), failures=1, fail_after_write=True)
    tracker = record(store, scenarios)
    assert tracker.stats.retries == 1

    with duckdb.connect(str(path)) as con:
        raw, distinct = con.execute(
            "select count(*), count(distinct id) from raw.conversation_events"
        ).fetchone()
    assert distinct == tracker.stats.recorded and raw > distinct

    dbt_runner.run_dbt(["build"], target="duckdb", duckdb_file=path)

    marts = dbt_runner.layer_schema("duckdb", "marts")
    with duckdb.connect(str(path)) as con:
        rows = con.execute(MARTS_QUERY.format(", ".join(COLUMNS), marts)).fetchall()
        staged = con.execute(
            f"select count(*) from {dbt_runner.layer_schema('duckdb', 'staging')}"
            ".stg_conversation_events"
        ).fetchone()[0]
    assert rows == expected_rows(scenarios)
    assert staged == tracker.stats.recorded


@pytest.mark.postgres
def test_scripted_conversations_reach_the_postgres_marts_exactly(
    postgres_conninfo: str, scenarios: list, dbt_scratch: Path
) -> None:
    # Two refused writes, then the server answers.
    store = FlakyStore(PostgresStore(postgres_conninfo), failures=2)
    tracker = record(store, scenarios)
    assert tracker.stats.retries == 2

    with psycopg.connect(postgres_conninfo) as conn:
        raw, distinct = conn.execute(
            "select count(*), count(distinct id) from raw.conversation_events"
        ).fetchone()
    assert raw == distinct == tracker.stats.recorded

    database = str(conninfo_to_dict(postgres_conninfo)["dbname"])
    with dbt_runner.environment({"PGDATABASE": database}):
        dbt_runner.run_dbt(["build"], target="postgres")

    marts = dbt_runner.layer_schema("postgres", "marts")
    query = sql.SQL(MARTS_QUERY.format(", ".join(COLUMNS), "{}")).format(sql.Identifier(marts))
    with psycopg.connect(postgres_conninfo) as conn:
        rows = conn.execute(query).fetchall()
    assert rows == expected_rows(scenarios)
