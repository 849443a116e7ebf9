"""The fast simulator: deterministic under a seed, the raw contract, every
fault kind, time order, append_day's new, late and re-delivered rows, a dbt
build that passes on its output, and the same rows through PostgreSQL's COPY."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from conversation_analytics.raw_table import create_table_sql
from conversation_analytics.simulation import fastsim
from conversation_analytics.warehouse.dbt_runner import layer_schema, run_dbt

EVENTS = 30_000
RAW = '"raw"."conversation_events"'


def _rows(path: Path) -> list[tuple[Any, ...]]:
    """Every raw row, in table order, metadata as text."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("set TimeZone = 'UTC'")
        return connection.execute(
            f'select id, conversation_id, user_id, event_type, "timestamp", '
            f"metadata::varchar from {RAW}"
        ).fetchall()


@pytest.fixture(scope="module")
def plan() -> fastsim.FastSimPlan:
    return fastsim.plan_for_events(EVENTS, days=14, seed=7)


@pytest.fixture(scope="module")
def generated(
    plan: fastsim.FastSimPlan, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, int, list[tuple[Any, ...]]]:
    """The base days in a DuckDB file, its row count and its rows (read-only)."""
    path = tmp_path_factory.mktemp("fastsim") / "events.duckdb"
    written = fastsim.simulate(plan, "duckdb", duckdb_path=path)
    return path, written, _rows(path)


def test_about_the_events_asked_for(
    plan: fastsim.FastSimPlan, generated: tuple[Path, int, list[Any]]
) -> None:
    _, written, rows = generated
    assert written == len(rows)
    assert abs(written - EVENTS) / EVENTS < 0.05
    per_conversation = written / plan.conversations
    assert 11 < per_conversation < 13.5


def test_same_plan_same_rows_in_the_same_order(
    plan: fastsim.FastSimPlan, generated: tuple[Path, int, list[Any]], tmp_path: Path
) -> None:
    again = tmp_path / "again.duckdb"
    fastsim.simulate(plan, "duckdb", duckdb_path=again)
    assert _rows(again) == generated[2]


def test_one_thread_or_many_give_the_same_rows(plan: fastsim.FastSimPlan) -> None:
    answers = []
    for threads in (1, 4):
        with duckdb.connect() as connection:
            connection.execute(f"set threads = {threads}; set TimeZone = 'UTC'")
            answers.append(
                connection.execute(
                    "select count(*), sum(hash(row_number, id, conversation_id, user_id, "
                    'event_type, "timestamp", metadata::varchar)) from ('
                    f"select row_number() over () as row_number, * from ("
                    f"{fastsim.base_events_sql(plan)}))"
                ).fetchall()
            )
    assert answers[0] == answers[1]


def test_another_seed_other_rows(
    plan: fastsim.FastSimPlan, generated: tuple[Path, int, list[Any]], tmp_path: Path
) -> None:
    other = tmp_path / "other.duckdb"
    fastsim.simulate(
        fastsim.plan_for_events(EVENTS, days=14, seed=8), "duckdb", duckdb_path=other
    )
    mine = {row[0] for row in generated[2]}
    theirs = {row[0] for row in _rows(other)}
    assert len(mine & theirs) < 0.01 * len(mine)


def test_the_raw_contract(generated: tuple[Path, int, list[Any]], tmp_path: Path) -> None:
    def columns(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
        return connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'conversation_events' "
            "order by ordinal_position"
        ).fetchall()

    with duckdb.connect(str(tmp_path / "contract.duckdb")) as reference:
        reference.execute("create schema raw")
        reference.execute(create_table_sql("duckdb", "raw", "json"))
        expected = columns(reference)
    with duckdb.connect(str(generated[0])) as connection:
        assert columns(connection) == expected


def test_every_fault_kind_is_present(generated: tuple[Path, int, list[Any]]) -> None:
    counts = fastsim.fault_counts(generated[0])
    assert set(counts) == set(fastsim.FAULT_KINDS)
    assert all(counts[kind] > 0 for kind in fastsim.FAULT_KINDS), counts
    # Faults stay rare: most rows are clean.
    written = generated[1]
    assert counts["duplicate_delivery"] < 0.03 * written
    assert counts["missing_id"] < 0.01 * written


