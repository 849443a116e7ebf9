"""An independent, pure-Python implementation of the event contract
(docs/event-contract.md) and the metric definitions (docs/metric-definitions.md).

It computes, from the raw rows of `conversation_events`, what the dbt project
must produce: the quarantine, the staged events, `fct_conversations` and every
mart. It reads no SQL and calls no dbt model or macro, so a test comparing the
two can fail when either is wrong.

Where a detail is not spelled out there, this follows the project's documented
choices (docs/metric-decisions.md):

- text is trimmed of surrounding spaces (SQL `trim`: spaces only, not tabs),
  and blank text is missing, for ids, types, metadata values and the metadata
  itself;
- every key reads only a value of its JSON type (the contract: a value of the
  wrong type reads as null): an integer key a JSON integer of at most 18 digits
  (`"3"`, a string, is null), a float key a JSON number, a boolean key
  `true`/`false`, a text key a JSON string;
- a JSON `null` as the whole metadata counts as absent, not as invalid;
- rates, averages and rounding as the models compute them: percentages are
  100 x count / total in double precision, rounded half away from zero.

Sums of doubles depend on the order of addition, so rounded columns are
returned as `Rounded` values that know the exact unrounded figure: a
comparison accepts either neighbour when the figure lies within float noise
of a rounding boundary.

Copies of one id tied on the earliest timestamp, ties for the first user,
agent or channel, and duplicate JSON keys are resolved by some deterministic
rule here and in the models, not necessarily the same one: `Reference.ambiguities`
lists them, so a test can insist that its stream has none.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

# The event types of docs/event-contract.md, written out here rather than imported
# from the package.
EVENT_TYPES = (
    "started",
    "user_message",
    "agent_response",
    "tool_called",
    "handoff_requested",
    "feedback_received",
    "completed",
    "abandoned",
)

TEXT_KEYS = ("channel", "agent_id", "model", "tool_name", "status", "reason", "rating")
LOWERCASED_KEYS = ("status", "rating")
INTEGER_KEYS = (
    "turn",
    "message_length",
    "response_length",
    "input_tokens",
    "output_tokens",
    "total_turns",
    "abandoned_at_turn",
)
DOUBLE_KEYS = ("similarity_to_previous", "latency_ms")
BOOLEAN_KEYS = ("is_exact_repeat",)
METADATA_KEYS = TEXT_KEYS + INTEGER_KEYS + DOUBLE_KEYS + BOOLEAN_KEYS

_INTEGER_TEXT = re.compile(r"-?[0-9]{1,18}")


# --- settings -------------------------------------------------------------------


@dataclass(frozen=True)
class Vars:
    """The dbt vars of docs/metric-definitions.md, with their defaults."""

    as_of: datetime | None = None
    inactivity_timeout_minutes: int = 30
    rephrase_similarity_threshold: float = 0.85
    satisfaction_quick_resolution_max_turns: int = 3
    satisfaction_quick_resolution_signal: float = 1.0
    satisfaction_handoff_signal: float = 0.3
    satisfaction_long_conversation_min_turns: int = 3
    satisfaction_long_conversation_base: float = 0.8
    satisfaction_turn_penalty: float = 0.1
    satisfaction_neutral_score: float = 0.5
    completion_drop_alert_points: float = 5
    alert_min_conversations: int = 20
    alert_rule: str = "significant"
    alert_significance_level: float = 0.05
    confidence_level: float = 0.95
    # var summary_window_days: the trailing windows of conversation_summary
    # and the other windowed marts.
    summary_windows: tuple[int, ...] = (7, 28)


# --- rounding -------------------------------------------------------------------


def round_half_away(value: float | None, digits: int) -> float | None:
    """What the models compute: sign(x) * floor(|x| * 10^n + 0.5) / 10^n in doubles."""
    if value is None:
        return None
    x = float(value)
    scale = 10**digits
    return math.copysign(1.0, x) * math.floor(abs(x) * scale + 0.5) / scale if x else 0.0


@dataclass(frozen=True)
class Rounded:
    """A rounded figure that remembers its unrounded value (exact where it can)."""

    exact: Fraction | float
    digits: int

    @property
    def value(self) -> float:
        return round_half_away(float(self.exact), self.digits)  # type: ignore[return-value]

    def candidates(self) -> set[float]:
        """The rounded value, plus its neighbour when the unrounded figure is
        within float noise of a rounding boundary."""
        x = float(self.exact)
        noise = 1e-12 * max(1.0, abs(x))
        return {
            round_half_away(y, self.digits)  # type: ignore[misc]
            for y in (x - noise, x, x + noise)
        }

    def __repr__(self) -> str:
        return f"Rounded({self.value!r} from {float(self.exact)!r})"


def _rounded(value: Fraction | float | None, digits: int) -> Rounded | None:
    return None if value is None else Rounded(value, digits)


@dataclass(frozen=True)
class Close:
    """An unrounded figure the models compute with an approximation of
    known relative error (the normal distribution from an erfc fit)."""

    value: float
    rel: float

    def matches(self, actual: float) -> bool:
        return math.isclose(actual, self.value, rel_tol=self.rel, abs_tol=1e-15)


# The two-sided normal quantiles of the confidence levels the project takes.
CONFIDENCE_Z = {
    0.8: 1.2815515655446004, 0.85: 1.4395314709384563, 0.9: 1.6448536269514722,
    0.95: 1.959963984540054, 0.975: 2.241402727604947, 0.98: 2.3263478740408408,
    0.99: 2.5758293035489004, 0.995: 2.807033768343811, 0.999: 3.2905267314918945,
}


def wilson(successes: int, total: int, level: float) -> tuple[float, float] | tuple[None, None]:
    """The Wilson score interval of successes / total in percent, in its
    textbook form (p-hat, not counts)."""
    if not total:
        return None, None
    z = CONFIDENCE_Z[level]
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


def _interval(rate: str, successes: int, total: int, level: float) -> dict[str, Any]:
    """The `<rate>_ci_low` and `<rate>_ci_high` columns, rounded like the rates."""
    low, high = wilson(successes, total, level)
    return {f"{rate}_ci_low": _rounded(low, 1), f"{rate}_ci_high": _rounded(high, 1)}


def drop_p_value(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """One-sided p-value that s2 / n2 is below s1 / n1 (pooled two-proportion z
    test), from the exact normal distribution; None when it is undefined."""
    if not n1 or not n2 or s1 + s2 in (0, n1 + n2):
        return None
    pooled = (s1 + s2) / (n1 + n2)
    z = (s2 / n2 - s1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _percentage(numerator: int | float, denominator: int | float) -> float | None:
    """100 x numerator / denominator in doubles, as the models compute it."""
    if not denominator:
        return None
    return 100 * float(numerator) / denominator


def _exact_sum(values: Iterable[float]) -> float:
    return math.fsum(values)


# --- raw rows ---------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    """One row of `conversation_events` as stored: metadata is a dict (a JSON
    object column value), JSON or other text, or None."""

    id: str | None
    conversation_id: str | None
    user_id: str | None
    event_type: str | None
    timestamp: datetime | None
    metadata: dict[str, Any] | str | None


def as_raw_row(row: Any) -> RawRow:
    """A RawRow from a RawRow, an EventRecord-like object or a 6-tuple."""
    if isinstance(row, RawRow):
        return row
    if isinstance(row, tuple | list):
        return RawRow(*row)
    return RawRow(
        id=row.id,
        conversation_id=row.conversation_id,
        user_id=row.user_id,
        event_type=row.event_type,
        timestamp=row.timestamp,
        metadata=row.metadata,
    )


# The whitespace the event contract trims: space, tab, newline, carriage
# return, vertical tab, form feed, U+0085, U+00A0, U+1680, U+2000-U+200A,
# U+2028, U+2029, U+202F, U+205F, U+3000 and the byte order mark U+FEFF.
WHITESPACE = (
    " \t\n\r\v\f\u0085\u00a0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def clean_text(value: Any) -> str | None:
    """Trimmed of surrounding whitespace (WHITESPACE); blank is missing."""
    if value is None:
        return None
    text = str(value).strip(WHITESPACE)
    return text or None


def to_utc(value: datetime | None) -> datetime | None:
    """A naive UTC datetime (naive input is taken to be UTC)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


