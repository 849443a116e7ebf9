"""Tests that scale (README, "Running on a schedule"): in `dbt build
--selector hourly` the tests of staging, the rollups, fct_conversations and
the quarantine read only the rows the run wrote, so their cost follows the
new data; the nightly selector (and a plain `dbt build`) still test every
row. Shown by a bad row planted in an earlier batch: hourly runs do not read
it, nightly fails on it, and the same bad row in the newest batch fails the
hourly run too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from conversation_analytics.contract import EventRecord
from conversation_analytics.raw_table import DEFAULT_RAW_SCHEMA
from conversation_analytics.warehouse import loader
from conversation_analytics.warehouse.dbt_runner import DbtError
from test_hostile_input import T0, Warehouse


def _conversation(conversation_id: str, started_minutes_ago: int) -> list[EventRecord]:
    started = T0 - timedelta(minutes=started_minutes_ago)
    return [
        EventRecord(conversation_id, "u", "started", started, {"agent_id": "a"},
                    id=f"{conversation_id}-s"),
        EventRecord(conversation_id, "u", "user_message", started + timedelta(seconds=5),
                    {"turn": 1}, id=f"{conversation_id}-m"),
        EventRecord(conversation_id, "u", "completed", started + timedelta(seconds=30), {},
                    id=f"{conversation_id}-c"),
    ]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, dbt_scratch: Path
) -> Iterator[Warehouse]:
    conninfo = request.getfixturevalue("postgres_conninfo") if request.param == "postgres" else None
    yield Warehouse(request.param, tmp_path, conninfo)


def _append(warehouse: Warehouse, events: list[EventRecord]) -> None:
    loader.load_events(
        events, warehouse.target, duckdb_path=warehouse.path, conninfo=warehouse.conninfo
    )  # type: ignore[arg-type]


def _plant_bad_event_type(warehouse: Warehouse, event_id: str) -> None:
    warehouse.execute(
        f"update {warehouse.relation('staging', 'stg_conversation_events')} "
        f"set event_type = 'not_an_event_type' where event_id = '{event_id}'"
    )


def test_hourly_tests_read_the_newest_batch_and_nightly_reads_every_row(
    warehouse: Warehouse,
) -> None:
    warehouse.load(_conversation("old", 90))
    warehouse.build("--full-refresh")
    # A bad row in batch 1, as if a past run had let it through.
    _plant_bad_event_type(warehouse, "old-s")

    _append(warehouse, _conversation("new", 10))
    warehouse.build("--selector", "hourly")
    (batches,) = warehouse.execute(
        "select count(distinct staged_batch) from "
        + warehouse.relation("staging", "stg_conversation_events")
    )
    assert batches == (2,)

    with pytest.raises(DbtError):
        warehouse.build("--selector", "nightly")

    # The same bad row in the newest batch is caught by the hourly run.
    _append(warehouse, _conversation("newer", 5))
    warehouse.build("--selector", "hourly")
    _plant_bad_event_type(warehouse, "newer-s")
    with pytest.raises(DbtError):
        warehouse.build("--selector", "hourly")


def _quarantine_test_scope(dbt_target: Path) -> str:
    """The condition the hourly run's not_null test of the quarantine read
    its rows under, from the SQL dbt ran."""
    (compiled,) = dbt_target.glob(
        "run/**/not_null_conversation_events_rejected_rejection_reason.sql"
    )
    sql = compiled.read_text()
    match = re.search(r"where (\(loaded_at is null or loaded_at > .*?\)\))", sql, re.DOTALL)
    assert match, f"the quarantine's test read every row:\n{sql}"
    return match.group(1)


def test_hourly_quarantine_tests_read_the_latest_load_through_a_literal_bound(
    warehouse: Warehouse, dbt_scratch: Path
) -> None:
    """The typed raw rows and the quarantine are views over the raw table. A
    bound given as a subquery stays above the view's typing, so the hourly
    tests typed every raw row ever loaded (4 to 10 s each at 10M events);
    the bound is now read first and written in as a literal. It still reads
    exactly the rows loaded within the lookback of the latest
    load: a quarantined row of an old load is left out, a new one is read."""
    raw = f'"{DEFAULT_RAW_SCHEMA}"."conversation_events"'
    quarantine = warehouse.relation("staging", "conversation_events_rejected")
    warehouse.load(
        [*_conversation("old", 300), replace(_conversation("old", 300)[1], id="old-bad",
                                             event_type="not_an_event_type")]
    )
    # That load landed three hours ago.
    warehouse.execute(f"update {raw} set loaded_at = loaded_at - interval '3 hours'")
    warehouse.build("--full-refresh")
    _append(
        warehouse,
        [*_conversation("new", 10), replace(_conversation("new", 10)[1], id="new-bad",
                                            event_type="not_an_event_type")],
    )
    warehouse.build("--selector", "hourly")

    scope = _quarantine_test_scope(dbt_scratch / "target")
    assert "select" not in scope.lower(), scope
    rows = warehouse.execute(f"select event_id from {quarantine} where {scope} order by 1")
    assert rows == [("new-bad",)]
    assert len(warehouse.execute(f"select event_id from {quarantine}")) == 2
