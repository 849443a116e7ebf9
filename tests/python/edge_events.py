"""Hand-made raw rows for the whole-pipeline tests: the edge cases of the
event contract and the metric definitions (docs/event-contract.md,
docs/metric-definitions.md) that a simulated stream hits rarely or never.

`edge_case_events` holds only cases those documents decide (and that no tie
makes ambiguous), so the marts must match `spec_reference` on them exactly.
`disputed_events` holds the cases on which the models were found to disagree
with the documented definitions or with each other (see the tests that use it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation.simulator import simulate

# The simulated stream the whole-pipeline tests start from.
SIMULATION_START = date(2026, 10, 5)
SIMULATION_DAYS = 28

MICROSECOND = timedelta(microseconds=1)

# The hand-made agent whose completion rate falls by exactly the alert
# threshold, and the Monday of the week it falls.
ALERT_AGENT = "edge-alert-agent"
ALERT_WEEK = date(2026, 10, 19)
# The hand-made agent whose fall in that week is also significant (30 of 30
# completed, then 10 of 30): the one alert of the default rule.
SIGNIFICANT_ALERT_AGENT = "edge-significant-agent"
# The hand-made agent whose conversations average a satisfaction exactly
# halfway between two rounded values (see `disputed_events`).
TIE_AGENT = "dispute-tie-agent"


def _event(
    conversation_id: str | None,
    event_type: str | None,
    at: datetime | None,
    metadata: dict[str, Any] | str | None = None,
    *,
    event_id: str | None = None,
    user_id: str | None = "edge-user",
) -> EventRecord:
    return EventRecord(
        conversation_id=conversation_id,  # type: ignore[arg-type]
        user_id=user_id,
        event_type=event_type,  # type: ignore[arg-type]
        timestamp=at,
        metadata=metadata,
        id=event_id if event_id is not None else f"{conversation_id}/{event_type}/{at}",
    )


class _Conversation:
    """Builds one conversation's rows with increasing, distinct timestamps."""

    def __init__(self, conversation_id: str, start: datetime, user_id: str | None = "edge-user"):
        self.conversation_id = conversation_id
        self.at = start
        self.user_id = user_id
        self.rows: list[EventRecord] = []
        self.count = 0

    def add(
        self,
        event_type: str,
        metadata: dict[str, Any] | str | None = None,
        *,
        after: timedelta = timedelta(seconds=10),
        at: datetime | None = None,
        user_id: str | None | bool = True,
        event_id: str | None = None,
    ) -> _Conversation:
        self.at = at if at is not None else self.at + after
        self.count += 1
        self.rows.append(
            _event(
                self.conversation_id,
                event_type,
                self.at,
                metadata,
                event_id=event_id or f"{self.conversation_id}-{self.count:02d}",
                user_id=self.user_id if user_id is True else user_id,  # type: ignore[arg-type]
            )
        )
        return self


def _messages(conversation: _Conversation, turns: int) -> _Conversation:
    for turn in range(1, turns + 1):
        conversation.add("user_message", {"turn": turn, "message_length": 40 + turn})
        conversation.add("agent_response", {"turn": turn, "model": "edge-model"})
    return conversation