# --- metadata -------------------------------------------------------------------------


class JsonNumber(str):
    """A JSON number, kept as its literal text."""


class _DuplicateKeys(dict):  # type: ignore[type-arg]
    """A JSON object that had a key twice (last value kept)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    return (_DuplicateKeys if len(set(keys)) < len(keys) else dict)(pairs)


def _loads_strict(text: str) -> Any:
    """RFC 8259 JSON: no NaN/Infinity, no trailing commas; numbers kept as text."""
    return json.loads(
        text,
        parse_int=JsonNumber,
        parse_float=JsonNumber,
        parse_constant=_reject_constant,
        object_pairs_hook=_object_pairs,
    )


@dataclass(frozen=True)
class ParsedMetadata:
    values: dict[str, Any]
    is_invalid: bool
    has_duplicate_keys: bool = False


def parse_metadata(metadata: dict[str, Any] | str | None) -> ParsedMetadata:
    """docs/event-contract.md: the metadata keys, and whether the metadata is present
    but not a JSON object."""
    if metadata is None:
        return ParsedMetadata({}, False)
    if isinstance(metadata, dict):
        text: str | None = json.dumps(metadata, default=str, allow_nan=False)
    else:
        text = clean_text(metadata)
    if text is None:
        return ParsedMetadata({}, False)
    try:
        parsed = _loads_strict(text)
    except (ValueError, RecursionError):
        return ParsedMetadata({}, True)
    if parsed is None:
        return ParsedMetadata({}, False)
    if not isinstance(parsed, dict):
        return ParsedMetadata({}, True)
    values: dict[str, Any] = {}
    for key in TEXT_KEYS:
        value = read_text(parsed.get(key))
        values[key] = value.lower() if value is not None and key in LOWERCASED_KEYS else value
    for key in INTEGER_KEYS:
        values[key] = read_integer(parsed.get(key))
    for key in DOUBLE_KEYS:
        values[key] = read_double(parsed.get(key))
    for key in BOOLEAN_KEYS:
        values[key] = read_boolean(parsed.get(key))
    return ParsedMetadata(values, False, isinstance(parsed, _DuplicateKeys))


def read_text(value: Any) -> str | None:
    """A JSON string, trimmed; anything else is the wrong type."""
    if isinstance(value, str) and not isinstance(value, JsonNumber):
        return clean_text(value)
    return None


def read_integer(value: Any) -> int | None:
    """A JSON integer of at most 18 digits; anything else is the wrong type."""
    if isinstance(value, JsonNumber) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    return None


def read_double(value: Any) -> float | None:
    """A JSON number; anything else is the wrong type."""
    if isinstance(value, JsonNumber):
        return float(value)
    return None


def read_boolean(value: Any) -> bool | None:
    """A JSON boolean; anything else is the wrong type."""
    return value if isinstance(value, bool) else None


# --- the reference ------------------------------------------------------------------


@dataclass
class Reference:
    """Everything the project must produce from one set of raw rows."""

    vars: Vars
    rejected: list[dict[str, Any]]
    staged: list[dict[str, Any]]
    as_of: datetime | None
    marts: dict[str, list[dict[str, Any]]]
    valid_row_count: int = 0
    ambiguities: list[str] = field(default_factory=list)


def compute(rows: Iterable[Any], vars: Vars | None = None) -> Reference:
    """The quarantine, staging and every mart (docs/metric-definitions.md) from raw rows."""
    settings = vars or Vars()
    ambiguities: list[str] = []
    rejected, valid = _validate([as_raw_row(r) for r in rows])
    staged = _deduplicate(valid, settings.rephrase_similarity_threshold, ambiguities)
    events_by_conversation: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in staged:
        events_by_conversation[event["conversation_id"]].append(event)
    if settings.as_of is not None:
        as_of: datetime | None = to_utc(settings.as_of)
    else:
        as_of = max((e["event_at"] for e in staged), default=None)
    conversations = [
        _conversation(cid, events, as_of, settings, ambiguities)
        for cid, events in sorted(events_by_conversation.items())
    ]
    marts = {
        "fct_conversations": conversations,
        "conversation_metrics_daily": _metrics_daily(conversations, settings),
        "conversation_drop_off": _drop_off(conversations),
        "agent_performance_weekly": _agent_weekly(conversations, as_of, settings),
        "tool_usage": _tool_usage(staged, conversations, settings.confidence_level),
        "model_performance": _model_performance(
            staged, conversations, settings.confidence_level
        ),
        "conversation_summary": _summary(conversations, as_of, settings),
        "abandon_turns_top": _abandon_turns_top(conversations, as_of, settings),
        "conversation_summary_by_agent": _summary_by(conversations, as_of, settings, "agent_id"),
        "conversation_summary_by_day": _summary_by(conversations, as_of, settings, "started_date"),
        "conversation_summary_by_turn": _summary_by_turn(conversations, as_of, settings),
        "conversation_summary_by_satisfaction_signal": _summary_by_signal(
            conversations, as_of, settings
        ),
        "conversation_summary_by_satisfaction_band": _summary_by_band(
            conversations, as_of, settings
        ),
        "conversation_summary_by_tool": _summary_by_tool(staged, conversations, as_of, settings),
        "conversation_summary_by_model": _summary_by_model(
            staged, conversations, as_of, settings
        ),
    }
    return Reference(settings, rejected, staged, as_of, marts, len(valid), ambiguities)


# --- section 2 ----------------------------------------------------------------------


# The project's plausibility rules, at their defaults: ids of at most
# MAX_ID_LENGTH characters, times from EVENT_TIME_MIN to a day past now.
MAX_ID_LENGTH = 512
EVENT_TIME_MIN = datetime(2000, 1, 1)
EVENT_TIME_MAX_AHEAD = timedelta(hours=24)


def _latest_plausible_time() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + EVENT_TIME_MAX_AHEAD


def _validate(rows: Sequence[RawRow]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rejected, valid = [], []
    for row in rows:
        event_id = clean_text(row.id)
        conversation_id = clean_text(row.conversation_id)
        event_type = clean_text(row.event_type)
        event_type = event_type.lower() if event_type is not None else None
        event_at = to_utc(row.timestamp)
        if event_id is None:
            reason: str | None = "missing_id"
        elif conversation_id is None:
            reason = "missing_conversation_id"
        elif event_at is None:
            reason = "missing_timestamp"
        elif event_type not in EVENT_TYPES:
            reason = "unknown_event_type"
        elif max(len(event_id), len(conversation_id)) > MAX_ID_LENGTH:
            reason = "id_too_long"
        elif not EVENT_TIME_MIN <= event_at <= _latest_plausible_time():
            reason = "timestamp_out_of_range"
        else:
            reason = None
        record = {
            "event_id": event_id,
            "conversation_id": conversation_id,
            "user_id": clean_text(row.user_id),
            "event_type": event_type,
            "raw_event_type": row.event_type,
            "event_at": event_at,
            "metadata": row.metadata,
        }
        if reason is None:
            valid.append(record)
        else:
            rejected.append({**record, "rejection_reason": reason})
    return rejected, valid


def _staged_event(record: dict[str, Any], threshold: float) -> dict[str, Any]:
    metadata = parse_metadata(record["metadata"])
    values = metadata.values or dict.fromkeys(METADATA_KEYS)
    is_rephrase = bool(
        record["event_type"] == "user_message"
        and values["similarity_to_previous"] is not None
        and values["similarity_to_previous"] >= threshold
        and not values["is_exact_repeat"]
    )
    return {
        "event_id": record["event_id"],
        "conversation_id": record["conversation_id"],
        "user_id": record["user_id"],
        "event_type": record["event_type"],
        "event_at": record["event_at"],
        "has_invalid_metadata": metadata.is_invalid,
        **values,
        "is_rephrase": is_rephrase,
        "_duplicate_keys": metadata.has_duplicate_keys,
    }


def _deduplicate(
    valid: list[dict[str, Any]], threshold: float, ambiguities: list[str]
) -> list[dict[str, Any]]:
    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in valid:
        copies[record["event_id"]].append(record)
    staged = []
    for event_id, records in copies.items():
        earliest = min(r["event_at"] for r in records)
        tied = [_staged_event(r, threshold) for r in records if r["event_at"] == earliest]
        kept = tied[0]
        if any(_content(t) != _content(kept) for t in tied[1:]):
            ambiguities.append(f"id {event_id!r}: copies tied on the earliest timestamp differ")
        if kept["_duplicate_keys"]:
            ambiguities.append(f"id {event_id!r}: metadata has a key twice")
        staged.append(kept)
    for event in staged:
        del event["_duplicate_keys"]
    staged.sort(key=lambda e: e["event_id"])
    return staged


def _content(event: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, repr(v)) for k, v in event.items()))


# --- section 3 and 5 -------------------------------------------------------------------


def _first_value(
    events: list[dict[str, Any]], key: str, conversation_id: str, ambiguities: list[str]
) -> Any:
    """`key` of the earliest event carrying it (flagging ties that disagree)."""
    carrying = [e for e in events if e[key] is not None]
    if not carrying:
        return None
    earliest = min(e["event_at"] for e in carrying)
    values = {e[key] for e in carrying if e["event_at"] == earliest}
    if len(values) > 1:
        ambiguities.append(f"conversation {conversation_id!r}: tied first {key} {sorted(values)}")
    return min(values)


def implicit_satisfaction_rule(
    was_completed: bool, had_handoff: bool, user_turns: int, settings: Vars
) -> str | None:
    """The implicit satisfaction rule a conversation matches, first match wins."""
    if was_completed and user_turns <= settings.satisfaction_quick_resolution_max_turns:
        return "quick_resolution"
    if had_handoff:
        return "handoff"
    if user_turns >= settings.satisfaction_long_conversation_min_turns:
        return "long_conversation"
    return None


def satisfaction_signal(positive: int, negative: int, rule: str | None) -> str:
    """What the score rests on: explicit feedback, else an implicit rule, else nothing."""
    if positive + negative > 0:
        return "explicit"
    return "implicit" if rule is not None else "none"


def satisfaction_score(
    positive: int,
    negative: int,
    was_completed: bool,
    had_handoff: bool,
    user_turns: int,
    settings: Vars,
) -> float:
    """Satisfaction (docs/metric-definitions.md): the mean of the signals, neutral when
    there is none."""
    rule = implicit_satisfaction_rule(was_completed, had_handoff, user_turns, settings)
    if rule == "quick_resolution":
        implicit: float | None = settings.satisfaction_quick_resolution_signal
    elif rule == "handoff":
        implicit = settings.satisfaction_handoff_signal
    elif rule == "long_conversation":
        implicit = max(
            0.0,
            settings.satisfaction_long_conversation_base
            - settings.satisfaction_turn_penalty
            * (user_turns - settings.satisfaction_quick_resolution_max_turns),
        )
    else:
        implicit = None
    signals = [1.0] * positive + [0.0] * negative + ([] if implicit is None else [implicit])
    if not signals:
        return settings.satisfaction_neutral_score
    return math.fsum(signals) / len(signals)


def _conversation(
    conversation_id: str,
    events: list[dict[str, Any]],
    as_of: datetime | None,
    settings: Vars,
    ambiguities: list[str],
) -> dict[str, Any]:
    def of_type(event_type: str) -> list[dict[str, Any]]:
        return [e for e in events if e["event_type"] == event_type]

    started = of_type("started")
    completed = of_type("completed")
    abandoned = of_type("abandoned")
    feedback = of_type("feedback_received")
    user_messages = of_type("user_message")
    user_turns = len(user_messages)
    was_completed, was_abandoned = bool(completed), bool(abandoned)
    had_handoff = bool(of_type("handoff_requested"))
    started_at = min(e["event_at"] for e in (started or events))
    last_event_at = max(e["event_at"] for e in events)
    completed_at = max((e["event_at"] for e in completed), default=None)
    abandoned_at_turn = None
    if was_abandoned:
        earliest = min(e["event_at"] for e in abandoned)
        turns = {e["abandoned_at_turn"] for e in abandoned if e["event_at"] == earliest}
        if len(turns) > 1:
            ambiguities.append(f"conversation {conversation_id!r}: tied first abandoned events")
        turn = sorted(turns, key=lambda t: (t is None, t))[0]
        abandoned_at_turn = user_turns if turn is None else turn
    positive = sum(1 for e in feedback if e["rating"] == "positive")
    negative = sum(1 for e in feedback if e["rating"] == "negative")
    if was_completed:
        outcome = "completed"
    elif was_abandoned:
        outcome = "abandoned"
    elif as_of is not None and as_of - last_event_at > timedelta(
        minutes=settings.inactivity_timeout_minutes
    ):
        outcome = "timed_out"
    else:
        outcome = "in_progress"
    duration = (completed_at - started_at).total_seconds() if completed_at is not None else None
    rule = implicit_satisfaction_rule(was_completed, had_handoff, user_turns, settings)
    return {
        "conversation_id": conversation_id,
        "user_id": _first_value(events, "user_id", conversation_id, ambiguities),
        "agent_id": _first_value(events, "agent_id", conversation_id, ambiguities) or "unknown",
        "channel": _first_value(events, "channel", conversation_id, ambiguities) or "unknown",
        "outcome": outcome,
        "user_turns": user_turns,
        "agent_responses": len(of_type("agent_response")),
        "tool_calls": len(of_type("tool_called")),
        "abandoned_at_turn": abandoned_at_turn,
        "duration_seconds": duration,
        "positive_feedback_count": positive,
        "negative_feedback_count": negative,
        "unrecognised_feedback_count": len(feedback) - positive - negative,
        "rephrase_count": sum(1 for e in user_messages if e["is_rephrase"]),
        "satisfaction_score": satisfaction_score(
            positive, negative, was_completed, had_handoff, user_turns, settings
        ),
        "implicit_satisfaction_rule": rule,
        "satisfaction_signal": satisfaction_signal(positive, negative, rule),
        "event_count": len(events),
        "invalid_metadata_event_count": sum(1 for e in events if e["has_invalid_metadata"]),
        "was_completed": was_completed,
        "was_abandoned": was_abandoned,
        "had_handoff": had_handoff,
        "has_started_event": bool(started),
        "started_date": started_at.date(),
        "started_at": started_at,
        "last_event_at": last_event_at,
        "completed_at": completed_at,
    }


# --- section 4 ----------------------------------------------------------------------------


def outcome_mix(conversation: dict[str, Any]) -> str:
    """The one part of the outcome mix a conversation counts in."""
    if conversation["outcome"] in ("completed", "abandoned"):
        return "completed" if conversation["outcome"] == "completed" else "ended_abandoned"
    return "ended_handed_off" if conversation["had_handoff"] else conversation["outcome"]


def _rate_aggregates(conversations: list[dict[str, Any]], level: float) -> dict[str, Any]:
    """The rate metrics of conversation_metrics_daily over a group of
    conversations, with intervals at the confidence `level`."""
    total = len(conversations)
    completed = sum(1 for c in conversations if c["was_completed"])
    abandoned = sum(1 for c in conversations if c["was_abandoned"])
    handoff = sum(1 for c in conversations if c["had_handoff"])
    parts = Counter(outcome_mix(c) for c in conversations)
    mix = {
        name: parts[name]
        for name in ("completed", "ended_abandoned", "ended_handed_off", "timed_out", "in_progress")
    }
    user_turns = sum(c["user_turns"] for c in conversations)
    rephrases = sum(c["rephrase_count"] for c in conversations)
    durations = [c["duration_seconds"] for c in conversations if c["was_completed"]]
    scores = [c["satisfaction_score"] for c in conversations]
    sum_duration = _exact_sum(durations)
    sum_score = _exact_sum(scores)
    return {
        "total_conversations": total,
        "completed_conversations": completed,
        "abandoned_conversations": abandoned,
        "handoff_conversations": handoff,
        "completion_rate": _rounded(_percentage(completed, total), 1),
        "abandonment_rate": _rounded(_percentage(abandoned, total), 1),
        "handoff_rate": _rounded(_percentage(handoff, total), 1),
        **{
            f"{rate}_ci_{side}": _rounded(bound, 1)
            for rate, count in (
                ("completion_rate", completed),
                ("abandonment_rate", abandoned),
                ("handoff_rate", handoff),
            )
            for side, bound in zip(("low", "high"), wilson(count, total, level), strict=True)
        },
        **{f"{name}_conversations": count for name, count in mix.items() if name != "completed"},
        **{f"{name}_share": _rounded(_percentage(count, total), 1) for name, count in mix.items()},
        "avg_turns": _rounded(Fraction(user_turns, total) if total else None, 1),
        "avg_duration_seconds": _rounded(sum_duration / len(durations) if durations else None, 0),
        "avg_satisfaction_score": _rounded(sum_score / total if total else None, 3),
        "rephrase_rate": _rounded(_percentage(rephrases, user_turns), 1),
        "sum_user_turns": user_turns,
        "sum_duration_seconds": sum_duration,
        "sum_satisfaction_score": sum_score,
        "sum_rephrase_count": rephrases,
    }


def _group(
    rows: Iterable[dict[str, Any]], *keys: str
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in keys)].append(row)
    return groups


def _metrics_daily(conversations: list[dict[str, Any]], settings: Vars) -> list[dict[str, Any]]:
    keys = ("started_date", "agent_id", "channel")
    return [
        {
            **dict(zip(keys, key, strict=True)),
            **_rate_aggregates(group, settings.confidence_level),
            "is_provisional": any(c["outcome"] == "in_progress" for c in group),
        }
        for key, group in sorted(_group(conversations, *keys).items())
    ]


# --- section 6 ------------------------------------------------------------------------------


def _drop_off(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("started_date", "agent_id", "channel")
    rows = []
    for key, group in sorted(_group(conversations, *keys).items()):
        abandon_turns = Counter(c["abandoned_at_turn"] for c in group if c["was_abandoned"])
        for turn, count in sorted(abandon_turns.items()):
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "abandon_turn": turn,
                    "abandon_count": count,
                    "conversations_reaching_turn": sum(1 for c in group if c["user_turns"] >= turn),
                }
            )
    return rows


# --- section 7 ------------------------------------------------------------------------------


def week_start(moment: datetime | date) -> date:
    """The Monday (UTC) of the ISO week holding `moment`."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _agent_weekly(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[dict[str, Any]]:
    weeks = _group(
        ({**c, "week_start": week_start(c["started_at"])} for c in conversations),
        "week_start",
        "agent_id",
    )
    level = settings.confidence_level
    rows = []
    for (week, agent), group in sorted(weeks.items()):
        total = len(group)
        completed = sum(1 for c in group if c["was_completed"])
        previous = weeks.get((week - timedelta(days=7), agent), [])
        previous_total = len(previous)
        previous_completed = sum(1 for c in previous if c["was_completed"])
        rate = _percentage(completed, total)
        previous_rate = _percentage(previous_completed, previous_total)
        change = None if previous_rate is None else rate - previous_rate  # type: ignore[operator]
        fell = bool(
            previous_total
            and 100 * (Fraction(completed, total) - Fraction(previous_completed, previous_total))
            <= -Fraction(settings.completion_drop_alert_points)
            and total >= settings.alert_min_conversations
            and previous_total >= settings.alert_min_conversations
        )
        p_value = drop_p_value(previous_completed, previous_total, completed, total)
        week_end = datetime.combine(week, datetime.min.time()) + timedelta(
            days=7, minutes=settings.inactivity_timeout_minutes
        )
        complete = as_of is not None and week_end <= as_of
        if settings.alert_rule == "points":
            alert = fell
        else:
            alert = (
                fell
                and p_value is not None
                and p_value < settings.alert_significance_level
                and complete
                and agent != "unknown"
            )
        low, high = wilson(completed, total, level)
        previous_low, previous_high = wilson(previous_completed, previous_total, level)
        rows.append(
            {
                "week_start": week,
                "agent_id": agent,
                "is_known_agent": agent != "unknown",
                "is_complete_week": complete,
                "total_conversations": total,
                "completed_conversations": completed,
                "previous_total_conversations": previous_total,
                "previous_completed_conversations": previous_completed,
                "completion_rate": _rounded(rate, 1),
                "completion_rate_ci_low": _rounded(low, 1),
                "completion_rate_ci_high": _rounded(high, 1),
                "previous_completion_rate": _rounded(previous_rate, 1),
                "previous_completion_rate_ci_low": _rounded(previous_low, 1),
                "previous_completion_rate_ci_high": _rounded(previous_high, 1),
                "completion_rate_change_points": _rounded(change, 1),
                "completion_drop_p_value": None if p_value is None else Close(p_value, 2e-7),
                "avg_satisfaction_score": _rounded(
                    _exact_sum(c["satisfaction_score"] for c in group) / total, 3
                ),
                "completion_rate_alert": alert,
            }
        )
    return rows


