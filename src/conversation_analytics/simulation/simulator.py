"""Simulated conversation events: realistic, messy, deterministic under a seed.

`run_simulation` plays a month (or any range) of conversations between users and
a handful of AI agents, emits the raw events of docs/event-contract.md, and then, unless
`faults=False`, damages them the way at-least-once trackers do in production
(duplicates, late rows, broken metadata, missing keys, ...). Every fault kind is
named in `FAULT_KINDS` and counted in `SimulationResult.fault_counts`, so tests
can prove the models survive each one.

The shape of the data:

- four agents with their own models, tools and base completion rates; one of
  them (`DEGRADED_AGENT`) loses ~25 points of completion rate in one week
  (`SimulationResult.degraded_week_start`), for the week-over-week alert;
- conversation starts spread over the days with a business-hours shape (UTC)
  and quieter weekends; seconds to minutes between events;
- ~68% completed, ~17% abandoned, the rest with no terminal event (timed out,
  plus a few still in progress at the end of the data); ~8% hand-offs; ~25%
  with explicit feedback, some of it oddly cased or unrecognised.

Generation is one function (`_generate_clean`) over plain Python objects, so a
vectorised generator can replace it without touching the fault injection or the
JSONL format.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from conversation_analytics.contract import EVENT_TYPES, EventRecord

# --- the simulated world ------------------------------------------------------


@dataclass(frozen=True)
class AgentProfile:
    """One simulated agent: how often it is used and how well it does."""

    agent_id: str
    weight: float
    models: tuple[tuple[str, float], ...]
    tools: tuple[str, ...]
    completion_rate: float
    abandonment_rate: float


AGENTS: tuple[AgentProfile, ...] = (
    AgentProfile(
        "billing-assistant", 0.30, (("gpt-4o", 0.7), ("gpt-4o-mini", 0.3)),
        ("lookup_order", "issue_refund", "search_kb"), 0.70, 0.15,
    ),
    AgentProfile(
        "tech-support", 0.30, (("claude-sonnet-4", 0.6), ("gpt-4o", 0.4)),
        ("search_kb", "create_ticket", "reset_password"), 0.66, 0.18,
    ),
    AgentProfile(
        "onboarding-guide", 0.20, (("gpt-4o-mini", 0.6), ("llama-3.1-70b", 0.4)),
        ("search_kb", "reset_password"), 0.72, 0.15,
    ),
    AgentProfile(
        "returns-bot", 0.20, (("llama-3.1-70b", 0.55), ("gpt-4o-mini", 0.45)),
        ("lookup_order", "issue_refund", "create_ticket"), 0.68, 0.17,
    ),
)
AGENT_IDS: tuple[str, ...] = tuple(a.agent_id for a in AGENTS)
CHANNELS: tuple[tuple[str, float], ...] = (
    ("web", 0.50), ("mobile", 0.25), ("slack", 0.15), ("email", 0.10),
)
MODELS: tuple[str, ...] = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "llama-3.1-70b")
TOOLS: tuple[str, ...] = (
    "search_kb", "lookup_order", "create_ticket", "issue_refund", "reset_password",
)
HANDOFF_REASONS: tuple[str, ...] = (
    "user_requested_human", "low_confidence", "policy_escalation", "repeated_failure",
)

# The agent whose completion rate drops in one week, and by how much.
DEGRADED_AGENT = "tech-support"
DEGRADED_COMPLETION_DROP = 0.25

HANDOFF_RATE = 0.08
FEEDBACK_RATE = 0.25
TOOL_CALL_RATE = 0.35
TOOL_ERROR_RATE = 0.05
REPHRASE_RATE = 0.08
REPHRASE_RATE_WHEN_STRUGGLING = 0.25
EXACT_REPEAT_RATE = 0.01
ODD_RATING_RATE = 0.08
UNRECOGNISED_RATING_RATE = 0.02

_MODEL_LATENCY_MS = {
    "gpt-4o": 1400.0, "gpt-4o-mini": 650.0, "claude-sonnet-4": 1600.0, "llama-3.1-70b": 900.0,
}
# Relative conversation starts per UTC hour: a working day, quiet nights.
_HOUR_WEIGHTS = (
    0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.4, 1.9, 2.1, 2.1,
    1.9, 2.0, 2.1, 2.0, 1.8, 1.4, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3,
)
_WEEKEND_WEIGHT = 0.6
_COMPLETED_TURN_WEIGHTS = (0.22, 0.26, 0.20, 0.13, 0.08, 0.05, 0.04, 0.02)
_ABANDONED_TURN_WEIGHTS = (0.35, 0.25, 0.16, 0.10, 0.07, 0.04, 0.03)
_OPEN_TURN_WEIGHTS = (0.35, 0.30, 0.20, 0.10, 0.05)
_ODD_RATINGS = {
    "positive": (" Positive ", "POSITIVE", "Positive", "positive "),
    "negative": (" Negative", "NEGATIVE ", "Negative", " negative "),
}
_UNRECOGNISED_RATINGS = ("meh", "neutral", "3/5")

# --- faults -------------------------------------------------------------------

FAULT_KINDS: tuple[str, ...] = (
    "duplicate_delivery",
    "out_of_order",
    "missing_started",
    "unknown_event_type",
    "odd_case_event_type",
    "missing_id",
    "missing_conversation_id",
    "missing_timestamp",
    "malformed_metadata",
    "wrong_typed_metadata",
    "non_utc_offset",
    "null_user_id",
)

FAULT_DESCRIPTIONS: dict[str, str] = {
    "duplicate_delivery": "rows delivered a second time: same id, identical payload",
    "out_of_order": "rows delivered late, after events that happened later",
    "missing_started": "conversations whose `started` event never arrived",
    "unknown_event_type": "extra rows with event_type 'typing_indicator', '' or '   '",
    "odd_case_event_type": "rows whose event_type has odd case or spaces (' User_Message ')",
    "missing_id": "rows whose id is null or blank text",
    "missing_conversation_id": "rows whose conversation_id is null or blank text",
    "missing_timestamp": "rows whose timestamp is null",
    "malformed_metadata": "rows whose metadata is truncated JSON, a JSON array or a JSON string",
    "wrong_typed_metadata": "rows with a metadata value of the wrong type ('turn': 'three')",
    "non_utc_offset": "rows whose timestamp is written with a non-UTC offset (same instant)",
    "null_user_id": "rows with a null user_id (anonymous conversations and lost users)",
}

# Share of the eligible rows (or conversations) each fault hits; at least one
# of each kind is injected whenever there is something to inject it into.
FAULT_RATES: dict[str, float] = {
    "duplicate_delivery": 0.015,
    "out_of_order": 0.02,
    "missing_started": 0.02,
    "unknown_event_type": 0.03,
    "odd_case_event_type": 0.01,
    "missing_id": 0.003,
    "missing_conversation_id": 0.003,
    "missing_timestamp": 0.003,
    "malformed_metadata": 0.004,
    "wrong_typed_metadata": 0.004,
    "non_utc_offset": 0.02,
    "null_user_id": 0.01,
}

_UNKNOWN_EVENT_TYPES = ("typing_indicator", "typing_indicator", "", "   ")
_OFFSETS = tuple(
    timezone(timedelta(minutes=m)) for m in (120, -300, 330, 540, -180, 60)
)
_WRONG_TYPED_VALUES: dict[str, Any] = {
    "turn": "three",
    "latency_ms": "fast",
    "message_length": "long",
    "response_length": "short",
    "similarity_to_previous": "high",
    "is_exact_repeat": "no",
    "input_tokens": "n/a",
    "total_turns": "many",
    "abandoned_at_turn": "second",
}
_MISSING_TEXT = (None, "", "   ")


# --- results --------------------------------------------------------------------


@dataclass
class SimulationResult:
    """The events of one simulation and what went into them."""

    events: list[EventRecord]
    conversations: int
    start_date: date
    days: int
    seed: int
    faults: bool
    fault_counts: dict[str, int] = field(default_factory=dict)
    outcome_counts: dict[str, int] = field(default_factory=dict)
    degraded_agent: str | None = None
    degraded_week_start: date | None = None

    def summary(self) -> str:
        """A few human-readable lines: volumes, outcomes, faults."""
        end = self.start_date + timedelta(days=self.days - 1)
        lines = [
            f"{len(self.events):,} events for {self.conversations:,} conversations, "
            f"{self.start_date.isoformat()} to {end.isoformat()} (seed {self.seed})",
            "planned outcomes: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcome_counts.items())),
        ]
        if self.degraded_week_start is not None:
            lines.append(
                f"degraded agent: {self.degraded_agent} in the week of "
                f"{self.degraded_week_start.isoformat()}"
            )
        if self.faults:
            lines.append("faults injected:")
            width = max(len(k) for k in FAULT_KINDS)
            lines += [
                f"  {kind:<{width}}  {self.fault_counts.get(kind, 0):>7,}" for kind in FAULT_KINDS
            ]
        else:
            lines.append("faults: none (--no-faults)")
        return "\n".join(lines)


@dataclass(slots=True)
class _Plan:
    """What one conversation will do, decided before its events are written."""

    conversation_id: str
    user_id: str | None
    agent: AgentProfile
    channel: str
    model: str
    start: float
    outcome: str
    user_turns: int
    handoff: bool
    rating: str | None
    emit_started: bool = True
    noise_rows: int = 0


# --- public API -------------------------------------------------------------------


def simulate(
    conversations: int,
    start_date: date,
    days: int,
    seed: int,
    faults: bool = True,
) -> list[EventRecord]:
    """The events of `run_simulation`, in delivery order."""
    return run_simulation(conversations, start_date, days, seed, faults).events


def run_simulation(
    conversations: int,
    start_date: date,
    days: int,
    seed: int,
    faults: bool = True,
) -> SimulationResult:
    """Simulate `conversations` conversations starting over `days` days from
    `start_date` (UTC). The same arguments always give the same rows in the same
    order. Events come out in delivery order: timestamp order, except for the
    late and duplicated rows when `faults` is on."""
    if conversations < 0:
        raise ValueError("conversations must be zero or more")
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = random.Random(seed)
    week = degraded_week_start(start_date, days)
    plans = _plan_conversations(rng, conversations, start_date, days, week, faults)
    events, keys = _generate_clean(rng, plans, conversations)
    counts = dict.fromkeys(FAULT_KINDS, 0)
    if faults:
        counts["missing_started"] = sum(1 for p in plans if not p.emit_started)
        counts["unknown_event_type"] = sum(p.noise_rows for p in plans)
        _inject_row_faults(rng, events, keys, counts)
    order = sorted(range(len(events)), key=keys.__getitem__)
    outcomes = Counter(p.outcome for p in plans)
    return SimulationResult(
        events=[events[i] for i in order],
        conversations=conversations,
        start_date=start_date,
        days=days,
        seed=seed,
        faults=faults,
        fault_counts=counts,
        outcome_counts=dict(outcomes),
        degraded_agent=DEGRADED_AGENT if week is not None else None,
        degraded_week_start=week,
    )


def degraded_week_start(start_date: date, days: int) -> date | None:
    """The Monday of the week in which `DEGRADED_AGENT` degrades: the last full
    week of the range whose previous week also lies in the range; else the
    week of the last day, when the range reaches into a second week."""
    end = start_date + timedelta(days=days)
    mondays = [
        start_date + timedelta(days=i)
        for i in range(days)
        if (start_date + timedelta(days=i)).weekday() == 0
    ]
    week = timedelta(days=7)
    full = [m for m in mondays if m + week <= end and m - week >= start_date]
    if full:
        return full[-1]
    last_day = end - timedelta(days=1)
    last_monday = last_day - timedelta(days=last_day.weekday())
    return last_monday if last_monday > start_date else None


# --- planning -----------------------------------------------------------------------


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (deterministic under its seed)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _plan_conversations(
    rng: random.Random,
    conversations: int,
    start_date: date,
    days: int,
    degraded_week: date | None,
    faults: bool,
) -> list[_Plan]:
    """Decide every conversation's agent, start, outcome and length."""
    day_dates = [start_date + timedelta(days=i) for i in range(days)]
    day_cum = _cumulative(_WEEKEND_WEIGHT if d.weekday() >= 5 else 1.0 for d in day_dates)
    day_epochs = [
        datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() for d in day_dates
    ]
    hour_cum = _cumulative(_HOUR_WEIGHTS)
    agent_cum = _cumulative(a.weight for a in AGENTS)
    channel_cum = _cumulative(w for _, w in CHANNELS)
    users = [f"user-{i:05d}" for i in range(max(20, conversations // 3))]
    degraded_from = degraded_to = None
    if degraded_week is not None:
        degraded_from = datetime(
            degraded_week.year, degraded_week.month, degraded_week.day, tzinfo=UTC
        ).timestamp()
        degraded_to = degraded_from + 7 * 86400
    plans = []
    for _ in range(conversations):
        day = rng.choices(range(days), cum_weights=day_cum)[0]
        hour = rng.choices(range(24), cum_weights=hour_cum)[0]
        start = day_epochs[day] + hour * 3600 + rng.random() * 3600
        agent = rng.choices(AGENTS, cum_weights=agent_cum)[0]
        degraded = (
            degraded_from is not None
            and agent.agent_id == DEGRADED_AGENT
            and degraded_from <= start < degraded_to
        )
        outcome = _draw_outcome(rng, agent, degraded)
        plans.append(
            _make_plan(rng, agent, start, outcome, users, channel_cum, faults)
        )
    return plans


def _draw_outcome(rng: random.Random, agent: AgentProfile, degraded: bool) -> str:
    completion, abandonment = agent.completion_rate, agent.abandonment_rate
    if degraded:
        completion -= DEGRADED_COMPLETION_DROP
        abandonment += DEGRADED_COMPLETION_DROP * 0.8
    draw = rng.random()
    if draw < completion:
        return "completed"
    if draw < completion + abandonment:
        return "abandoned"
    return "timed_out"


def _make_plan(
    rng: random.Random,
    agent: AgentProfile,
    start: float,
    outcome: str,
    users: list[str],
    channel_cum: list[float],
    faults: bool,
) -> _Plan:
    weights = {
        "completed": _COMPLETED_TURN_WEIGHTS,
        "abandoned": _ABANDONED_TURN_WEIGHTS,
    }.get(outcome, _OPEN_TURN_WEIGHTS)
    turns = rng.choices(range(1, len(weights) + 1), weights=weights)[0]
    handoff_rate = HANDOFF_RATE * (1.6 if outcome == "abandoned" else 0.85)
    models, model_weights = zip(*agent.models, strict=True)
    plan = _Plan(
        conversation_id=_uuid(rng),
        user_id=rng.choice(users),
        agent=agent,
        channel=rng.choices(CHANNELS, cum_weights=channel_cum)[0][0],
        model=rng.choices(models, weights=model_weights)[0],
        start=start,
        outcome=outcome,
        user_turns=turns,
        handoff=rng.random() < handoff_rate,
        rating=None,
    )
    if rng.random() < FEEDBACK_RATE:
        plan.rating = _draw_rating(rng, plan)
    if faults:
        plan.emit_started = rng.random() >= FAULT_RATES["missing_started"]
        plan.noise_rows = int(rng.random() < FAULT_RATES["unknown_event_type"])
        if rng.random() < FAULT_RATES["null_user_id"] / 2:
            plan.user_id = None
    return plan


def _draw_rating(rng: random.Random, plan: _Plan) -> str:
    if rng.random() < UNRECOGNISED_RATING_RATE:
        return rng.choice(_UNRECOGNISED_RATINGS)
    p_positive = {"completed": 0.8, "abandoned": 0.2}.get(plan.outcome, 0.5)
    if plan.handoff:
        p_positive -= 0.3
    rating = "positive" if rng.random() < p_positive else "negative"
    if rng.random() < ODD_RATING_RATE:
        return rng.choice(_ODD_RATINGS[rating])
    return rating


# --- clean generation -------------------------------------------------------------


def _generate_clean(
    rng: random.Random, plans: list[_Plan], conversations: int
) -> tuple[list[EventRecord], list[float]]:
    """Every planned conversation's events, plus a few conversations still in
    progress at the end of the data. Returns the events and, per event, its
    delivery key (the epoch seconds it reaches the warehouse)."""
    events: list[EventRecord] = []
    keys: list[float] = []
    open_count = min(len(plans), max(1, conversations // 200)) if conversations >= 10 else 0
    regular = plans[: len(plans) - open_count]
    for plan in regular:
        _emit_conversation(rng, plan, events, keys)
    latest = max(keys, default=0.0)
    for plan in plans[len(regular):]:
        plan.outcome = "in_progress"
        plan.user_turns = min(plan.user_turns, 2)
        plan.handoff = False
        plan.rating = None
        plan.start = latest - rng.uniform(120.0, 600.0)
        _emit_conversation(rng, plan, events, keys)
    return events, keys


def _emit_conversation(
    rng: random.Random, plan: _Plan, events: list[EventRecord], keys: list[float]
) -> None:
    """Append one conversation's events (in time order) to `events`/`keys`."""
    conversation_id, user_id = plan.conversation_id, plan.user_id

    def emit(event_type: str, at: float, metadata: dict[str, Any]) -> None:
        at = round(at, 3)
        events.append(
            EventRecord(
                conversation_id=conversation_id,
                user_id=user_id,
                event_type=event_type,
                timestamp=datetime.fromtimestamp(at, UTC),
                metadata=metadata,
                id=_uuid(rng),
            )
        )
        keys.append(at)

    t = plan.start
    if plan.emit_started:
        emit("started", t, {"channel": plan.channel, "agent_id": plan.agent.agent_id})
    struggling = plan.outcome == "abandoned" or plan.handoff
    rephrase_rate = REPHRASE_RATE_WHEN_STRUGGLING if struggling else REPHRASE_RATE
    previous_length = 0
    noise_at = rng.randint(1, plan.user_turns) if plan.noise_rows else 0
    for turn in range(1, plan.user_turns + 1):
        t += rng.uniform(2.0, 20.0) if turn == 1 else min(600.0, rng.lognormvariate(3.3, 0.6))
        if turn == noise_at:
            emit(rng.choice(_UNKNOWN_EVENT_TYPES), t - 1.5, {"turn": turn})
        message = _user_message(rng, turn, previous_length, rephrase_rate)
        previous_length = message["message_length"]
        emit("user_message", t, message)
        last_turn = turn == plan.user_turns
        if plan.outcome == "abandoned" and last_turn and rng.random() < 0.3:
            continue  # the user left before the agent answered
        t = _emit_agent_turn(rng, plan, turn, t, emit)
    if plan.handoff:
        t += rng.uniform(1.0, 5.0)
        emit(
            "handoff_requested", t,
            {"reason": rng.choice(HANDOFF_REASONS), "turn": plan.user_turns},
        )
    if plan.outcome == "completed":
        t += rng.uniform(5.0, 60.0)
        emit("completed", t, {"total_turns": plan.user_turns})
    elif plan.outcome == "abandoned":
        t += rng.uniform(30.0, 600.0)
        emit("abandoned", t, {"abandoned_at_turn": plan.user_turns})
    if plan.rating is not None:
        emit("feedback_received", t + rng.uniform(5.0, 300.0), {"rating": plan.rating})


def _user_message(
    rng: random.Random, turn: int, previous_length: int, rephrase_rate: float
) -> dict[str, Any]:
    """The metadata of one user message."""
    length = max(2, int(rng.lognormvariate(4.2, 0.7)))
    message: dict[str, Any] = {"turn": turn, "message_length": length, "is_exact_repeat": False}
    if turn >= 2:
        draw = rng.random()
        if draw < EXACT_REPEAT_RATE:
            message.update(
                message_length=previous_length, similarity_to_previous=1.0, is_exact_repeat=True
            )
        elif draw < EXACT_REPEAT_RATE + rephrase_rate:
            message["similarity_to_previous"] = round(rng.uniform(0.85, 0.99), 3)
        else:
            message["similarity_to_previous"] = round(rng.betavariate(2.0, 5.0) * 0.84, 3)
    return message


def _emit_agent_turn(
    rng: random.Random, plan: _Plan, turn: int, t: float, emit: Any
) -> float:
    """Tool calls and the agent's answer to one user message; returns the time
    of the answer."""
    if rng.random() < TOOL_CALL_RATE:
        for _ in range(1 if rng.random() < 0.85 else 2):
            t += rng.uniform(0.3, 2.0)
            status = "error" if rng.random() < TOOL_ERROR_RATE else "ok"
            emit(
                "tool_called", t,
                {"tool_name": rng.choice(plan.agent.tools), "turn": turn, "status": status},
            )
    response_length = max(20, int(rng.lognormvariate(5.6, 0.6)))
    output_tokens = max(5, response_length // 4 + rng.randint(-5, 5))
    latency = _MODEL_LATENCY_MS[plan.model] * rng.lognormvariate(0.0, 0.35) + output_tokens * 8
    t += latency / 1000.0
    emit(
        "agent_response", t,
        {
            "turn": turn,
            "response_length": response_length,
            "model": plan.model,
            "latency_ms": round(latency, 1),
            "input_tokens": 350 + 220 * turn + rng.randint(0, 400),
            "output_tokens": output_tokens,
        },
    )
    return t


# --- fault injection ------------------------------------------------------------------


def _pick(rng: random.Random, eligible: list[int], rate: float) -> list[int]:
    """`rate` of the eligible positions, at least one when there is any."""
    if not eligible:
        return []
    return rng.sample(eligible, min(len(eligible), max(1, round(rate * len(eligible)))))


def _inject_row_faults(
    rng: random.Random, events: list[EventRecord], keys: list[float], counts: dict[str, int]
) -> None:
    """Damage rows in place, then append duplicates and delay some deliveries."""
    everything = list(range(len(events)))
    known = [i for i in everything if events[i].event_type in EVENT_TYPES]
    for i in _pick(rng, known, FAULT_RATES["odd_case_event_type"]):
        events[i].event_type = _odd_case(rng, events[i].event_type)
        counts["odd_case_event_type"] += 1
    typed = [
        i for i in everything
        if isinstance(events[i].metadata, dict) and _WRONG_TYPED_VALUES.keys() & events[i].metadata
    ]
    for i in _pick(rng, typed, FAULT_RATES["wrong_typed_metadata"]):
        events[i].metadata = _wrong_typed(rng, events[i].metadata)
        counts["wrong_typed_metadata"] += 1
    with_metadata = [i for i in everything if isinstance(events[i].metadata, dict)]
    for i, variant in _cycled(_pick(rng, with_metadata, FAULT_RATES["malformed_metadata"])):
        events[i].metadata = _malformed(events[i].metadata, variant)
        counts["malformed_metadata"] += 1
    for i in _pick(rng, everything, FAULT_RATES["non_utc_offset"]):
        events[i].timestamp = events[i].timestamp.astimezone(rng.choice(_OFFSETS))
        counts["non_utc_offset"] += 1
    named = [i for i in everything if events[i].user_id is not None]
    for i in _pick(rng, named, FAULT_RATES["null_user_id"] / 2):
        events[i].user_id = None
    counts["null_user_id"] = sum(1 for e in events if e.user_id is None)
    for i, variant in _cycled(_pick(rng, everything, FAULT_RATES["missing_id"])):
        events[i].id = _MISSING_TEXT[variant]
        counts["missing_id"] += 1
    for i, variant in _cycled(_pick(rng, everything, FAULT_RATES["missing_conversation_id"])):
        events[i].conversation_id = _MISSING_TEXT[variant]
        counts["missing_conversation_id"] += 1
    for i in _pick(rng, everything, FAULT_RATES["missing_timestamp"]):
        events[i].timestamp = None
        counts["missing_timestamp"] += 1
    for i in _pick(rng, everything, FAULT_RATES["duplicate_delivery"]):
        events.append(_copy(events[i]))
        keys.append(keys[i] + rng.uniform(1.0, 900.0))
        counts["duplicate_delivery"] += 1
    for i in _pick(rng, list(range(len(events))), FAULT_RATES["out_of_order"]):
        keys[i] += rng.uniform(120.0, 4 * 3600.0)
        counts["out_of_order"] += 1


def _cycled(positions: list[int]) -> Iterator[tuple[int, int]]:
    """Pair positions with variants 0, 1, 2, 0, ... so each variant appears."""
    for n, position in enumerate(positions):
        yield position, n % 3


def _odd_case(rng: random.Random, event_type: str) -> str:
    variants = (
        f" {event_type.title()} ",
        event_type.upper(),
        f"{event_type.title()}  ",
        f"  {event_type}",
    )
    return rng.choice(variants)


def _wrong_typed(rng: random.Random, metadata: dict[str, Any]) -> dict[str, Any]:
    keys = sorted(_WRONG_TYPED_VALUES.keys() & metadata.keys())
    key = rng.choice(keys)
    return {**metadata, key: _WRONG_TYPED_VALUES[key]}


def _malformed(metadata: dict[str, Any], variant: int) -> str:
    """Variant 0: truncated JSON text; 1: a JSON array; 2: a JSON string."""
    text = json.dumps(metadata)
    if variant == 0:
        return text[: max(1, len(text) // 2)]
    if variant == 1:
        return json.dumps([[k, v] for k, v in metadata.items()])
    return json.dumps(";".join(f"{k}={v}" for k, v in metadata.items()))


def _copy(event: EventRecord) -> EventRecord:
    metadata = dict(event.metadata) if isinstance(event.metadata, dict) else event.metadata
    return EventRecord(
        conversation_id=event.conversation_id,
        user_id=event.user_id,
        event_type=event.event_type,
        timestamp=event.timestamp,
        metadata=metadata,
        id=event.id,
    )


# --- JSONL ---------------------------------------------------------------------------


def event_to_json(event: EventRecord) -> dict[str, Any]:
    """One event as a JSONL object: ISO-8601 timestamp with its offset (or
    null); metadata as an object, a string holding the raw text, or null."""
    return {
        "id": event.id,
        "conversation_id": event.conversation_id,
        "user_id": event.user_id,
        "event_type": event.event_type,
        "timestamp": None if event.timestamp is None else event.timestamp.isoformat(),
        "metadata": event.metadata,
    }


def write_jsonl(events: Iterable[EventRecord], path: str | Path) -> int:
    """Write events to `path`, one JSON object a line; returns the count."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for event in events:
            out.write(dumps(event_to_json(event)))
            out.write("\n")
            count += 1
    return count


class JsonlFormatError(ValueError):
    """A line of an events file that is not an event object."""


def iter_jsonl(path: str | Path) -> Iterator[EventRecord]:
    """Read events written by `write_jsonl` (or any tool using its format),
    lazily. Blank lines are skipped; a naive timestamp is read as UTC."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield event_from_json(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise JsonlFormatError(f"{path}:{number}: {exc}") from None


def read_jsonl(path: str | Path) -> list[EventRecord]:
    """All events of a JSONL file (see `iter_jsonl`)."""
    return list(iter_jsonl(path))


def event_from_json(obj: Any) -> EventRecord:
    """The inverse of `event_to_json`, checking each field's type."""
    if not isinstance(obj, dict):
        raise JsonlFormatError(f"expected a JSON object, got {type(obj).__name__}")
    text = {key: _optional_text(obj, key) for key in ("id", "conversation_id", "user_id")}
    event_type = _optional_text(obj, "event_type")
    metadata = obj.get("metadata")
    if not (metadata is None or isinstance(metadata, dict | str)):
        metadata = json.dumps(metadata)
    return EventRecord(
        conversation_id=text["conversation_id"],
        user_id=text["user_id"],
        event_type=event_type,
        timestamp=_parse_timestamp(obj.get("timestamp")),
        metadata=metadata,
        id=text["id"],
    )


def _optional_text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise JsonlFormatError(f"{key} must be text or null, got {json.dumps(value)}")


def _parse_timestamp(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise JsonlFormatError(f"timestamp must be ISO-8601 text or null, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise JsonlFormatError(f"timestamp {value!r} is not ISO-8601") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
