"""Hostile raw rows and vars: each is quarantined with its reason or stops
the run with one line, the build stays green, and nothing is lost.

On DuckDB and on PostgreSQL: absurd timestamps (year 1, 1999, 9999-12-31,
and on PostgreSQL `infinity` and `-infinity`), a timestamp column of text
holding 'NaN' and impossible dates, ids too long for a btree index, and
SQL in every var that reaches SQL.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import dbt_runner, loader
from conversation_analytics.warehouse.dbt_runner import DbtError

NOW = datetime.now(UTC).replace(microsecond=0)
# An ordinary conversation, last heard from 10 minutes ago: in progress,
# unless an absurd timestamp moves the as-of time.
T0 = NOW - timedelta(minutes=20)


def _normal_events() -> list[EventRecord]:
    return [
        EventRecord("open", "u1", "started", T0, {"agent_id": "a", "channel": "web"}, id="n1"),
        EventRecord("open", "u1", "user_message", T0 + timedelta(minutes=10), {"turn": 1}, id="n2"),
    ]


def _long_id(length: int = 3000) -> str:
    """Random letters: incompressible, so PostgreSQL cannot squeeze the
    index entry under its btree row limit."""
    pick = random.Random(7).choice
    return "".join(pick(string.ascii_letters) for _ in range(length))


LONG_ID = _long_id()

# id -> (timestamp, the reason it must be rejected with, or None when valid)
HOSTILE: dict[str, tuple[datetime, str | None]] = {
    "year-1": (datetime(1, 1, 1, tzinfo=UTC), "timestamp_out_of_range"),
    "last-century": (datetime(1999, 12, 31, 23, 59, tzinfo=UTC), "timestamp_out_of_range"),
    "year-9999": (datetime(9999, 12, 31, tzinfo=UTC), "timestamp_out_of_range"),
    "a-week-ahead": (NOW + timedelta(days=7), "timestamp_out_of_range"),
    "an-hour-ahead": (NOW + timedelta(hours=1), None),
    "window-start": (datetime(2000, 1, 1, tzinfo=UTC), None),
}


def _hostile_events() -> list[EventRecord]:
    # The open conversation is still talking a minute before the latest
    # plausible event (an hour ahead, inside the window).
    reply_at = NOW + timedelta(minutes=59)
    events = [
        *_normal_events(),
        EventRecord("open", "u1", "agent_response", reply_at, {"turn": 1}, id="n3"),
    ]
    for event_id, (at, _) in HOSTILE.items():
        events.append(EventRecord(f"c-{event_id}", None, "started", at, {}, id=event_id))
    events.append(EventRecord("c-long", None, "started", T0, {}, id=LONG_ID))
    events.append(EventRecord(LONG_ID, None, "started", T0, {}, id="long-conversation"))
    return events


def _expected_reasons() -> dict[str, str]:
    reasons = {event_id: reason for event_id, (_, reason) in HOSTILE.items() if reason}
    return {**reasons, LONG_ID: "id_too_long", "long-conversation": "id_too_long"}


# --- building ----------------------------------------------------------------------


class Warehouse:
    """One target to load into, build and query."""

    def __init__(self, target: str, tmp_path: Path, conninfo: str | None) -> None:
        self.target = target
        self.path = tmp_path / "hostile.duckdb"
        self.conninfo = conninfo

    def load(self, events: list[EventRecord]) -> None:
        loader.load_events(
            events, self.target, duckdb_path=self.path, conninfo=self.conninfo, replace=True
        )  # type: ignore[arg-type]

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        if self.target == "duckdb":
            with closing(duckdb.connect(str(self.path))) as connection:
                result = connection.execute(sql)
                return result.fetchall() if result.description else []
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def build(self, *args: str, vars: dict[str, Any] | None = None) -> None:
        database = conninfo_to_dict(self.conninfo)["dbname"] if self.conninfo else None
        env = {"PGDATABASE": str(database)} if database else {}
        with dbt_runner.environment(env):
            dbt_runner.run_dbt(
                ["build", *args], target=self.target, duckdb_file=self.path, vars=vars
            )

    def relation(self, layer: str, name: str) -> str:
        return f'"{dbt_runner.layer_schema(self.target, layer)}"."{name}"'


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, dbt_scratch: Path
) -> Iterator[Warehouse]:
    conninfo = request.getfixturevalue("postgres_conninfo") if request.param == "postgres" else None
    yield Warehouse(request.param, tmp_path, conninfo)


def _rejected(warehouse: Warehouse) -> dict[str, str]:
    rows = warehouse.execute(
        "select event_id, rejection_reason from "
        + warehouse.relation("staging", "conversation_events_rejected")
    )
    return {str(event_id): str(reason) for event_id, reason in rows}


def _outcome(warehouse: Warehouse, conversation_id: str) -> str:
    (row,) = warehouse.execute(
        f"select outcome from {warehouse.relation('marts', 'fct_conversations')} "
        f"where conversation_id = '{conversation_id}'"
    )
    return str(row[0])


# --- timestamps and ids ------------------------------------------------------------


def test_absurd_timestamps_and_long_ids_are_quarantined(warehouse: Warehouse) -> None:
    warehouse.load(_hostile_events())
    if warehouse.target == "postgres":
        warehouse.execute(
            "insert into raw.conversation_events (id, conversation_id, event_type, \"timestamp\") "
            "values ('infinity', 'c-inf', 'started', 'infinity'), "
            "('-infinity', 'c-neg-inf', 'started', '-infinity')"
        )
    # The whole build, tests included (the reconciliation among them), and a
    # full refresh, which on PostgreSQL rebuilds the unique index on event_id.
    warehouse.build()
    warehouse.build("--full-refresh")

    expected = _expected_reasons()
    if warehouse.target == "postgres":
        expected |= {"infinity": "timestamp_out_of_range", "-infinity": "timestamp_out_of_range"}
    assert _rejected(warehouse) == expected
    # The as-of time is the latest plausible event (an hour ahead), not the
    # year 9999 or the week-ahead row: the open conversation has not timed out.
    assert _outcome(warehouse, "open") == "in_progress"
    staged = warehouse.execute(
        f"select event_id from {warehouse.relation('staging', 'stg_conversation_events')}"
    )
    assert sorted(row[0] for row in staged) == ["an-hour-ahead", "n1", "n2", "n3", "window-start"]


def test_a_text_timestamp_column_is_parsed_safely(warehouse: Warehouse) -> None:
    warehouse.load(_normal_events())
    table = "raw.conversation_events"
    cascade = " cascade" if warehouse.target == "postgres" else ""
    warehouse.execute(f"drop table {table}{cascade}")
    warehouse.execute(
        f"create table {table} (id text, conversation_id text, user_id text, "
        'event_type text, "timestamp" text, metadata text)'
    )
    start = T0.strftime("%Y-%m-%d %H:%M:%S")
    message = (T0 + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")
    plus_two = timezone(timedelta(hours=2))
    in_zone = (T0 + timedelta(minutes=12)).astimezone(plus_two).strftime("%Y-%m-%d %H:%M:%S%z")
    warehouse.execute(
        f"insert into {table} values "
        f"('n1', 'open', 'u1', 'started', '{start}', '{{\"agent_id\": \"a\"}}'), "
        f"('n2', 'open', 'u1', 'user_message', '{message}Z', null), "
        f"('n3', 'open', 'u1', 'agent_response', '{in_zone}', null), "
        "('nan', 'c-nan', null, 'started', 'NaN', null), "
        "('feb-30', 'c-feb', null, 'started', '2026-02-30 10:00:00', null), "
        "('soon', 'c-soon', null, 'started', 'soon', null), "
        "('inf', 'c-inf', null, 'started', 'infinity', null)"
    )
    # A new raw table: the PostgreSQL database is shared by the module.
    warehouse.build("--full-refresh")

    assert _rejected(warehouse) == {
        "nan": "missing_timestamp",
        "feb-30": "missing_timestamp",
        "soon": "missing_timestamp",
        "inf": "timestamp_out_of_range",
    }
    staged = dict(
        warehouse.execute(
            "select event_id, event_at from "
            + warehouse.relation("staging", "stg_conversation_events")
        )
    )
    naive = T0.replace(tzinfo=None)
    assert staged == {
        "n1": naive,
        "n2": naive + timedelta(minutes=10),
        "n3": naive + timedelta(minutes=12),
    }


# --- vars ---------------------------------------------------------------------------

INJECTION = "1; create table injected (x int); --"

# Every var that reaches SQL, with a value that would run a statement if it
# were rendered as it is.
HOSTILE_VARS: dict[str, Any] = {
    "raw_schema": 'raw"; create table injected (x int); --',
    "raw_table": 'conversation_events"; create table injected (x int); --',
    "raw_database": 'warehouse"; create table injected (x int); --',
    "bi_reader_role": 'bi"; create table injected (x int); --',
    "pseudonymize_user_ids": "true); create table injected (x int); --",
    "as_of": "2026-11-01'; create table injected (x int); --",
    "event_time_min": "2000-01-01' or 1=1; create table injected (x int); --",
    "inactivity_timeout_minutes": INJECTION,
    "max_id_length": INJECTION,
    "event_time_max_ahead_hours": INJECTION,
    "ingestion_lookback_minutes": INJECTION,
    "raw_retention_days": INJECTION,
    "quarantine_warn_share": INJECTION,
    "late_arrival_warn_hours": INJECTION,
    "rephrase_similarity_threshold": INJECTION,
    "satisfaction_quick_resolution_max_turns": INJECTION,
    "satisfaction_quick_resolution_signal": INJECTION,
    "satisfaction_handoff_signal": INJECTION,
    "satisfaction_long_conversation_min_turns": INJECTION,
    "satisfaction_long_conversation_base": INJECTION,
    "satisfaction_turn_penalty": INJECTION,
    "satisfaction_neutral_score": INJECTION,
    "completion_drop_alert_points": INJECTION,
    "alert_min_conversations": INJECTION,
    "alert_rule": "points'; create table injected (x int); --",
    "alert_significance_level": INJECTION,
    "confidence_level": INJECTION,
    "summary_window_days": ["7); create table injected (x int); --"],
    "days": INJECTION,
    "time_spine_start_date": "2020-01-01'; create table injected (x int); --",
    "time_spine_end_date": "2036-01-01'; create table injected (x int); --",
    "otel_spans_enabled": "true); create table injected (x int); --",
    "otel_spans_schema": 'raw"; create table injected (x int); --',
    "otel_spans_table": 'otel_spans"; create table injected (x int); --',
    "otel_user_id_attribute": "user.id'; create table injected (x int); --",
    "otel_channel_attribute": "channel'); create table injected (x int); --",
    "otel_outcome_event": "conversation.outcome'; create table injected (x int); --",
    "otel_outcome_attribute": "outcome'; create table injected (x int); --",
    "langfuse_enabled": "true); create table injected (x int); --",
    "langfuse_schema": 'raw"; create table injected (x int); --',
    "langfuse_agent_id_key": "agent_id'; create table injected (x int); --",
    "langfuse_channel_key": "channel'); create table injected (x int); --",
    "langfuse_outcome_key": "outcome'; create table injected (x int); --",
    "langfuse_feedback_score_names": ["user_feedback'); create table injected (x int); --"],
    "langfuse_tool_span_names": ["search'); create table injected (x int); --"],
}


def test_every_var_is_a_known_var() -> None:
    from test_vars import _known_vars

    assert sorted(HOSTILE_VARS) == sorted(_known_vars())


@pytest.mark.parametrize("name", sorted(HOSTILE_VARS))
def test_sql_in_a_var_stops_the_run_before_it_reaches_sql(
    warehouse: Warehouse, name: str
) -> None:
    if warehouse.target == "postgres" and name not in ("as_of", "raw_schema", "max_id_length"):
        pytest.skip("the check is the same Jinja on every target: three vars on PostgreSQL")
    warehouse.load(_normal_events())
    with pytest.raises(DbtError, match=f"var {name} (is .*: expected|must)"):
        warehouse.build("--select", "conversation_event_types", vars={name: HOSTILE_VARS[name]})
    exists = warehouse.execute(
        "select count(*) from information_schema.tables where table_name = 'injected'"
    )
    assert exists == [(0,)]


# --- schema drift ---------------------------------------------------------------------


@pytest.mark.parametrize("dropped", [("metadata",), ("user_id", "metadata")])
def test_a_raw_table_without_a_contract_column_stops_the_run_naming_it(
    warehouse: Warehouse, dropped: tuple[str, ...]
) -> None:
    warehouse.load(_normal_events())
    cascade = " cascade" if warehouse.target == "postgres" else ""
    for column in dropped:
        warehouse.execute(f"alter table raw.conversation_events drop column {column}{cascade}")
    with pytest.raises(DbtError) as failure:
        warehouse.build()
    message = str(failure.value)
    assert f"lacks the column{'s' if len(dropped) > 1 else ''} {', '.join(dropped)} " in message
    assert "unit test" not in message and "data type" not in message.lower()