def edge_case_events(as_of: datetime, metadata_type: str = "json") -> list[EventRecord]:
    """Rows around `as_of` (the as-of time the build will use, UTC) and the
    weeks before it. With `metadata_type="text"` they include blank metadata
    text, which a text column keeps as it is."""
    base = as_of - timedelta(days=3, hours=5)
    rows: list[EventRecord] = []

    # One id delivered valid and invalid: staged once, rejected once (twice
    # here: no timestamp, and an unknown type); another delivered twice, the
    # later-arriving copy being the earlier one.
    dup = _Conversation("edge-dup", base)
    dup.add("started", {"channel": "web", "agent_id": "edge-agent"}, event_id="edge-dup-started")
    rows.append(_event("edge-dup", "started", None, {}, event_id="edge-dup-started"))
    rows.append(_event("edge-dup", "typing_indicator", base, {}, event_id="edge-dup-started"))
    dup.add("user_message", {"turn": 1, "message_length": 10}, event_id="edge-dup-msg")
    dup.add("completed", {"total_turns": 1})
    rows += dup.rows
    rows.append(
        _event(
            "edge-dup",
            "user_message",
            base + timedelta(seconds=5),
            {"turn": 1, "message_length": 99},
            event_id="edge-dup-msg",
        )
    )

    # Rows rejected for each reason, the first that applies.
    at = base + timedelta(minutes=1)
    rows += [
        _event("edge-dup", "started", at, {}, event_id=""),
        _event("edge-dup", "started", at, {}, event_id="   "),
        _event(None, "started", at, {}, event_id=None),
        _event("  ", "started", at, {}, event_id="edge-no-conversation-1"),
        _event(None, None, None, None, event_id="edge-no-conversation-2"),
        _event("edge-dup", "bogus", None, {}, event_id="edge-no-timestamp"),
        _event("edge-dup", None, at, {}, event_id="edge-null-type"),
        _event("edge-dup", "", at, {}, event_id="edge-blank-type"),
        _event("edge-dup", "started_", at, {}, event_id="edge-odd-type"),
    ]

    # Odd-case event types.
    rows += (
        _Conversation("edge-case", base + timedelta(minutes=2))
        .add(" STARTED ", {"channel": "mobile", "agent_id": "edge-agent"})
        .add("User_Message", {"turn": 1})
        .add("agent_RESPONSE  ", {"turn": 1, "model": "edge-model"})
        .add("  Completed", {"total_turns": 1})
        .rows
    )

    # Non-UTC offsets: local Monday, UTC Sunday (another day and week).
    india, chicago, tokyo = (timezone(timedelta(hours=h)) for h in (5.5, -5, 9))
    rows += [
        _event(
            "edge-tz",
            "started",
            datetime(2026, 10, 19, 2, 30, tzinfo=india),
            {"channel": "web", "agent_id": "edge-agent"},
            event_id="edge-tz-1",
        ),
        _event(
            "edge-tz",
            "user_message",
            datetime(2026, 10, 18, 16, 5, tzinfo=chicago),
            {"turn": 1},
            event_id="edge-tz-2",
        ),
        _event(
            "edge-tz",
            "completed",
            datetime(2026, 10, 19, 6, 10, 0, 250_000, tzinfo=tokyo),
            {"total_turns": 1},
            event_id="edge-tz-3",
        ),
    ]

    # Wrong-typed and oddly typed keys.
    rows += (
        _Conversation("edge-types", base + timedelta(minutes=3))
        .add("started", {"channel": "  ", "agent_id": "   "})
        .add("user_message", {"turn": "three", "similarity_to_previous": "high"})
        .add(
            "user_message", {"turn": "2", "similarity_to_previous": "0.9", "is_exact_repeat": "no"}
        )
        .add("user_message", {"turn": 3, "similarity_to_previous": 0.95, "is_exact_repeat": "TRUE"})
        .add(
            "user_message",
            {"turn": " 4 ", "similarity_to_previous": "0.86 ", "is_exact_repeat": False},
        )
        .add("user_message", {"turn": "+5", "similarity_to_previous": 0.85})
        .add(
            "agent_response",
            {
                "turn": 3.5,
                "latency_ms": "fast",
                "model": "edge-model",
                "input_tokens": "12",
                "output_tokens": 1.5,
            },
        )
        .add(
            "agent_response",
            {
                "latency_ms": "250.5",
                "model": " edge-model ",
                "input_tokens": 10,
                "output_tokens": "x",
            },
        )
        .add("agent_response", '{"model": "edge-model", "latency_ms": 1e3, "turn": -2}')
        .add("tool_called", {"tool_name": "  ", "status": "ERROR"})
        .add("tool_called", {"tool_name": "edge-tool", "status": " Error ", "turn": "1.0"})
        .add("handoff_requested", {"reason": "x", "agent_id": "edge-late-agent", "channel": "sms"})
        .add("abandoned", {"abandoned_at_turn": "second"})
        .add("abandoned", {"abandoned_at_turn": 1})
        .add("feedback_received", {"rating": " Positive "})
        .add("feedback_received", {"rating": "NEGATIVE "})
        .add("feedback_received", {"rating": "meh"})
        .add("feedback_received", {})
        .rows
    )

    # Malformed metadata: kept, flagged, its keys null; JSON null is absent.
    bad = (
        _Conversation("edge-bad-metadata", base + timedelta(minutes=4))
        .add("started", '{"channel": "web", "agent_id": "edge-ag')
        .add("user_message", "[1, 2]")
        .add("agent_response", '"just text"')
        .add("user_message", "42")
        .add("tool_called", "{'tool_name': 'x'}")
        .add("user_message", "null")
        .add("agent_response", None)
        .add("abandoned", "not json at all")
    )
    if metadata_type == "text":
        bad.add("feedback_received", "")
        bad.add("feedback_received", "   ")
    rows += bad.rows

    # Satisfaction rules.
    quick_handoff = _messages(_Conversation("edge-quick-handoff", base + timedelta(minutes=5)), 2)
    rows += (
        quick_handoff.add("handoff_requested", {"reason": "x"})
        .add("completed", {})
        .add("feedback_received", {"rating": "negative"})
        .rows
    )
    rows += _messages(_Conversation("edge-long", base + timedelta(minutes=6)), 12).rows
    long_liked = _messages(_Conversation("edge-long-liked", base + timedelta(minutes=7)), 12)
    rows += long_liked.add("feedback_received", {"rating": "positive"}).rows
    rows += (
        _Conversation("edge-zero-turns", base + timedelta(minutes=8))
        .add("started", {"agent_id": "edge-agent", "channel": "web"})
        .add("completed", {})
        .rows
    )
    rows += _messages(_Conversation("edge-two-turns", base + timedelta(minutes=9)), 2).rows
    handoff_long = _messages(_Conversation("edge-handoff-long", base + timedelta(minutes=10)), 5)
    rows += handoff_long.add("handoff_requested", {}).add("completed", {}).rows

    # Drop-off: an abandon turn beyond the messages seen, and turn 0.
    beyond = _messages(_Conversation("edge-abandon-beyond", base + timedelta(minutes=11)), 2)
    rows += beyond.add("abandoned", {"abandoned_at_turn": 7}).rows
    rows += (
        _Conversation("edge-abandon-zero", base + timedelta(minutes=12))
        .add("started", {"agent_id": "edge-agent", "channel": "web"})
        .add("abandoned", {"abandoned_at_turn": 0})
        .rows
    )

    # The user of the first event that has one; a conversation with no
    # started event; a conversation completed twice and abandoned between.
    user = _Conversation("edge-user", base + timedelta(minutes=13), user_id=None)
    user.add("started", {"agent_id": "edge-agent", "channel": "web"})
    user.add("user_message", {"turn": 1}, user_id="  ")
    user.add("agent_response", {"turn": 1}, user_id="edge-user-3")
    user.add("completed", {}, user_id="edge-user-4")
    rows += user.rows
    rows += (
        _Conversation("edge-no-start", base + timedelta(minutes=14))
        .add("user_message", {"turn": 1, "channel": "email"})
        .add("completed", {}, after=timedelta(seconds=100.5))
        .rows
    )
    rows += (
        _Conversation("edge-terminals", base + timedelta(minutes=15))
        .add("started", {"agent_id": "edge-agent", "channel": "web"})
        .add("completed", {})
        .add("abandoned", {"abandoned_at_turn": 3})
        .add("completed", {})
        .rows
    )

    # The as-of time: the last staged event is exactly `as_of` (rejected rows
    # later than that do not count); the timeout is "more than" 30 minutes;
    # windows are (as-of minus N days, as-of].
    rows += (
        _Conversation("edge-last", as_of - timedelta(seconds=20))
        .add("started", {"agent_id": "edge-agent", "channel": "web"}, at=as_of)
        .rows
    )
    rows.append(_event("edge-last", "typing_indicator", as_of + timedelta(days=1), {}))
    rows.append(
        _event("", "started", as_of + timedelta(days=2), {}, event_id="edge-late-no-conversation")
    )
    for name, last in (
        ("edge-timeout-exact", as_of - timedelta(minutes=30)),
        ("edge-timeout-over", as_of - timedelta(minutes=30) - MICROSECOND),
    ):
        rows += (
            _Conversation(name, last - timedelta(minutes=5))
            .add("started", {"agent_id": "edge-agent", "channel": "web"}, at=last)
            .rows
        )
    for name, start in (
        ("edge-window-7-out", as_of - timedelta(days=7)),
        ("edge-window-7-in", as_of - timedelta(days=7) + MICROSECOND),
        ("edge-window-28-out", as_of - timedelta(days=28)),
    ):
        rows += (
            _Conversation(name, start)
            .add("started", {"agent_id": "edge-agent", "channel": "web"}, at=start)
            .add("abandoned", {"abandoned_at_turn": 9}, after=timedelta(minutes=2))
            .rows
        )

    rows += _alert_conversations()
    return rows