# --- the project's extra marts -------------------------------------------------------------


def _tool_usage(
    staged: list[dict[str, Any]], conversations: list[dict[str, Any]], level: float
) -> list[dict[str, Any]]:
    """tool_usage: per started_date (of the conversation) and tool_name."""
    by_id = {c["conversation_id"]: c for c in conversations}
    calls = _group(
        (
            {**e, "tool_name": e["tool_name"] or "unknown"}
            for e in staged
            if e["event_type"] == "tool_called"
        ),
        "conversation_id",
        "tool_name",
    )
    days: dict[tuple[date, str], list[tuple[dict[str, Any], list[dict[str, Any]]]]] = defaultdict(
        list
    )
    for (conversation_id, tool), group in calls.items():
        conversation = by_id[conversation_id]
        days[(conversation["started_date"], tool)].append((conversation, group))
    rows = []
    for (day, tool), pairs in sorted(days.items()):
        total_calls = sum(len(g) for _, g in pairs)
        errors = sum(1 for _, g in pairs for e in g if e["status"] == "error")
        using = len(pairs)
        completed = sum(1 for c, _ in pairs if c["was_completed"])
        rows.append(
            {
                "started_date": day,
                "tool_name": tool,
                "total_calls": total_calls,
                "error_calls": errors,
                "conversations_using_tool": using,
                "completed_conversations_using_tool": completed,
                "error_rate": _rounded(_percentage(errors, total_calls), 1),
                **_interval("error_rate", errors, total_calls, level),
                "completion_rate": _rounded(_percentage(completed, using), 1),
                **_interval("completion_rate", completed, using, level),
            }
        )
    return rows


