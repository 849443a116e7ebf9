"""The simulator: deterministic, realistic, and faulty in every documented way."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conversation_analytics.contract import EVENT_TYPES, EventRecord
from conversation_analytics.simulation.simulator import (
    AGENT_IDS,
    CHANNELS,
    FAULT_KINDS,
    MODELS,
    TOOLS,
    JsonlFormatError,
    SimulationResult,
    degraded_week_start,
    event_to_json,
    read_jsonl,
    run_simulation,
    simulate,
    write_jsonl,
)

SIMULATION_START = date(2026, 10, 5)

# Keys each event type may carry, with the types docs/event-contract.md gives them.
INT = (int,)
NUMBER = (int, float)
CONTRACT_KEYS: dict[str, dict[str, tuple[type, ...]]] = {
    "started": {"channel": (str,), "agent_id": (str,)},
    "user_message": {
        "turn": INT, "message_length": INT, "similarity_to_previous": NUMBER,
        "is_exact_repeat": (bool,),
    },
    "agent_response": {
        "turn": INT, "response_length": INT, "model": (str,), "latency_ms": NUMBER,
        "input_tokens": INT, "output_tokens": INT,
    },
    "tool_called": {"tool_name": (str,), "turn": INT, "status": (str,)},
    "handoff_requested": {"reason": (str,), "turn": INT},
    "feedback_received": {"rating": (str,)},
    "completed": {"total_turns": INT},
    "abandoned": {"abandoned_at_turn": INT},
}


def _rows(events: list[EventRecord]) -> list[dict[str, Any]]:
    return [event_to_json(e) for e in events]


def _normalised(event_type: str | None) -> str | None:
    return event_type.strip().lower() if isinstance(event_type, str) else None


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _by_conversation(events: list[EventRecord]) -> dict[str, list[EventRecord]]:
    grouped: dict[str, list[EventRecord]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.timestamp):
        grouped[event.conversation_id].append(event)
    return grouped


# --- determinism --------------------------------------------------------------


def test_same_seed_gives_identical_rows() -> None:
    first = simulate(300, SIMULATION_START, 14, seed=3)
    second = simulate(300, SIMULATION_START, 14, seed=3)
    assert _rows(first) == _rows(second)


def test_different_seed_gives_different_rows() -> None:
    first = simulate(300, SIMULATION_START, 14, seed=3)
    second = simulate(300, SIMULATION_START, 14, seed=4)
    assert _rows(first) != _rows(second)
    assert {e.id for e in first}.isdisjoint({e.id for e in second} - {None, "", "   "})


# --- every fault, seen in the rows themselves -------------------------------------


def _has_duplicate_delivery(events: list[EventRecord]) -> bool:
    payloads: dict[str, set[str]] = defaultdict(set)
    counts = Counter(e.id for e in events if not _blank(e.id))
    for event in events:
        if event.id and counts[event.id] > 1:
            payloads[event.id].add(json.dumps(event_to_json(event), sort_keys=True))
    return any(len(p) == 1 for p in payloads.values())


def _has_out_of_order(events: list[EventRecord]) -> bool:
    stamps = [e.timestamp for e in events if e.timestamp is not None]
    return any(later < earlier for earlier, later in zip(stamps, stamps[1:], strict=False))


def _has_missing_started(events: list[EventRecord]) -> bool:
    started = {e.conversation_id for e in events if _normalised(e.event_type) == "started"}
    return any(
        e.conversation_id not in started for e in events if not _blank(e.conversation_id)
    )


def _has_unknown_event_type(events: list[EventRecord]) -> bool:
    types = {e.event_type for e in events if _normalised(e.event_type) not in EVENT_TYPES}
    return {"typing_indicator", "", "   "} <= types


def _has_odd_case(events: list[EventRecord]) -> bool:
    return any(
        e.event_type not in EVENT_TYPES and _normalised(e.event_type) in EVENT_TYPES
        for e in events
    )


def _has_missing(field: str) -> Callable[[list[EventRecord]], bool]:
    def check(events: list[EventRecord]) -> bool:
        values = [getattr(e, field) for e in events]
        return None in values and any(isinstance(v, str) and not v.strip() for v in values)

    return check


def _has_missing_timestamp(events: list[EventRecord]) -> bool:
    return any(e.timestamp is None for e in events)


def _has_malformed_metadata(events: list[EventRecord]) -> bool:
    kinds = set()
    for event in events:
        if isinstance(event.metadata, str):
            try:
                kinds.add(type(json.loads(event.metadata)).__name__)
            except ValueError:
                kinds.add("truncated")
    return {"truncated", "list", "str"} <= kinds


def _has_wrong_typed_metadata(events: list[EventRecord]) -> bool:
    return any(
        isinstance(e.metadata, dict)
        and any(isinstance(e.metadata.get(k), str) for k in ("turn", "latency_ms", "total_turns",
                                                            "message_length", "input_tokens"))
        for e in events
    )


def _has_non_utc_offset(events: list[EventRecord]) -> bool:
    return any(
        e.timestamp is not None and e.timestamp.utcoffset() != timedelta(0) for e in events
    )


def _has_null_user(events: list[EventRecord]) -> bool:
    return any(e.user_id is None for e in events)


FAULT_DETECTORS: dict[str, Callable[[list[EventRecord]], bool]] = {
    "duplicate_delivery": _has_duplicate_delivery,
    "out_of_order": _has_out_of_order,
    "missing_started": _has_missing_started,
    "unknown_event_type": _has_unknown_event_type,
    "odd_case_event_type": _has_odd_case,
    "missing_id": _has_missing("id"),
    "missing_conversation_id": _has_missing("conversation_id"),
    "missing_timestamp": _has_missing_timestamp,
    "malformed_metadata": _has_malformed_metadata,
    "wrong_typed_metadata": _has_wrong_typed_metadata,
    "non_utc_offset": _has_non_utc_offset,
    "null_user_id": _has_null_user,
}


def test_every_fault_kind_has_a_detector() -> None:
    assert set(FAULT_DETECTORS) == set(FAULT_KINDS)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_every_fault_kind_appears_in_a_500_conversation_run(
    kind: str, faulty_simulation: SimulationResult
) -> None:
    assert faulty_simulation.conversations >= 500
    assert faulty_simulation.fault_counts[kind] > 0
    assert FAULT_DETECTORS[kind](faulty_simulation.events), f"no {kind} in the rows"


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_no_faults_means_no_faults(kind: str, clean_simulation: SimulationResult) -> None:
    assert clean_simulation.fault_counts[kind] == 0
    assert not FAULT_DETECTORS[kind](clean_simulation.events), f"{kind} without faults"


def test_fault_rates_are_small(faulty_simulation: SimulationResult) -> None:
    rows = len(faulty_simulation.events)
    for kind, count in faulty_simulation.fault_counts.items():
        assert count <= 0.05 * rows, kind


# --- the contract ---------------------------------------------------------------------


def test_well_formed_rows_conform_to_the_contract(clean_simulation: SimulationResult) -> None:
    for event in clean_simulation.events:
        assert event.event_type in EVENT_TYPES
        assert event.id and event.conversation_id and event.user_id
        assert event.timestamp is not None and event.timestamp.utcoffset() == timedelta(0)
        assert isinstance(event.metadata, dict)
        allowed = CONTRACT_KEYS[event.event_type]
        assert set(event.metadata) <= set(allowed), event
        for key, value in event.metadata.items():
            assert isinstance(value, allowed[key]), (key, value)
            if allowed[key] == INT:
                assert not isinstance(value, bool), (key, value)
        meta = event.metadata
        if event.event_type == "started":
            assert meta["agent_id"] in AGENT_IDS
            assert meta["channel"] in dict(CHANNELS)
        elif event.event_type == "user_message":
            assert 0.0 <= meta.get("similarity_to_previous", 0.0) <= 1.0
            assert ("similarity_to_previous" in meta) == (meta["turn"] >= 2)
        elif event.event_type == "agent_response":
            assert meta["model"] in MODELS and meta["latency_ms"] > 0
        elif event.event_type == "tool_called":
            assert meta["tool_name"] in TOOLS and meta["status"] in ("ok", "error")


def test_faulty_rows_keep_contract_keys(faulty_simulation: SimulationResult) -> None:
    """Faults break values, never invent keys the models do not read."""
    for event in faulty_simulation.events:
        kind = _normalised(event.event_type)
        if kind in CONTRACT_KEYS and isinstance(event.metadata, dict):
            assert set(event.metadata) <= set(CONTRACT_KEYS[kind]), event


def test_turn_counters_are_consistent(clean_simulation: SimulationResult) -> None:
    for events in _by_conversation(clean_simulation.events).values():
        assert events[0].event_type == "started"
        turns = [e.metadata["turn"] for e in events if e.event_type == "user_message"]
        assert turns == list(range(1, len(turns) + 1))
        user_turns = len(turns)
        for event in events:
            meta = event.metadata
            if event.event_type in ("agent_response", "tool_called", "handoff_requested"):
                assert 1 <= meta["turn"] <= user_turns
            elif event.event_type == "completed":
                assert meta["total_turns"] == user_turns
            elif event.event_type == "abandoned":
                assert meta["abandoned_at_turn"] == user_turns
        terminal = [e for e in events if e.event_type in ("completed", "abandoned")]
        assert len(terminal) <= 1


def test_output_is_in_timestamp_order_without_faults(clean_simulation: SimulationResult) -> None:
    stamps = [e.timestamp for e in clean_simulation.events]
    assert stamps == sorted(stamps)


# --- realism ------------------------------------------------------------------------------


def test_outcome_and_signal_shares_are_realistic(clean_simulation: SimulationResult) -> None:
    conversations = _by_conversation(clean_simulation.events)
    total = len(conversations)
    assert total == clean_simulation.conversations

    def share(event_type: str) -> float:
        return sum(
            any(e.event_type == event_type for e in events) for events in conversations.values()
        ) / total

    assert 0.62 <= share("completed") <= 0.72
    assert 0.13 <= share("abandoned") <= 0.22
    assert 0.05 <= share("handoff_requested") <= 0.11
    assert 0.20 <= share("feedback_received") <= 0.30
    no_terminal = 1 - share("completed") - share("abandoned")
    assert no_terminal > 0.05


def test_values_are_varied_and_plausible(clean_simulation: SimulationResult) -> None:
    events = clean_simulation.events
    meta_of = defaultdict(list)
    for event in events:
        meta_of[event.event_type].append(event.metadata)
    assert {m["agent_id"] for m in meta_of["started"]} == set(AGENT_IDS)
    assert {m["channel"] for m in meta_of["started"]} == set(dict(CHANNELS))
    assert {m["model"] for m in meta_of["agent_response"]} == set(MODELS)
    assert {m["tool_name"] for m in meta_of["tool_called"]} == set(TOOLS)
    tool_errors = sum(m["status"] == "error" for m in meta_of["tool_called"])
    assert 0.02 <= tool_errors / len(meta_of["tool_called"]) <= 0.09
    similarities = [m["similarity_to_previous"] for m in meta_of["user_message"] if m["turn"] >= 2]
    rephrases = sum(s >= 0.85 for s in similarities) / len(similarities)
    assert 0.05 <= rephrases <= 0.25
    repeats = [m for m in meta_of["user_message"] if m["is_exact_repeat"]]
    assert repeats and len(repeats) < 0.03 * len(similarities)
    ratings = Counter(m["rating"] for m in meta_of["feedback_received"])
    assert ratings["positive"] > 0 and ratings["negative"] > 0
    assert any(r != r.strip().lower() and r.strip().lower() in ("positive", "negative")
               for r in ratings)
    assert any(r.strip().lower() not in ("positive", "negative") for r in ratings)


def test_starts_follow_business_hours_within_the_range(
    clean_simulation: SimulationResult,
) -> None:
    days = clean_simulation.days
    starts = [e.timestamp for e in clean_simulation.events if e.event_type == "started"]
    first = datetime.combine(clean_simulation.start_date, datetime.min.time(), UTC)
    assert all(first <= t < first + timedelta(days=days + 1) for t in starts)
    hours = Counter(t.hour for t in starts)
    assert sum(hours[h] for h in range(9, 17)) > 3 * sum(hours[h] for h in range(0, 8))
    assert len({t.date() for t in starts}) >= days - 1


def test_a_few_conversations_are_still_in_progress(clean_simulation: SimulationResult) -> None:
    latest = max(e.timestamp for e in clean_simulation.events)
    open_recent = [
        cid
        for cid, events in _by_conversation(clean_simulation.events).items()
        if not any(e.event_type in ("completed", "abandoned") for e in events)
        and latest - events[-1].timestamp < timedelta(minutes=30)
    ]
    assert open_recent


def test_one_agent_degrades_by_ten_points_in_one_week(clean_simulation: SimulationResult) -> None:
    week = clean_simulation.degraded_week_start
    agent = clean_simulation.degraded_agent
    assert week is not None and week.weekday() == 0 and agent in AGENT_IDS
    completed = Counter()
    total = Counter()
    for events in _by_conversation(clean_simulation.events).values():
        if events[0].metadata["agent_id"] != agent:
            continue
        day = events[0].timestamp.date()
        monday = day - timedelta(days=day.weekday())
        total[monday] += 1
        completed[monday] += any(e.event_type == "completed" for e in events)

    def rate(monday: date) -> float:
        return 100 * completed[monday] / total[monday]

    previous = week - timedelta(days=7)
    assert total[week] >= 20 and total[previous] >= 20
    assert rate(previous) - rate(week) >= 10


def test_degraded_week_lies_in_the_range() -> None:
    assert degraded_week_start(date(2026, 10, 30), 28) == date(2026, 11, 16)
    assert degraded_week_start(date(2026, 11, 2), 10) == date(2026, 11, 9)
    assert degraded_week_start(date(2026, 11, 2), 3) is None


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="days"):
        run_simulation(10, SIMULATION_START, 0, seed=1)
    with pytest.raises(ValueError, match="conversations"):
        run_simulation(-1, SIMULATION_START, 3, seed=1)


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_round_trip_keeps_every_fault(
    tmp_path: Path, faulty_simulation: SimulationResult
) -> None:
    path = tmp_path / "events.jsonl"
    assert write_jsonl(faulty_simulation.events, path) == len(faulty_simulation.events)
    back = read_jsonl(path)
    assert _rows(back) == _rows(faulty_simulation.events)
    first = json.loads(path.read_text().splitlines()[0])
    assert list(first) == ["id", "conversation_id", "user_id", "event_type", "timestamp",
                           "metadata"]


def test_jsonl_reader_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps(event_to_json(simulate(1, SIMULATION_START, 1, seed=1, faults=False)[0]))
    path.write_text(f"{good}\n\n{{not json\n")
    with pytest.raises(JsonlFormatError, match=r"bad\.jsonl:3"):
        read_jsonl(path)
    path.write_text('{"id": 5, "timestamp": "2026-01-01T00:00:00Z"}\n')
    with pytest.raises(JsonlFormatError, match="id must be text"):
        read_jsonl(path)
    path.write_text('{"id": "a", "timestamp": "yesterday"}\n')
    with pytest.raises(JsonlFormatError, match="not ISO-8601"):
        read_jsonl(path)


def test_jsonl_reader_reads_naive_timestamps_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "naive.jsonl"
    path.write_text('{"id": "a", "conversation_id": "c", "event_type": "started", '
                    '"timestamp": "2026-01-01T10:00:00", "metadata": [1, 2]}\n')
    (event,) = read_jsonl(path)
    assert event.timestamp == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert event.metadata == "[1, 2]"
    assert event.user_id is None