def _alert_conversations() -> list[EventRecord]:
    """Week-over-week alerts at the thresholds: a fall of exactly 5 points
    with enough conversations (alert by points, not significant), with 19
    the week before (none), a fall of 4.76 points (none), and a significant
    fall (alert by either rule)."""
    plans = [
        # (agent, week, conversations, completed)
        (SIGNIFICANT_ALERT_AGENT, ALERT_WEEK - timedelta(days=7), 30, 30),
        (SIGNIFICANT_ALERT_AGENT, ALERT_WEEK, 30, 10),
        (ALERT_AGENT, ALERT_WEEK - timedelta(days=7), 30, 8),
        (ALERT_AGENT, ALERT_WEEK, 60, 13),
        ("edge-exact-agent", ALERT_WEEK - timedelta(days=7), 20, 20),
        ("edge-exact-agent", ALERT_WEEK, 20, 19),
        ("edge-small-agent", ALERT_WEEK - timedelta(days=7), 19, 19),
        ("edge-small-agent", ALERT_WEEK, 20, 0),
        ("edge-under-agent", ALERT_WEEK - timedelta(days=7), 20, 20),
        ("edge-under-agent", ALERT_WEEK, 21, 20),
    ]
    rows = []
    for agent, week, total, completed in plans:
        monday = datetime(week.year, week.month, week.day, 8, tzinfo=UTC)
        for n in range(total):
            conversation = _Conversation(f"{agent}-{week}-{n:02d}", monday)
            conversation.add(
                "started",
                {"agent_id": agent, "channel": "web"},
                at=monday + timedelta(hours=(n % 5) * 24 + 1, minutes=n),
            )
            if n < completed:
                conversation.add("completed", {})
            rows += conversation.rows
    return rows


