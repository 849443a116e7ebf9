"""The reference implementation (`spec_reference.py`) against values worked out
by hand from docs/event-contract.md and docs/metric-definitions.md, so the oracle
the whole-pipeline tests trust is itself tested. No database, no dbt."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest

from spec_reference import (
    RawRow,
    Rounded,
    Vars,
    compute,
    parse_metadata,
    round_half_away,
    satisfaction_score,
)

T0 = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)  # a Tuesday


def row(
    event_id: str | None,
    conversation_id: str | None,
    event_type: str | None,
    at: datetime | None,
    metadata: dict[str, Any] | str | None = None,
    user_id: str | None = None,
) -> RawRow:
    return RawRow(event_id, conversation_id, user_id, event_type, at, metadata)


def conversation(
    conversation_id: str, *events: tuple[str, float, dict[str, Any] | None]
) -> list[RawRow]:
    """Rows of one conversation: (event_type, seconds after T0, metadata)."""
    return [
        row(f"{conversation_id}-{n}", conversation_id, kind, T0 + timedelta(seconds=s), meta)
        for n, (kind, s, meta) in enumerate(events)
    ]


def fct(rows: list[RawRow], **vars: Any) -> dict[str, dict[str, Any]]:
    reference = compute(rows, Vars(**vars))
    return {c["conversation_id"]: c for c in reference.marts["fct_conversations"]}


# --- section 2 ----------------------------------------------------------------------


def test_rejection_reasons_take_the_first_that_applies() -> None:
    rows = [
        row(None, None, "bogus", None),
        row("  ", "c", "started", T0),
        row("a", " ", None, None),
        row("b", "c", "bogus", None),
        row("c", "c", "", T0),
        # A zero-width space is not whitespace: not trimmed.
        row("d", "c", "\u200bstarted", T0),
        row("e", "c", " Started ", T0 - timedelta(hours=1)),
        # Tab, no-break space and ideographic space are.
        row("\u00a0f\t", "c", "\tstarted\u3000", T0),
    ]
    reference = compute(rows)
    assert [r["rejection_reason"] for r in reference.rejected] == [
        "missing_id",
        "missing_id",
        "missing_conversation_id",
        "missing_timestamp",
        "unknown_event_type",
        "unknown_event_type",
    ]
    assert sorted((e["event_id"], e["event_type"]) for e in reference.staged) == [
        ("e", "started"),
        ("f", "started"),
    ]


def test_copies_of_an_id_keep_the_earliest_and_an_invalid_copy_is_rejected() -> None:
    rows = [
        row("x", "c", "user_message", T0, {"turn": 1}),
        row("x", "c", "user_message", T0 - timedelta(seconds=5), {"turn": 2}),
        row("x", "c", "user_message", None, {"turn": 3}),
        row("y", "c", "started", T0.astimezone(timezone(timedelta(hours=-5)))),
    ]
    reference = compute(rows)
    assert reference.valid_row_count == 3
    assert [r["rejection_reason"] for r in reference.rejected] == ["missing_timestamp"]
    staged = {e["event_id"]: e for e in reference.staged}
    assert staged["x"]["turn"] == 2
    assert staged["y"]["event_at"] == datetime(2026, 10, 20, 9, 0)  # UTC, naive
    assert reference.ambiguities == []


def test_tied_copies_that_differ_are_reported_as_ambiguous() -> None:
    rows = [row("x", "c", "user_message", T0, {"turn": 1}), row("x", "c", "started", T0)]
    assert compute(rows).ambiguities


@pytest.mark.parametrize(
    ("metadata", "key", "value"),
    [
        ({"turn": 3}, "turn", 3),
        ({"turn": "3"}, "turn", None),
        ({"turn": " 4 "}, "turn", None),
        ({"turn": "three"}, "turn", None),
        ({"turn": 3.0}, "turn", None),
        ({"turn": "+2"}, "turn", None),
        ({"turn": 10**18}, "turn", None),
        ({"turn": True}, "turn", None),
        ({"latency_ms": "250.5"}, "latency_ms", None),
        ({"latency_ms": 12}, "latency_ms", 12.0),
        ({"latency_ms": ".5"}, "latency_ms", None),
        ({"latency_ms": "fast"}, "latency_ms", None),
        ('{"latency_ms": 1e3}', "latency_ms", 1000.0),
        ({"is_exact_repeat": "TRUE"}, "is_exact_repeat", None),
        ({"is_exact_repeat": True}, "is_exact_repeat", True),
        ({"is_exact_repeat": False}, "is_exact_repeat", False),
        ({"is_exact_repeat": "no"}, "is_exact_repeat", None),
        ({"is_exact_repeat": 1}, "is_exact_repeat", None),
        ({"channel": " web "}, "channel", "web"),
        ({"channel": "   "}, "channel", None),
        ({"channel": 5}, "channel", None),
        ({"rating": " Positive "}, "rating", "positive"),
        ({"status": "ERROR"}, "status", "error"),
    ],
)
def test_metadata_keys_read_their_type_or_null(metadata: Any, key: str, value: Any) -> None:
    parsed = parse_metadata(metadata)
    assert parsed.is_invalid is False
    assert parsed.values[key] == value
    assert type(parsed.values[key]) is type(value)


@pytest.mark.parametrize(
    ("metadata", "is_invalid"),
    [
        (None, False),
        ({}, False),
        ("null", False),
        ("  ", False),
        ('{"turn": 1}', False),
        ('{"turn": 1', True),
        ("[1, 2]", True),
        ('"text"', True),
        ("42", True),
        ('{"turn": 1,}', True),
        ('{"turn": NaN}', True),
        ("{'turn': 1}", True),
    ],
)
def test_metadata_is_invalid_when_present_but_not_an_object(
    metadata: Any, is_invalid: bool
) -> None:
    parsed = parse_metadata(metadata)
    assert parsed.is_invalid is is_invalid
    if is_invalid:
        assert not parsed.values


# --- sections 3 and 5 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("positive", "negative", "completed", "handoff", "turns", "score"),
    [
        (0, 0, True, False, 3, 1.0),
        (0, 0, True, True, 2, 1.0),
        (0, 0, True, False, 4, 0.7),
        (0, 0, False, True, 10, 0.3),
        (0, 0, False, False, 12, 0.0),
        (0, 0, False, False, 2, 0.5),
        (1, 1, False, False, 2, 0.5),
        (1, 0, False, False, 5, 0.8),
        (0, 1, False, True, 5, 0.15),
        (2, 2, False, True, 1, 0.46),
    ],
)
def test_satisfaction_follows_section_5(
    positive: int, negative: int, completed: bool, handoff: bool, turns: int, score: float
) -> None:
    actual = satisfaction_score(positive, negative, completed, handoff, turns, Vars())
    assert actual == pytest.approx(score, abs=1e-12)


def test_conversation_columns_follow_section_3() -> None:
    rows = [
        *conversation(
            "a",
            ("user_message", 0, {"turn": 1}),
            ("started", 10, {"agent_id": " ", "channel": "web"}),
            ("started", 20, {"agent_id": "agent-1"}),
            ("user_message", 30, {"turn": 2, "similarity_to_previous": 0.9}),
            ("user_message", 40, {"similarity_to_previous": 0.95, "is_exact_repeat": True}),
            ("abandoned", 50, {"abandoned_at_turn": "two"}),
            ("abandoned", 60, {"abandoned_at_turn": 1}),
            ("completed", 70, {}),
            ("completed", 80.5, {}),
            ("feedback_received", 90, {"rating": "NEGATIVE"}),
            ("feedback_received", 95, {"rating": "meh"}),
        ),
        row("late", "a", "started", T0 - timedelta(days=1), None, user_id="u-late"),
    ]
    a = fct(rows)["a"]
    assert a["user_id"] == "u-late"
    assert (a["agent_id"], a["channel"]) == ("agent-1", "web")
    assert a["started_at"] == datetime(2026, 10, 19, 9, 0)
    assert a["started_date"] == date(2026, 10, 19)
    assert a["completed_at"] == datetime(2026, 10, 20, 9, 1, 20, 500_000)
    assert a["duration_seconds"] == 86400 + 80.5
    assert (a["user_turns"], a["abandoned_at_turn"], a["rephrase_count"]) == (3, 3, 1)
    assert (a["positive_feedback_count"], a["negative_feedback_count"]) == (0, 1)
    assert a["unrecognised_feedback_count"] == 1
    assert a["outcome"] == "completed"
    assert a["satisfaction_score"] == pytest.approx(0.5)  # (1.0 quick + 0.0) / 2


def test_outcome_times_out_after_more_than_the_timeout() -> None:
    as_of = T0 + timedelta(hours=1)
    rows = [
        *conversation("exact", ("started", 1800, {})),
        *conversation("over", ("started", 1800 - 1e-6, {})),
        *conversation("abandoned", ("started", 0, {}), ("abandoned", 1, {})),
        row("r", "rejected", "typing", as_of + timedelta(days=1)),
        row("last", "last", "started", as_of),
    ]
    outcomes = {k: c["outcome"] for k, c in fct(rows).items()}
    assert outcomes == {
        "exact": "in_progress",
        "over": "timed_out",
        "abandoned": "abandoned",
        "last": "in_progress",
    }
    pinned = {k: c["outcome"] for k, c in fct(rows, as_of=as_of + timedelta(hours=1)).items()}
    assert pinned["last"] == "timed_out"


# --- sections 4, 6, 7 --------------------------------------------------------------------


def test_rounding_is_half_away_from_zero_and_knows_its_ties() -> None:
    assert round_half_away(0.25, 1) == 0.3
    assert round_half_away(-0.25, 1) == -0.3
    assert round_half_away(2.5, 0) == 3.0
    assert Rounded(Fraction(4025, 10000), 3).candidates() == {0.402, 0.403}
    assert Rounded(Fraction(4024, 10000), 3).candidates() == {0.402}


def test_daily_rates_and_drop_off() -> None:
    rows = [
        *conversation("a", ("started", 0, {"agent_id": "x", "channel": "web"}),
                      ("user_message", 1, {}), ("completed", 11, {})),
        *conversation("b", ("started", 2, {"agent_id": "x", "channel": "web"}),
                      ("user_message", 3, {}), ("user_message", 4, {}),
                      ("abandoned", 5, {"abandoned_at_turn": 2})),
        *conversation("c", ("started", 6, {"agent_id": "x", "channel": "web"}),
                      ("abandoned", 7, {"abandoned_at_turn": 5})),
    ]  # fmt: skip
    reference = compute(rows)
    (daily,) = reference.marts["conversation_metrics_daily"]
    assert (daily["total_conversations"], daily["completed_conversations"]) == (3, 1)
    assert daily["completion_rate"].value == 33.3
    assert daily["abandonment_rate"].value == 66.7
    assert daily["avg_turns"].value == 1.0
    assert daily["avg_duration_seconds"].value == 11.0
    assert daily["sum_duration_seconds"] == 11.0
    drop_off = [
        (r["abandon_turn"], r["abandon_count"], r["conversations_reaching_turn"])
        for r in reference.marts["conversation_drop_off"]
    ]
    assert drop_off == [(2, 1, 1), (5, 1, 0)]


def _week(agent: str, monday: datetime, total: int, completed: int) -> list[RawRow]:
    rows = []
    for n in range(total):
        events = [("started", n * 60, {"agent_id": agent})]
        if n < completed:
            events.append(("completed", n * 60 + 1, {}))
        shift = monday - T0
        rows += [
            RawRow(r.id, r.conversation_id, None, r.event_type, r.timestamp + shift, r.metadata)
            for r in conversation(f"{agent}-{monday.date()}-{n}", *events)
        ]
    return rows


@pytest.mark.parametrize(
    ("previous", "current", "alert"),
    [
        ((20, 20), (20, 19), True),  # exactly 5 points, 20 and 20 conversations
        ((30, 8), (60, 13), True),  # 26.67% to 21.67%: exactly 5 points
        ((19, 19), (20, 0), False),  # too few conversations the week before
        ((20, 20), (21, 20), False),  # a fall of 4.76 points
    ],
)
def test_weekly_alert_at_the_threshold(
    previous: tuple[int, int], current: tuple[int, int], alert: bool
) -> None:
    monday = datetime(2026, 10, 19, 8, tzinfo=UTC)
    rows = _week("a", monday - timedelta(days=7), *previous) + _week("a", monday, *current)
    weeks = compute(rows, Vars(alert_rule="points")).marts["agent_performance_weekly"]
    assert [w["week_start"] for w in weeks] == [date(2026, 10, 12), date(2026, 10, 19)]
    first, second = weeks
    assert first["previous_completion_rate"] is None and first["completion_rate_alert"] is False
    assert second["previous_total_conversations"] == previous[0]
    change = 100 * (current[1] / current[0] - previous[1] / previous[0])
    assert second["completion_rate_change_points"].value == pytest.approx(round(change, 1))
    assert second["completion_rate_alert"] is alert


def test_summary_windows_are_open_at_the_start() -> None:
    as_of = T0
    rows = [
        row("a", "a", "started", as_of - timedelta(days=7)),
        row("b", "b", "started", as_of - timedelta(days=7) + timedelta(microseconds=1)),
        row("c", "c", "abandoned", as_of),
    ]
    summary = {s["window_days"]: s for s in compute(rows).marts["conversation_summary"]}
    assert summary[7]["total_conversations"] == 2
    assert summary[28]["total_conversations"] == 3
    assert summary[7]["window_start_at"] == datetime(2026, 10, 13, 9, 0)
    top = compute(rows).marts["abandon_turns_top"]
    assert [(t["window_days"], t["abandon_turn"], t["abandon_count"]) for t in top] == [
        (7, 0, 1),
        (28, 0, 1),
    ]
