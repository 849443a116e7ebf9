"""Incremental runs end where a full refresh ends (issue: run at scale).

A messy simulated stream is split into arrival batches with late events that
cross batch boundaries and duplicates re-delivered in later batches. Loading
the batches one by one with an incremental `dbt run` after each must leave
every mart identical to one full refresh over all of it, on DuckDB and on
PostgreSQL.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import loader
from conversation_analytics.warehouse.dbt_runner import environment, layer_schema, run_dbt

MARTS = (
    "fct_conversations",
    "conversation_metrics_daily",
    "conversation_drop_off",
    "agent_performance_weekly",
    "tool_usage",
    "model_performance",
    "conversation_summary",
    "abandon_turns_top",
)
# Which batch computed a row is bookkeeping, not a result: a full refresh
# and an incremental history number their batches differently.
BOOKKEEPING_COLUMNS = {"staged_batch"}


def arrival_batches(
    events: Sequence[EventRecord], batches: int, seed: int
) -> list[list[EventRecord]]:
    """Split events into arrival batches by time, then make some arrive late
    (moved to the next batch) and some twice (copied into the next batch)."""
    rng = random.Random(seed)
    timed = sorted(
        (e for e in events if e.timestamp is not None), key=lambda e: e.timestamp
    )
    untimed = [e for e in events if e.timestamp is None]
    size = math.ceil(len(timed) / batches)
    chunks = [timed[i * size : (i + 1) * size] for i in range(batches)]
    for row in untimed:
        chunks[rng.randrange(batches)].append(row)
    for k in range(batches - 1):
        late = [e for e in chunks[k] if rng.random() < 0.05]
        late_ids = {id(e) for e in late}
        chunks[k] = [e for e in chunks[k] if id(e) not in late_ids]
        redelivered = [replace(e) for e in chunks[k] if rng.random() < 0.03]
        chunks[k + 1] = late + redelivered + chunks[k + 1]
    for chunk in chunks:
        rng.shuffle(chunk)
    return chunks


def test_arrival_batches_keep_every_row_and_add_copies() -> None:
    events = run_simulation(60, date(2026, 10, 5), 7, seed=3).events
    chunks = arrival_batches(events, 3, seed=1)
    flattened = [e for chunk in chunks for e in chunk]
    assert len(flattened) > len(events)
    assert {id(e) for e in events} <= {id(e) for e in flattened}
    # Late rows cross the boundary: a later batch holds rows older than the
    # newest row of the batch before it.
    newest_first = max(e.timestamp for e in chunks[0] if e.timestamp is not None)
    assert any(e.timestamp and e.timestamp < newest_first for e in chunks[1])


@pytest.fixture(scope="module")
def stream() -> list[list[EventRecord]]:
    events = run_simulation(300, date(2026, 10, 5), 21, seed=23, faults=True).events
    return arrival_batches(events, 4, seed=29)


def _normalise(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    return value


def _rows(fetch: Any, schema: str, table: str) -> list[tuple[Any, ...]]:
    columns, rows = fetch(schema, table)
    keep = [i for i, name in enumerate(columns) if name not in BOOKKEEPING_COLUMNS]
    projected = [tuple(_normalise(row[i]) for i in keep) for row in rows]
    return sorted(projected, key=lambda row: tuple((v is None, str(v)) for v in row))


def _assert_same_marts(fetch_incremental: Any, fetch_full: Any, schema: str) -> None:
    for mart in MARTS:
        incremental = _rows(fetch_incremental, schema, mart)
        full = _rows(fetch_full, schema, mart)
        assert incremental, f"{mart} is empty"
        assert incremental == full, f"{mart} differs from a full refresh"


@contextmanager
def _duckdb_reader(path: Path) -> Iterator[Any]:
    connection = duckdb.connect(str(path))

    def fetch(schema: str, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        result = connection.execute(f'select * from "{schema}"."{table}"')
        return [d[0] for d in result.description], result.fetchall()

    try:
        yield fetch
    finally:
        connection.close()


def test_duckdb_incremental_runs_match_full_refresh(
    stream: list[list[EventRecord]], tmp_path: Path, dbt_scratch: Path
) -> None:
    incremental_db = tmp_path / "incremental.duckdb"
    run_dbt(["seed"], target="duckdb", duckdb_file=incremental_db)
    for number, batch in enumerate(stream):
        loader.load_events(batch, "duckdb", replace=number == 0, duckdb_path=incremental_db)
        run_dbt(["run"], target="duckdb", duckdb_file=incremental_db)
    run_dbt(["test"], target="duckdb", duckdb_file=incremental_db)

    full_db = tmp_path / "full.duckdb"
    everything = [event for batch in stream for event in batch]
    loader.load_events(everything, "duckdb", replace=True, duckdb_path=full_db)
    run_dbt(["seed"], target="duckdb", duckdb_file=full_db)
    run_dbt(["run", "--full-refresh"], target="duckdb", duckdb_file=full_db)

    schema = layer_schema("duckdb", "marts")
    with _duckdb_reader(incremental_db) as incremental, _duckdb_reader(full_db) as full:
        _assert_same_marts(incremental, full, schema)


@pytest.mark.postgres
def test_postgres_incremental_runs_match_full_refresh(
    stream: list[list[EventRecord]], postgres_conninfo: str, dbt_scratch: Path
) -> None:
    dbname = psycopg.conninfo.conninfo_to_dict(postgres_conninfo)["dbname"]
    runs = {"incremental": "inc", "full": "full"}
    everything = [event for batch in stream for event in batch]
    for kind, schema in runs.items():
        raw_schema = f"raw_{schema}"
        with environment({"PGDATABASE": str(dbname), "CA_PG_SCHEMA": schema}):
            run_dbt(["seed"], target="postgres")
            if kind == "incremental":
                for number, batch in enumerate(stream):
                    loader.load_events(
                        batch, "postgres", raw_schema=raw_schema,
                        replace=number == 0, conninfo=postgres_conninfo,
                    )
                    run_dbt(["run"], target="postgres", vars={"raw_schema": raw_schema})
                run_dbt(["test"], target="postgres", vars={"raw_schema": raw_schema})
            else:
                loader.load_events(
                    everything, "postgres", raw_schema=raw_schema,
                    replace=True, conninfo=postgres_conninfo,
                )
                run_dbt(
                    ["run", "--full-refresh"], target="postgres",
                    vars={"raw_schema": raw_schema},
                )

    with psycopg.connect(postgres_conninfo) as connection:

        def reader(prefix: str) -> Any:
            def fetch(_schema: str, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
                cursor = connection.execute(f'select * from "{prefix}_marts"."{table}"')
                return [d.name for d in cursor.description], cursor.fetchall()

            return fetch

        _assert_same_marts(reader("inc"), reader("full"), "")