def messy_events(
    conversations: int,
    seed: int,
    *,
    as_of: datetime | None = None,
    metadata_type: str = "json",
) -> tuple[list[EventRecord], datetime]:
    """A simulated stream with every fault kind plus `edge_case_events`, and
    the as-of time they are built for: `as_of`, else one hour after the last
    simulated timestamp (which the stream's last staged event then carries,
    so the default as-of rule lands on it)."""
    events = simulate(conversations, SIMULATION_START, SIMULATION_DAYS, seed, faults=True)
    if as_of is None:
        latest = max(e.timestamp for e in events if e.timestamp is not None)
        as_of = latest.astimezone(UTC).replace(microsecond=0, tzinfo=None) + timedelta(hours=1)
    aware = as_of.replace(tzinfo=UTC)
    return [*events, *edge_case_events(aware, metadata_type)], as_of


def disputed_events() -> list[EventRecord]:
    """Rows on which the models were found to disagree with the documented
    definitions or with each other. Each conversation is one case; load with text metadata."""
    at = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    rows: list[EventRecord] = []
    rows += (
        _Conversation("dispute-text-keys", at)
        .add("started", {"agent_id": 42, "channel": True})
        .add("tool_called", {"tool_name": ["lookup"], "status": "ok"})
        .add("agent_response", {"model": {"name": "edge-model"}})
        .add("feedback_received", {"rating": 5})
        .rows
    )
    rows += (
        _Conversation("dispute-lenient-json", at)
        .add("started", '{"agent_id": "edge-agent", "channel": "web",}')
        .add("user_message", '{"turn": 1, "similarity_to_previous": NaN}')
        .rows
    )
    rows += (
        _Conversation("dispute-exponent", at)
        .add("user_message", '{"turn": 1e2}')
        .add("agent_response", '{"latency_ms": 1e40}')
        .rows
    )
    rows += (
        _Conversation("dispute-duplicate-key", at)
        .add("user_message", '{"turn": 1, "turn": 2}')
        .rows
    )
    rows += _Conversation("dispute-padded-null", at).add("agent_response", "\n null\n").rows
    # Four conversations of one day, agent and channel whose satisfaction
    # scores, 0, 1, 0.15 and 0.46, average exactly 0.4025.
    tie = {"agent_id": TIE_AGENT, "channel": "web"}
    for n, (handoff, ratings) in enumerate(
        [
            (False, ["negative"]),
            (False, ["positive"]),
            (True, ["negative"]),
            (True, ["positive", "positive", "negative", "negative"]),
        ]
    ):
        conversation = _Conversation(f"dispute-tie-{n}", at + timedelta(hours=1, minutes=n))
        conversation.add("started", tie)
        if handoff:
            conversation.add("handoff_requested", {})
        for rating in ratings:
            conversation.add("feedback_received", {"rating": rating})
        rows += conversation.rows
    return rows
