"""The ingestion-time column `loaded_at`: the warehouse sets it (column
default) when the loader or the tracker's stores write, fastsim sets it per
simulated daily load, and a raw table without it still loads and builds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics import raw_table
from conversation_analytics.cli import cli
from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation import fastsim
from conversation_analytics.simulation.simulator import SimulationResult
from conversation_analytics.tracker import DuckDBStore, PostgresStore, Row
from conversation_analytics.warehouse import loader
from conversation_analytics.warehouse.dbt_runner import environment, run_dbt

RAW = '"raw"."conversation_events"'
T0 = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
# How far the warehouse clock may be from this process's (same machine).
CLOCK_SLACK = timedelta(seconds=5)


def _columns_duckdb(connection: duckdb.DuckDBPyConnection, schema: str = "raw") -> list[str]:
    return [
        r[0]
        for r in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = 'conversation_events' order by ordinal_position",
            [schema],
        ).fetchall()
    ]


def _columns_postgres(conninfo: str, schema: str) -> list[str]:
    with psycopg.connect(conninfo) as connection:
        return [
            r[0]
            for r in connection.execute(
                "select column_name from information_schema.columns where table_schema = %s "
                "and table_name = 'conversation_events' order by ordinal_position",
                [schema],
            ).fetchall()
        ]


def _load_times_duckdb(path: Path, schema: str = "raw") -> dict[datetime, int]:
    with duckdb.connect(str(path)) as connection:
        return dict(
            connection.execute(
                f'select loaded_at, count(*) from "{schema}"."conversation_events" group by 1'
            ).fetchall()
        )


def _load_times_postgres(conninfo: str, schema: str) -> dict[datetime, int]:
    with psycopg.connect(conninfo) as connection:
        return dict(
            connection.execute(
                f'select loaded_at, count(*) from "{schema}"."conversation_events" group by 1'
            ).fetchall()
        )


def _assert_one_recent_load(times: dict[Any, int], began: datetime, rows: int) -> datetime:
    """One load: every row has the same loaded_at, taken during the load."""
    assert None not in times
    assert list(times.values()) == [rows], times
    [moment] = times
    assert began - CLOCK_SLACK <= moment <= datetime.now(UTC) + CLOCK_SLACK
    return moment


def _events(simulation: SimulationResult, count: int) -> list[EventRecord]:
    return simulation.events[:count]


def _source_results(outcome: Any) -> list[Any]:
    """The source results of a `dbt source freshness` run (not its hooks)."""
    return [r for r in outcome.result.results if r.node.resource_type == "source"]


def rows(count: int, prefix: str) -> list[Row]:
    return [
        (f"{prefix}-{i}", f"c-{i % 3}", f"u-{i}", "user_message", T0 + timedelta(seconds=i),
         '{"turn": 1}')
        for i in range(count)
    ]


# --- the DDL ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_create_table_sql_has_the_column_unless_asked_not_to(target: str) -> None:
    with_column = raw_table.create_table_sql(target)  # type: ignore[arg-type]
    without = raw_table.create_table_sql(target, ingestion_column=False)  # type: ignore[arg-type]
    assert "loaded_at" in with_column and "loaded_at" not in without
    if target == "postgres":
        assert "loaded_at timestamp with time zone not null default now()" in with_column
    else:
        assert "loaded_at timestamptz default current_timestamp" in with_column


# --- the loader ------------------------------------------------------------------------


def test_duckdb_load_sets_loaded_at_from_the_default(
    tmp_path: Path, faulty_simulation: SimulationResult
) -> None:
    path = tmp_path / "events.duckdb"
    events = _events(faulty_simulation, 2500)
    began = datetime.now(UTC)
    # Several batches, one load: one transaction, one instant.
    written = loader.load_events(events, "duckdb", duckdb_path=path, batch_size=400)
    first = _assert_one_recent_load(_load_times_duckdb(path), began, written)
    loader.load_events(events[:10], "duckdb", duckdb_path=path)
    times = _load_times_duckdb(path)
    assert sorted(times.values()) == [10, written]
    assert max(times) > first


@pytest.mark.postgres
def test_postgres_load_sets_loaded_at_from_the_default(
    postgres_conninfo: str, faulty_simulation: SimulationResult
) -> None:
    events = _events(faulty_simulation, 2500)
    began = datetime.now(UTC)
    written = loader.load_events(
        events, "postgres", raw_schema="raw_loaded", conninfo=postgres_conninfo, batch_size=400
    )
    first = _assert_one_recent_load(
        _load_times_postgres(postgres_conninfo, "raw_loaded"), began, written
    )
    loader.load_events(events[:10], "postgres", raw_schema="raw_loaded", conninfo=postgres_conninfo)
    times = _load_times_postgres(postgres_conninfo, "raw_loaded")
    assert sorted(times.values()) == [10, written]
    assert max(times) > first
    with psycopg.connect(postgres_conninfo) as connection:
        nullable, default = connection.execute(
            "select is_nullable, column_default from information_schema.columns "
            "where table_schema = 'raw_loaded' and column_name = 'loaded_at'"
        ).fetchone()  # type: ignore[misc]
    assert (nullable, default) == ("NO", "now()")


def test_load_command_can_create_the_table_without_the_column(
    tmp_path: Path, dbt_scratch: Path
) -> None:
    """`load --no-ingestion-column` makes a table without loaded_at; it loads
    again, and `dbt build` is green on it. Only `dbt source freshness` needs
    the column, and says which one is missing."""
    path = tmp_path / "old.duckdb"
    args = ["load", "--conversations", "150", "--days", "7", "--duckdb-path", str(path)]
    env = {"CA_TARGET": None, "CA_DUCKDB_PATH": None}
    result = CliRunner().invoke(cli, [*args, "--no-ingestion-column"], env=env)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, [*args, "--seed", "8"], env=env)  # appends
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(path)) as connection:
        assert "loaded_at" not in _columns_duckdb(connection)
    assert run_dbt(["build"], target="duckdb", duckdb_file=path, check=False).success
    freshness = run_dbt(["source", "freshness"], target="duckdb", duckdb_file=path, check=False)
    assert not freshness.success
    [source] = _source_results(freshness)
    assert str(source.status) == "runtime error" and "loaded_at" in str(source.message)


def test_source_freshness_reads_loaded_at(tmp_path: Path, dbt_scratch: Path) -> None:
    path = tmp_path / "new.duckdb"
    loader.load_events(
        [EventRecord.create("c-1", "u-1", "user_message", {"turn": 1}, timestamp=T0)],
        "duckdb",
        duckdb_path=path,
    )
    # The event happened months ago, but it arrived just now: fresh.
    freshness = run_dbt(["source", "freshness"], target="duckdb", duckdb_file=path, check=False)
    assert freshness.success
    [source] = _source_results(freshness)
    assert str(source.status) == "pass"


@pytest.mark.postgres
def test_postgres_table_made_before_the_column_loads_and_builds(
    postgres_conninfo: str, faulty_simulation: SimulationResult, dbt_scratch: Path
) -> None:
    """A raw table created by hand without loaded_at (as before the column
    existed): the loader appends to it, and `dbt build` is green."""
    with psycopg.connect(postgres_conninfo) as connection:
        connection.execute(raw_table.create_schema_sql("raw_old"))
        connection.execute(
            raw_table.create_table_sql("postgres", "raw_old", ingestion_column=False)
        )
    written = loader.load_events(
        faulty_simulation.events, "postgres", raw_schema="raw_old", conninfo=postgres_conninfo
    )
    assert written == len(faulty_simulation.events)
    assert "loaded_at" not in _columns_postgres(postgres_conninfo, "raw_old")
    dbname = str(conninfo_to_dict(postgres_conninfo)["dbname"])
    with environment({"PGDATABASE": dbname, "CA_PG_SCHEMA": "old"}):
        outcome = run_dbt(["build"], target="postgres", vars={"raw_schema": "raw_old"}, check=False)
    assert outcome.success


# --- the tracker's stores --------------------------------------------------------------


async def test_duckdb_store_leaves_loaded_at_to_the_default(tmp_path: Path) -> None:
    path = tmp_path / "tracker.duckdb"
    store = DuckDBStore(path)
    await store.open()
    began = datetime.now(UTC)
    await store.write(rows(120, "a"))
    await store.write(rows(30, "b"))
    await store.close()
    with duckdb.connect(str(path)) as connection:
        batches = connection.execute(
            "select left(id, 1), count(*), count(distinct loaded_at), min(loaded_at) "
            f"from {RAW} group by 1 order by 1"
        ).fetchall()
    assert [b[:3] for b in batches] == [("a", 120, 1), ("b", 30, 1)]
    first, second = batches[0][3], batches[1][3]
    assert began - CLOCK_SLACK <= first <= second <= datetime.now(UTC) + CLOCK_SLACK


async def test_duckdb_store_writes_into_a_table_without_the_column() -> None:
    connection = duckdb.connect()
    connection.execute(raw_table.create_schema_sql("raw"))
    connection.execute(raw_table.create_table_sql("duckdb", ingestion_column=False))
    store = DuckDBStore(connection=connection)
    await store.open()
    await store.write(rows(5, "a"))
    await store.close()
    assert connection.execute(f"select count(*) from {RAW}").fetchone() == (5,)
    assert "loaded_at" not in _columns_duckdb(connection)
    connection.close()


@pytest.mark.postgres
@pytest.mark.parametrize("keyed", [True, False], ids=["upsert", "plain-copy"])
async def test_postgres_store_leaves_loaded_at_to_the_default(
    postgres_conninfo: str, keyed: bool
) -> None:
    schema = f"tracker_{'keyed' if keyed else 'plain'}"
    if not keyed:  # a table without a unique id: the store copies straight in
        with psycopg.connect(postgres_conninfo) as connection:
            connection.execute(raw_table.create_schema_sql(schema))
            connection.execute(raw_table.create_table_sql("postgres", schema))
    store = PostgresStore(postgres_conninfo, schema=schema)
    await store.open()
    assert store.has_unique_id is keyed
    began = datetime.now(UTC)
    await store.write(rows(200, "a"))
    await store.write(rows(20, "b"))
    await store.close()
    with psycopg.connect(postgres_conninfo) as connection:
        batches = connection.execute(
            "select left(id, 1), count(*), count(distinct loaded_at), min(loaded_at) "
            f'from "{schema}".conversation_events group by 1 order by 1'
        ).fetchall()
    assert [b[:3] for b in batches] == [("a", 200, 1), ("b", 20, 1)]
    first, second = batches[0][3], batches[1][3]
    assert began - CLOCK_SLACK <= first <= second <= datetime.now(UTC) + CLOCK_SLACK


@pytest.mark.postgres
async def test_postgres_store_writes_into_a_table_without_the_column(
    postgres_conninfo: str,
) -> None:
    with psycopg.connect(postgres_conninfo) as connection:
        connection.execute(raw_table.create_schema_sql("tracker_old"))
        connection.execute(
            raw_table.create_table_sql(
                "postgres", "tracker_old", primary_key=True, ingestion_column=False
            )
        )
    store = PostgresStore(postgres_conninfo, schema="tracker_old")
    await store.open()
    await store.write(rows(5, "a"))
    await store.close()
    with psycopg.connect(postgres_conninfo) as connection:
        count = connection.execute("select count(*) from tracker_old.conversation_events")
        assert count.fetchone() == (5,)
    assert "loaded_at" not in _columns_postgres(postgres_conninfo, "tracker_old")


# --- fastsim ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan() -> fastsim.FastSimPlan:
    return fastsim.plan_for_events(12_000, days=7, seed=13)


@contextmanager
def _reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(path)) as connection:
        connection.execute("set TimeZone = 'UTC'")
        yield connection


def _day_of_load(plan: fastsim.FastSimPlan) -> dict[datetime, int]:
    return {plan.day_loaded_at(day): day for day in range(plan.days + 3)}


def test_fastsim_loads_each_day_after_it_ends(plan: fastsim.FastSimPlan, tmp_path: Path) -> None:
    path = tmp_path / "fast.duckdb"
    fastsim.simulate(plan, "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        by_load = connection.execute(
            f'select loaded_at, min("timestamp"), max("timestamp"), count(*) from {RAW} '
            "group by 1 order by 1"
        ).fetchall()
        nulls = connection.execute(f"select count(*) from {RAW} where loaded_at is null")
        assert nulls.fetchone() == (0,)
    days = _day_of_load(plan)
    assert [days[r[0]] for r in by_load] == list(range(plan.days))
    for loaded_at, first, last, _ in by_load:
        day_start = datetime.combine(plan.day_date(days[loaded_at]), datetime.min.time(), UTC)
        assert first >= day_start
        assert last < loaded_at == day_start + timedelta(days=1) + fastsim.LOAD_DELAY


def test_fastsim_appended_day_is_loaded_after_every_earlier_row(
    plan: fastsim.FastSimPlan, tmp_path: Path
) -> None:
    path = tmp_path / "fast.duckdb"
    fastsim.simulate(plan, "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        (before,) = connection.execute(f"select max(loaded_at) from {RAW}").fetchone()  # type: ignore[misc]
    next_plan, appended = fastsim.append_day(plan, "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        new = connection.execute(
            f"select loaded_at, count(*), min(\"timestamp\") from {RAW} "
            "where loaded_at > ? group by 1",
            [before],
        ).fetchall()
    # One load of the whole day, late events (earlier timestamps) included.
    assert len(new) == 1 and new[0][1] == appended > 0
    assert new[0][0] == plan.day_loaded_at(plan.days) > before
    assert new[0][2] < datetime.combine(plan.day_date(plan.days), datetime.min.time(), UTC)
    # The next day is loaded later again.
    fastsim.append_day(next_plan, "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        latest = connection.execute(f"select max(loaded_at) from {RAW}").fetchone()
    assert latest == (next_plan.day_loaded_at(next_plan.days),)


def test_fastsim_appended_day_follows_rows_loaded_since(
    plan: fastsim.FastSimPlan, tmp_path: Path, faulty_simulation: SimulationResult
) -> None:
    """Rows loaded for real (loaded_at = now, after the simulated history):
    the appended day is still loaded after them."""
    path = tmp_path / "fast.duckdb"
    fastsim.simulate(plan, "duckdb", duckdb_path=path)
    loader.load_events(_events(faulty_simulation, 50), "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        (before,) = connection.execute(f"select max(loaded_at) from {RAW}").fetchone()  # type: ignore[misc]
    assert before > plan.day_loaded_at(plan.days)  # the simulated dates are in the past
    _, appended = fastsim.append_day(plan, "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        new = connection.execute(
            f"select loaded_at, count(*) from {RAW} where loaded_at > ? group by 1", [before]
        ).fetchall()
    assert [n[1] for n in new] == [appended]


def test_fastsim_into_a_table_without_the_column(
    plan: fastsim.FastSimPlan, tmp_path: Path
) -> None:
    path = tmp_path / "old.duckdb"
    written = fastsim.simulate(plan, "duckdb", duckdb_path=path, ingestion_column=False)
    _, appended = fastsim.append_day(plan, "duckdb", duckdb_path=path)
    with _reader(path) as connection:
        assert "loaded_at" not in _columns_duckdb(connection)
        assert connection.execute(f"select count(*) from {RAW}").fetchone() == (
            written + appended,
        )


@pytest.mark.postgres
def test_fastsim_postgres_gets_the_same_load_times(
    plan: fastsim.FastSimPlan, postgres_conninfo: str, tmp_path: Path
) -> None:
    duck = tmp_path / "fast.duckdb"
    fastsim.simulate(plan, "duckdb", duckdb_path=duck)
    fastsim.append_day(plan, "duckdb", duckdb_path=duck)
    fastsim.simulate(
        plan, "postgres", conninfo=postgres_conninfo, raw_schema="raw_fast", workdir=tmp_path
    )
    fastsim.append_day(
        plan, "postgres", conninfo=postgres_conninfo, raw_schema="raw_fast", workdir=tmp_path
    )
    pg_times = _load_times_postgres(postgres_conninfo, "raw_fast")
    assert pg_times == _load_times_duckdb(duck)
    assert max(pg_times) == plan.day_loaded_at(plan.days)
    # A PostgreSQL table without the column takes the same rows without it.
    written = fastsim.simulate(
        plan, "postgres", conninfo=postgres_conninfo, raw_schema="raw_fast_old",
        workdir=tmp_path, ingestion_column=False,
    )
    _, appended = fastsim.append_day(
        plan, "postgres", conninfo=postgres_conninfo, raw_schema="raw_fast_old", workdir=tmp_path
    )
    assert "loaded_at" not in _columns_postgres(postgres_conninfo, "raw_fast_old")
    with psycopg.connect(postgres_conninfo) as connection:
        count = connection.execute('select count(*) from "raw_fast_old".conversation_events')
        assert count.fetchone() == (written + appended,)
    assert written + appended == sum(pg_times.values())