def _model_performance(
    staged: list[dict[str, Any]], conversations: list[dict[str, Any]], level: float
) -> list[dict[str, Any]]:
    """model_performance: per week_start (of the conversation) and model; a
    conversation counts once for each model that answered in it."""
    by_id = {c["conversation_id"]: c for c in conversations}
    responses = _group(
        (
            {**e, "model": e["model"] or "unknown"}
            for e in staged
            if e["event_type"] == "agent_response"
        ),
        "conversation_id",
        "model",
    )
    weeks: dict[tuple[date, str], list[tuple[dict[str, Any], list[dict[str, Any]]]]] = defaultdict(
        list
    )
    for (conversation_id, model), group in responses.items():
        conversation = by_id[conversation_id]
        weeks[(week_start(conversation["started_at"]), model)].append((conversation, group))
    rows = []
    for (week, model), pairs in sorted(weeks.items()):
        total = len(pairs)
        completed = sum(1 for c, _ in pairs if c["was_completed"])
        latencies = [e["latency_ms"] for _, g in pairs for e in g if e["latency_ms"] is not None]
        scores = [c["satisfaction_score"] for c, _ in pairs]
        rows.append(
            {
                "week_start": week,
                "model": model,
                "total_conversations": total,
                "completed_conversations": completed,
                "agent_responses": sum(len(g) for _, g in pairs),
                "input_tokens": sum(e["input_tokens"] or 0 for _, g in pairs for e in g),
                "output_tokens": sum(e["output_tokens"] or 0 for _, g in pairs for e in g),
                "sum_satisfaction_score": _exact_sum(scores),
                "timed_responses": len(latencies),
                "sum_latency_ms": _exact_sum(latencies),
                "completion_rate": _rounded(_percentage(completed, total), 1),
                **_interval("completion_rate", completed, total, level),
                "avg_satisfaction_score": _rounded(_exact_sum(scores) / total, 3),
                "avg_latency_ms": _rounded(
                    _exact_sum(latencies) / len(latencies) if latencies else None, 1
                ),
            }
        )
    return rows


