"""The data-quality warnings on the raw stream: a day whose quarantine share
jumps above var quarantine_warn_share, and events landing more than var
late_arrival_warn_hours after their own time. Each warns (the build
succeeds, the test's status is warn) on a stream built to trip it, and
stays quiet on an ordinary stream or with the threshold raised (DuckDB)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import dbt_runner
from test_hostile_input import NOW, Warehouse

QUARANTINE = "warn_quarantine_share_jumps"
LATE = "warn_late_arriving_events"


def _conversation(name: str, at: Any) -> list[EventRecord]:
    return [
        EventRecord(name, "u1", "started", at, {"agent_id": "a"}, id=f"{name}-1"),
        EventRecord(name, "u1", "user_message", at + timedelta(seconds=5), {"turn": 1},
                    id=f"{name}-2"),
        EventRecord(name, "u1", "completed", at + timedelta(seconds=9), {}, id=f"{name}-3"),
    ]


def _ordinary() -> list[EventRecord]:
    start = NOW - timedelta(minutes=30)
    return [event for index in range(8) for event in _conversation(f"c{index}", start)]


def _statuses(warehouse: Warehouse, vars: dict[str, Any] | None = None) -> dict[str, str]:
    """Build the two warnings and their parents; the status of each."""
    outcome = dbt_runner.run_dbt(
        ["build", "--select", "conversation_event_types", "conversation_events_rejected",
         f"+{QUARANTINE}", f"+{LATE}"],
        target="duckdb", duckdb_file=warehouse.path, vars=vars,
    )
    assert outcome.success  # warnings never fail the run (exit code 0)
    return {
        result.node.name: str(result.status)
        for result in outcome.result.results
        if result.node.name in (QUARANTINE, LATE)
    }


@pytest.fixture
def warehouse(tmp_path: Path, dbt_scratch: Path) -> Warehouse:
    return Warehouse("duckdb", tmp_path, None)


def test_an_ordinary_stream_does_not_warn(warehouse: Warehouse) -> None:
    warehouse.load(_ordinary())
    assert _statuses(warehouse) == {QUARANTINE: "pass", LATE: "pass"}


def test_a_quarantine_spike_warns(warehouse: Warehouse) -> None:
    # 24 valid rows and 2 without a conversation: 7.7 % of the day's rows.
    broken = [
        EventRecord(None, "u1", "started", NOW - timedelta(minutes=5), {}, id=f"broken-{index}")
        for index in range(2)
    ]
    warehouse.load(_ordinary() + broken)
    assert _statuses(warehouse) == {QUARANTINE: "warn", LATE: "pass"}
    rows = warehouse.execute(
        f'select count(*) from {warehouse.relation("staging", "conversation_events_rejected")}'
    )
    assert rows == [(2,)]
    assert _statuses(warehouse, {"quarantine_warn_share": 0.1}) == {
        QUARANTINE: "pass", LATE: "pass"
    }


def test_events_arriving_days_late_warn(warehouse: Warehouse) -> None:
    # Loaded now, four days after they happened.
    late = _conversation("late", NOW - timedelta(days=4))
    warehouse.load(_ordinary() + late)
    assert _statuses(warehouse) == {QUARANTINE: "pass", LATE: "warn"}
    assert _statuses(warehouse, {"late_arrival_warn_hours": 120}) == {
        QUARANTINE: "pass", LATE: "pass"
    }