def test_a_realistic_shape(generated: tuple[Path, int, list[Any]]) -> None:
    with duckdb.connect(str(generated[0])) as connection:
        conversations = connection.execute(
            f"""
            select
                avg(case when completed then 1.0 else 0.0 end),
                avg(case when abandoned then 1.0 else 0.0 end),
                avg(case when handoff then 1.0 else 0.0 end),
                count(distinct agent_id),
                count(distinct channel)
            from (
                select
                    conversation_id,
                    bool_or(lower(trim(event_type)) = 'completed') as completed,
                    bool_or(lower(trim(event_type)) = 'abandoned') as abandoned,
                    bool_or(lower(trim(event_type)) = 'handoff_requested') as handoff,
                    max(json_extract_string(metadata, '$.agent_id')) as agent_id,
                    max(json_extract_string(metadata, '$.channel')) as channel
                from {RAW}
                where trim(conversation_id) != ''
                group by conversation_id
            )
            """
        ).fetchone()
        types = dict(
            connection.execute(
                f"select lower(trim(event_type)), count(*) from {RAW} group by 1"
            ).fetchall()
        )
        rephrases = connection.execute(
            f"select count(*) from {RAW} where try_cast(json_extract_string(metadata, "
            "'$.similarity_to_previous') as double) >= 0.85"
        ).fetchone()
    assert conversations is not None and rephrases is not None
    completed, abandoned, handoff, agents, channels = conversations
    assert 0.55 < completed < 0.75
    assert 0.12 < abandoned < 0.25
    assert 0.04 < handoff < 0.12
    assert (agents, channels) == (4, 4)
    assert types["user_message"] > types["started"] * 3
    assert {"tool_called", "feedback_received", "typing_indicator"} <= set(types)
    assert rephrases[0] > 0


def test_rows_are_roughly_in_time_order(generated: tuple[Path, int, list[Any]]) -> None:
    stamps = [row[4] for row in generated[2] if row[4] is not None]
    tenth = len(stamps) // 10
    assert max(stamps[:tenth]) < min(stamps[-tenth:])
    # Within a conversation events can interleave, but never by hours.
    backwards = sum(
        1 for a, b in zip(stamps, stamps[1:], strict=False) if b < a - timedelta(hours=2)
    )
    assert backwards == 0


def test_the_degraded_agent_has_a_bad_week(tmp_path: Path) -> None:
    path = tmp_path / "week.duckdb"
    three_weeks = fastsim.plan_for_events(60_000, days=21, seed=3)
    fastsim.simulate(three_weeks, "duckdb", duckdb_path=path)
    week = three_weeks.degraded_week
    assert week is not None
    with duckdb.connect(str(path)) as connection:
        connection.execute("set TimeZone = 'UTC'")
        rates = dict(
            connection.execute(
                f"""
                select cast(date_trunc('week', timezone('UTC', started)) as date) = ?,
                    avg(completed::int)
                from (
                    select
                        min("timestamp") as started,
                        bool_or(event_type = 'completed') as completed
                    from {RAW}
                    where trim(conversation_id) != ''
                    group by conversation_id
                    having max(json_extract_string(metadata, '$.agent_id')) = 'tech-support'
                )
                group by 1
                """,
                [week],
            ).fetchall()
        )
    assert rates[False] - rates[True] > 0.15