def _windowed(
    conversations: list[dict[str, Any]], as_of: datetime | None, days: int
) -> tuple[datetime | None, list[dict[str, Any]]]:
    """The conversations that started in (as-of minus `days`, as-of]."""
    if as_of is None:
        return None, []
    start = as_of - timedelta(days=days)
    return start, [c for c in conversations if start < c["started_at"] <= as_of]


def _summary(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[dict[str, Any]]:
    """conversation_summary: the rate metrics over each trailing window."""
    rows = []
    for days in sorted(settings.summary_windows):
        start, members = _windowed(conversations, as_of, days)
        rows.append(
            {
                "window_days": days,
                "window_start_at": start,
                "as_of_at": as_of,
                **_rate_aggregates(members, settings.confidence_level),
            }
        )
    return rows


def _abandon_turns_top(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[dict[str, Any]]:
    """abandon_turns_top: the ten most common abandon turns per window
    (ties to the earlier turn)."""
    rows = []
    for days in sorted(settings.summary_windows):
        _, members = _windowed(conversations, as_of, days)
        counts = Counter(c["abandoned_at_turn"] for c in members if c["was_abandoned"])
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
        rows += [
            {"window_days": days, "abandon_rank": rank, "abandon_turn": turn, "abandon_count": n}
            for rank, (turn, n) in enumerate(ranked, start=1)
        ]
    return rows


# --- the windowed marts by one more dimension ---------------------------------------------

SATISFACTION_SIGNALS = ("explicit", "implicit", "none")


def _windows(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[tuple[int, list[dict[str, Any]]]]:
    """Each trailing window with the conversations that started in it."""
    return [
        (days, _windowed(conversations, as_of, days)[1])
        for days in sorted(settings.summary_windows)
    ]


def _summary_by(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars, key: str
) -> list[dict[str, Any]]:
    """conversation_summary_by_agent / _by_day: the rate metrics per window
    and `key`, for the values with conversations."""
    rows = []
    for days, members in _windows(conversations, as_of, settings):
        for (value,), group in sorted(_group(members, key).items()):
            aggregates = _rate_aggregates(group, settings.confidence_level)
            rows.append({"window_days": days, key: value, **aggregates})
    return rows


def _summary_by_turn(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[dict[str, Any]]:
    """conversation_summary_by_turn: per window, every turn from 0 to the
    longest conversation plus any abandon turn: how many got that far, how
    many left there."""
    rows = []
    for days, members in _windows(conversations, as_of, settings):
        if not members:
            continue
        total = len(members)
        abandons = Counter(c["abandoned_at_turn"] for c in members if c["was_abandoned"])
        turns = set(range(max(c["user_turns"] for c in members) + 1)) | set(abandons)
        for turn in sorted(turns):
            reaching = sum(1 for c in members if c["user_turns"] >= turn)
            rows.append(
                {
                    "window_days": days,
                    "turn": turn,
                    "window_conversations": total,
                    "conversations_reaching_turn": reaching,
                    "reaching_turn_share": _rounded(_percentage(reaching, total), 1),
                    "abandon_count": abandons[turn],
                    "abandon_share": _rounded(_percentage(abandons[turn], total), 1),
                }
            )
    return rows


def _summary_by_signal(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[dict[str, Any]]:
    """conversation_summary_by_satisfaction_signal: every signal kind of every window."""
    rows = []
    for days, members in _windows(conversations, as_of, settings):
        for signal in SATISFACTION_SIGNALS:
            group = [c for c in members if c["satisfaction_signal"] == signal]
            rows.append(
                {
                    "window_days": days,
                    "satisfaction_signal": signal,
                    "conversation_share": _rounded(_percentage(len(group), len(members)), 1),
                    **_rate_aggregates(group, settings.confidence_level),
                }
            )
    return rows


def _summary_by_band(
    conversations: list[dict[str, Any]], as_of: datetime | None, settings: Vars
) -> list[dict[str, Any]]:
    """conversation_summary_by_satisfaction_band: ten 0.1 bands per window
    (the score 1 in the top band)."""
    rows = []
    for days, members in _windows(conversations, as_of, settings):
        counts = Counter(
            min(max(math.floor(c["satisfaction_score"] * 10), 0), 9) for c in members
        )
        for band in range(10):
            rows.append(
                {
                    "window_days": days,
                    "satisfaction_band": band,
                    "band_lower_score": band / 10,
                    "band_upper_score": (band + 1) / 10,
                    "total_conversations": counts[band],
                    "conversation_share": _rounded(_percentage(counts[band], len(members)), 1),
                }
            )
    return rows


def _events_by_conversation_and(
    staged: list[dict[str, Any]], event_type: str, key: str
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """Events of `event_type` by conversation and `key` ('unknown' when missing)."""
    return _group(
        ({**e, key: e[key] or "unknown"} for e in staged if e["event_type"] == event_type),
        "conversation_id",
        key,
    )


def _summary_by_tool(
    staged: list[dict[str, Any]],
    conversations: list[dict[str, Any]],
    as_of: datetime | None,
    settings: Vars,
) -> list[dict[str, Any]]:
    """conversation_summary_by_tool: per window and tool, its calls and the
    rate metrics of the window's conversations that called it."""
    calls = _events_by_conversation_and(staged, "tool_called", "tool_name")
    rows = []
    for days, members in _windows(conversations, as_of, settings):
        by_id = {c["conversation_id"]: c for c in members}
        tools: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = defaultdict(list)
        for (conversation_id, tool), group in calls.items():
            if conversation_id in by_id:
                tools[tool].append((by_id[conversation_id], group))
        for tool, pairs in sorted(tools.items()):
            total_calls = sum(len(g) for _, g in pairs)
            errors = sum(1 for _, g in pairs for e in g if e["status"] == "error")
            rows.append(
                {
                    "window_days": days,
                    "tool_name": tool,
                    "total_calls": total_calls,
                    "error_calls": errors,
                    "error_rate": _rounded(_percentage(errors, total_calls), 1),
                    **_rate_aggregates([c for c, _ in pairs], settings.confidence_level),
                }
            )
    return rows


def _summary_by_model(
    staged: list[dict[str, Any]],
    conversations: list[dict[str, Any]],
    as_of: datetime | None,
    settings: Vars,
) -> list[dict[str, Any]]:
    """conversation_summary_by_model: per window and model, the rate metrics
    of the conversations it answered in, and its responses, latency, tokens."""
    responses = _events_by_conversation_and(staged, "agent_response", "model")
    rows = []
    for days, members in _windows(conversations, as_of, settings):
        by_id = {c["conversation_id"]: c for c in members}
        models: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = defaultdict(list)
        for (conversation_id, model), group in responses.items():
            if conversation_id in by_id:
                models[model].append((by_id[conversation_id], group))
        for model, pairs in sorted(models.items()):
            events = [e for _, g in pairs for e in g]
            latencies = [e["latency_ms"] for e in events if e["latency_ms"] is not None]
            output_tokens = sum(e["output_tokens"] or 0 for e in events)
            rows.append(
                {
                    "window_days": days,
                    "model": model,
                    "agent_responses": len(events),
                    "timed_responses": len(latencies),
                    "sum_latency_ms": _exact_sum(latencies),
                    "input_tokens": sum(e["input_tokens"] or 0 for e in events),
                    "output_tokens": output_tokens,
                    **_rate_aggregates([c for c, _ in pairs], settings.confidence_level),
                    "output_tokens_per_response": _rounded(Fraction(output_tokens, len(events)), 1),
                    "avg_latency_ms": _rounded(
                        _exact_sum(latencies) / len(latencies) if latencies else None, 1
                    ),
                }
            )
    return rows