@pytest.fixture(scope="module")
def appended(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[fastsim.FastSimPlan, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A base of 120k events (enough for every kind of late row on one day),
    its rows, and its rows after append_day (read-only)."""
    base = fastsim.plan_for_events(120_000, days=14, seed=11)
    path = tmp_path_factory.mktemp("append") / "events.duckdb"
    fastsim.simulate(base, "duckdb", duckdb_path=path)
    before = _rows(path)
    next_plan, appended = fastsim.append_day(base, "duckdb", duckdb_path=path)
    after = _rows(path)
    assert next_plan.days == base.days + 1
    assert len(after) - len(before) == appended > 0
    return base, before, after


def test_append_day_adds_a_day_late_events_and_copies(
    appended: tuple[fastsim.FastSimPlan, list[Any], list[Any]],
) -> None:
    base, before, after = appended
    assert after[: len(before)] == before
    new = after[len(before):]
    new_day = datetime.combine(base.day_date(base.days), datetime.min.time(), UTC)
    known_ids = {row[0] for row in before}
    known_rows = Counter(before)
    late = [r for r in new if r[4] is not None and r[4] < new_day and r[0] not in known_ids]
    copies = [r for r in new if r[0] and r[0].strip() and r[0] in known_ids and r in known_rows]
    fresh = [r for r in new if r[4] is not None and r[4] >= new_day]
    assert len(fresh) > 0.8 * len(new)
    assert copies, "no re-delivered copies of loaded events"
    late_types = Counter(r[3].strip().lower() for r in late)
    assert set(late_types) == {"started", "feedback_received"}, late_types
    # Late rows belong to conversations already loaded.
    known_conversations = {row[1] for row in before}
    assert all(r[1] in known_conversations for r in late if r[1] and r[1].strip())


def test_append_day_is_deterministic_and_goes_on(
    appended: tuple[fastsim.FastSimPlan, list[Any], list[Any]], tmp_path: Path
) -> None:
    base, before, after = appended
    path = tmp_path / "again.duckdb"
    fastsim.simulate(base, "duckdb", duckdb_path=path)
    next_plan, _ = fastsim.append_day(base, "duckdb", duckdb_path=path)
    assert _rows(path) == after
    # The next append is another day: new conversations, not the same again.
    fastsim.append_day(next_plan, "duckdb", duckdb_path=path)
    third = _rows(path)[len(after):]
    next_day = datetime.combine(next_plan.day_date(next_plan.days), datetime.min.time(), UTC)
    fresh = {r[0] for r in third if r[4] is not None and r[4] >= next_day and (r[0] or "").strip()}
    assert fresh and not fresh & {r[0] for r in after}


def test_a_dbt_build_passes_on_the_output(tmp_path: Path, dbt_scratch: Path) -> None:
    path = tmp_path / "build.duckdb"
    small = fastsim.plan_for_events(20_000, days=14, seed=5)
    fastsim.simulate(small, "duckdb", duckdb_path=path)
    outcome = run_dbt(["build", "--full-refresh"], target="duckdb", duckdb_file=path)
    assert outcome.success
    with duckdb.connect(str(path)) as connection:
        conversations = connection.execute(
            f'select count(*) from "{layer_schema("duckdb", "marts")}"."fct_conversations"'
        ).fetchone()
    assert conversations is not None
    assert abs(conversations[0] - small.conversations) < 0.05 * small.conversations


@pytest.mark.postgres
def test_postgres_gets_the_same_rows_through_copy(
    plan: fastsim.FastSimPlan,
    generated: tuple[Path, int, list[Any]],
    postgres_conninfo: str,
    tmp_path: Path,
) -> None:
    copied = fastsim.simulate(
        plan, "postgres", conninfo=postgres_conninfo, raw_schema="raw_fastsim", workdir=tmp_path
    )
    assert copied == generated[1]
    with psycopg.connect(postgres_conninfo) as connection:
        rows = connection.execute(
            'select id, conversation_id, user_id, event_type, "timestamp", metadata::text '
            'from "raw_fastsim"."conversation_events"'
        ).fetchall()
    duck = generated[2]
    assert Counter(r[0] for r in rows) == Counter(r[0] for r in duck)  # null, '' and '   ' kept
    assert Counter(r[4] for r in rows) == Counter(r[4] for r in duck)
    assert Counter(r[3] for r in rows) == Counter(r[3] for r in duck)
    not_objects = [sum(1 for r in found if not r[5].startswith("{")) for found in (rows, duck)]
    assert not_objects[0] == not_objects[1] > 0
