"""Fast simulated events for volume: millions of raw rows generated inside DuckDB.

`simulator.py` plays conversations one by one in Python, which is right for
a few thousand conversations and far too slow for ten million events. This
module generates the same kind of world with one SQL statement per load, so
DuckDB does the work on every core:

    plan = plan_for_events(10_000_000)                # ~820k conversations, 28 days
    simulate(plan, "duckdb", duckdb_path="bench.duckdb")
    plan, rows = append_day(plan, "duckdb", duckdb_path="bench.duckdb")

Everything is a pure function of the seed and a conversation number `c`: each
random choice is `hash(seed, c, stream)` (or `hash(seed, c, turn|slot,
stream)`), never `random()`, so the same plan gives the same rows on any
number of threads. Conversation starts are laid out in time order (day by
day, hour by hour with `simulator`'s business-hours and weekend shape), so
the table's row order is roughly delivery order, as in a real event table.

The world is `simulator`'s: its agents, channels, models, tools, hand-off
reasons, feedback and rephrase rates, and `DEGRADED_AGENT` losing about 25
points of completion rate in one week. Conversations are a little longer
(about 12 events each, so 10 million events are about 820k conversations).
The faults come at small rates, as `FAULT_RATES` says: re-delivered copies
(same id, same payload), conversations without their `started` event,
unknown event types, odd-case event types, missing ids, conversation ids and
timestamps, malformed metadata (a JSON string holding truncated JSON, a JSON
array, a JSON string) and wrong-typed metadata values. Rows are written to
`<raw_schema>.conversation_events` with the raw contract
(`raw_table.create_table_sql`, metadata as json/jsonb).

`append_day` delivers one more day: the new day's conversations, plus late
events for conversations of earlier days (`started` events that were missing
and `feedback_received` that arrives days later) and re-delivered copies of
events already loaded. Each late event and re-delivery is assigned to one
delivery day, so appending day after day never repeats one by design.

Ingestion times: the raw table's `loaded_at` is written explicitly, as a
daily batch load would set it. The rows of day N (its conversations) are
loaded `LOAD_DELAY` after day N ends (`day_loaded_at`), when every event of
those conversations has happened; `append_day`'s rows, late events and
copies included, get the load time of the day it delivers, and always a time
later than every row already in the table. A raw table without the column
gets the same rows without it.

PostgreSQL: the rows are generated in an in-memory DuckDB, written to a CSV
file (`export_csv`) and streamed with `COPY ... FROM STDIN` (`copy_csv`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb

if TYPE_CHECKING:
    import psycopg

from conversation_analytics.contract import EVENT_TYPES, RAW_COLUMNS
from conversation_analytics.raw_table import (
    DEFAULT_RAW_SCHEMA,
    INGESTION_COLUMN,
    TABLE_NAME,
    create_schema_sql,
    create_table_sql,
    qualified_name,
    quote_ident,
)
from conversation_analytics.simulation.simulator import (
    _HOUR_WEIGHTS,
    _MODEL_LATENCY_MS,
    _ODD_RATINGS,
    _UNRECOGNISED_RATINGS,
    _WEEKEND_WEIGHT,
    AGENTS,
    CHANNELS,
    DEGRADED_AGENT,
    DEGRADED_COMPLETION_DROP,
    EXACT_REPEAT_RATE,
    FEEDBACK_RATE,
    HANDOFF_RATE,
    HANDOFF_REASONS,
    ODD_RATING_RATE,
    REPHRASE_RATE,
    REPHRASE_RATE_WHEN_STRUGGLING,
    TOOL_CALL_RATE,
    TOOL_ERROR_RATE,
    UNRECOGNISED_RATING_RATE,
    degraded_week_start,
)
from conversation_analytics.warehouse import loader

FastTarget = Literal["duckdb", "postgres", "spark"]
"""Where `simulate` and `append_day` write."""

DEFAULT_START_DATE = date(2026, 9, 7)
DEFAULT_DAYS = 28
DEFAULT_SEED = 42

# Rows per conversation on average, measured over a million events (see
# tests/python/test_fastsim.py); plan_for_events divides by it.
EVENTS_PER_CONVERSATION = 12.05

# User turns per conversation, by outcome (1, 2, 3, ... turns).
_COMPLETED_TURN_WEIGHTS = (0.10, 0.14, 0.16, 0.15, 0.13, 0.10, 0.08, 0.06, 0.05, 0.03)
_ABANDONED_TURN_WEIGHTS = (0.24, 0.19, 0.15, 0.12, 0.10, 0.08, 0.05, 0.04, 0.03)
_OPEN_TURN_WEIGHTS = (0.28, 0.24, 0.18, 0.12, 0.08, 0.05, 0.03, 0.02)
_POSITIVE_WHEN_COMPLETED = 0.8
_POSITIVE_OTHERWISE = 0.3

FAULT_KINDS: tuple[str, ...] = (
    "duplicate_delivery",
    "missing_started",
    "unknown_event_type",
    "odd_case_event_type",
    "missing_id",
    "missing_conversation_id",
    "missing_timestamp",
    "malformed_metadata",
    "wrong_typed_metadata",
    "null_user_id",
)

# Share of events (or of conversations, for missing_started and
# null_user_id's anonymous conversations) that each fault hits.
FAULT_RATES: dict[str, float] = {
    "duplicate_delivery": 0.015,
    "missing_started": 0.02,
    "unknown_event_type": 0.03,
    "odd_case_event_type": 0.01,
    "missing_id": 0.003,
    "missing_conversation_id": 0.003,
    "missing_timestamp": 0.003,
    "malformed_metadata": 0.004,
    "wrong_typed_metadata": 0.004,
    "null_user_id": 0.005,
}
ANONYMOUS_CONVERSATION_RATE = 0.01

# append_day: late `started` events for half the conversations that lack
# one, late feedback for 3% of those without, and a re-delivered copy of 1%
# of the events, each delivered on one of the next few days.
LATE_STARTED_SHARE = 0.5
LATE_STARTED_MAX_DAYS = 7
LATE_FEEDBACK_RATE = 0.03
LATE_FEEDBACK_MAX_DAYS = 3
REDELIVERY_RATE = 0.01
REDELIVERY_MAX_DAYS = 2

# The daily batch delivering day N is loaded this long after day N ends (a
# conversation lasts well under an hour, so all its events are in).
LOAD_DELAY = timedelta(hours=2)
# append_day's load time is at least this much later than the table's latest.
_LOAD_TIME_STEP = timedelta(milliseconds=1)

_UNKNOWN_EVENT_TYPES = ("typing_indicator", "typing_indicator", "", "   ")
_MISSING_TEXT = ("null", "''", "'   '")
_TWO_TO_MINUS_53 = 2.0**-53


class FastSimError(RuntimeError):
    """The events could not be generated or written; the message says why."""


@dataclass(frozen=True)
class FastSimPlan:
    """What a fast simulation covers. `simulate` writes days 0 to days - 1;
    `append_day` writes day `days` and returns the plan with one more day.
    The same plan always gives the same rows."""

    seed: int
    start_date: date
    days: int
    # Conversations on a weekday (weekends get _WEEKEND_WEIGHT of it).
    conversations_per_weekday: float
    degraded_week: date | None
    users: int

    def day_date(self, day: int) -> date:
        return self.start_date + timedelta(days=day)

    def conversations_on(self, day: int) -> int:
        """Conversations starting on day `day` (0 = start_date)."""
        return self._first_conversation(day + 1) - self._first_conversation(day)

    def conversation_range(self, first_day: int, end_day: int) -> tuple[int, int]:
        """Conversation numbers [from, to) starting on days [first_day, end_day)."""
        return self._first_conversation(first_day), self._first_conversation(end_day)

    @property
    def conversations(self) -> int:
        """Conversations starting on the plan's days."""
        return self._first_conversation(self.days)

    @property
    def end_date(self) -> date:
        """The last day covered."""
        return self.day_date(self.days - 1)

    def day_loaded_at(self, day: int) -> datetime:
        """When the batch delivering day `day` is loaded (UTC): `LOAD_DELAY`
        after the day ends."""
        return datetime.combine(self.day_date(day + 1), time.min, UTC) + LOAD_DELAY

    def _first_conversation(self, day: int) -> int:
        return sum(self._day_count(d) for d in range(max(0, day)))

    def _day_count(self, day: int) -> int:
        weekend = self.day_date(day).weekday() >= 5
        return round(self.conversations_per_weekday * (_WEEKEND_WEIGHT if weekend else 1.0))


def plan_for_events(
    events: int,
    *,
    start_date: date = DEFAULT_START_DATE,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
) -> FastSimPlan:
    """A plan of about `events` rows over `days` days (within a fraction of a
    percent at a million events; a few percent at a few thousand)."""
    if events < 1:
        raise FastSimError("events must be at least 1")
    if days < 1:
        raise FastSimError("days must be at least 1")
    weights = sum(
        _WEEKEND_WEIGHT if (start_date + timedelta(days=d)).weekday() >= 5 else 1.0
        for d in range(days)
    )
    conversations = max(1.0, events / EVENTS_PER_CONVERSATION)
    return FastSimPlan(
        seed=seed,
        start_date=start_date,
        days=days,
        conversations_per_weekday=conversations / weights,
        degraded_week=degraded_week_start(start_date, days),
        users=max(20, round(conversations) // 3),
    )


# --- SQL building blocks --------------------------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]"


class _Draws:
    """Uniform draws in [0, 1) from hash(seed, keys...): deterministic, and
    independent of how DuckDB splits the work between threads."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def hash(self, *keys: object) -> str:
        # DuckDB combines the hashes of several arguments linearly, so draws
        # that differ only in their last key would be correlated: hashing the
        # combined hash again breaks that.
        return f"hash(hash({self.seed}, {', '.join(str(k) for k in keys)}))"

    def u(self, *keys: object) -> str:
        return f"((({self.hash(*keys)}) >> 11)::double * {_TWO_TO_MINUS_53!r})"

    def normal(self, *keys: object) -> str:
        """A standard normal draw (Box-Muller), clipped to [-3, 3]."""
        first, second = self.u(*keys, 1), self.u(*keys, 2)
        return (
            f"greatest(-3.0, least(3.0, sqrt(-2.0 * ln(1.0 - {first})) "
            f"* cos(2.0 * pi() * {second})))"
        )


def _pick(draw: str, choices: Sequence[tuple[str, float]]) -> str:
    """SQL choosing one of the (sql value, weight) pairs with a uniform draw."""
    total = sum(w for _, w in choices)
    cumulative, branches = 0.0, []
    for value, weight in choices[:-1]:
        cumulative += weight / total
        branches.append(f"when {draw} < {cumulative!r} then {value}")
    return f"case {' '.join(branches)} else {choices[-1][0]} end"


def _by_agent(values: dict[str, str], column: str = "agent_id") -> str:
    branches = " ".join(f"when {_sql_text(k)} then {v}" for k, v in values.items())
    return f"case {column} {branches} end"


def _turn_pick(draw: str, weights: Sequence[float]) -> str:
    return _pick(draw, [(str(i + 1), w) for i, w in enumerate(weights)])


def _layered(source: str, *layers: str) -> str:
    """`source` wrapped in one `select *, <columns> from (...)` per layer.

    DuckDB copies the expression of a column alias into every place that
    reuses it in the same select list, so a chain of reused aliases grows
    without bound; a column of the layer below is computed once per row."""
    sql = source
    for columns in layers:
        sql = f"select *, {columns} from ({sql})"
    return sql


def _as_list(values: Sequence[float | int]) -> str:
    typed = (f"{v!r}::double" if isinstance(v, float) else repr(v) for v in values)
    return "[" + ", ".join(typed) + "]"


def _conversations_sql(plan: FastSimPlan, c_from: int, c_to: int) -> str:
    """One row per conversation number in [c_from, c_to), in order: when it
    starts, who, which agent, how it goes.

    Days [0, plan.days] hold consecutive numbers; within a day the numbers
    spread over the UTC hours by the business-hours weights and are evenly
    spaced within the hour, so numbers are in time order. Plain expressions
    over range(), no join, so rows come out in the order of range()."""
    d = _Draws(plan.seed)
    days = plan.days + 1
    firsts = [plan.conversation_range(day, day + 1)[0] for day in range(days)]
    counts = [plan.conversations_on(day) for day in range(days)]
    midnights = [
        datetime.combine(plan.day_date(day), datetime.min.time(), UTC).timestamp()
        for day in range(days)
    ]
    total = sum(_HOUR_WEIGHTS)
    cumulative, running = [], 0.0
    for weight in _HOUR_WEIGHTS:
        running += weight
        cumulative.append(running / total)
    before = [0.0, *cumulative[:-1]]
    day_case = " ".join(
        f"when r.c < {firsts[day] + counts[day]} then {day}" for day in range(days - 1)
    )
    hour_case = " ".join(
        f"when position < round(day_count * {cumulative[h]!r}::double) then {h}"
        for h in range(23)
    )
    degraded_from = degraded_to = 0.0
    if plan.degraded_week is not None:
        degraded_from = datetime.combine(
            plan.degraded_week, datetime.min.time(), UTC
        ).timestamp()
        degraded_to = degraded_from + 7 * 86400.0
    completion = _by_agent({a.agent_id: repr(a.completion_rate) for a in AGENTS})
    abandonment = _by_agent({a.agent_id: repr(a.abandonment_rate) for a in AGENTS})
    odd_rating = (
        "case rating_clean "
        + " ".join(
            f"when {_sql_text(k)} then {_sql_list(v)}[1 + (rating_hash % {len(v)})::int]"
            for k, v in _ODD_RATINGS.items()
        )
        + " end"
    )
    unrecognised = (
        f"{_sql_list(_UNRECOGNISED_RATINGS)}"
        f"[1 + (rating_hash % {len(_UNRECOGNISED_RATINGS)})::int]"
    )
    return _layered(
        f"""
        select r.c, case {day_case} else {days - 1} end as day
        from range({int(c_from)}, {int(c_to)}) as r(c)
        """,
        f"""
            c - {_as_list(firsts)}[day + 1] as position,
            {_as_list(counts)}[day + 1] as day_count,
            {_as_list(midnights)}[day + 1] as midnight_epoch,
            {_pick(d.u("c", 1), [(_sql_text(a.agent_id), a.weight) for a in AGENTS])}
                as agent_id,
            {_pick(d.u("c", 2), [(_sql_text(c), w) for c, w in CHANNELS])} as channel,
            {d.u("c", 3)} as model_draw,
            {d.u("c", 4)} as outcome_draw,
            {d.u("c", 5)} as turns_draw,
            {d.u("c", 6)} < {HANDOFF_RATE * 1.6!r} as handoff_if_struggling,
            {d.u("c", 6)} < {HANDOFF_RATE * 0.85!r} as handoff_otherwise,
            {d.u("c", 7)} < {FEEDBACK_RATE!r} as gives_feedback,
            {d.u("c", 8)} as positive_draw,
            {d.u("c", 9)} as rating_fault_draw,
            {d.hash("c", 10)} as rating_hash,
            {d.u("c", 11)} < {FAULT_RATES["missing_started"]!r} as missing_started,
            case when {d.u("c", 12)} >= {ANONYMOUS_CONVERSATION_RATE!r}
                then 'user-' || lpad(({d.hash("c", 13)} % {plan.users})::varchar, 7, '0')
            end as user_id,
            cast(md5('conversation:{plan.seed}:' || c) as uuid)::varchar as conversation_id,
            {d.u("c", 14)} < {FAULT_RATES["unknown_event_type"]!r} as has_noise,
            {d.hash("c", 15)} as noise_hash,
            {d.u("c", 16)} < 0.3 as leaves_before_answer,
            30.0 + 120.0 * {d.u("c", 17)} as gap_seconds,
            {d.u("c", 18)} as terminal_draw
        """,
        f"""
            case {hour_case} else 23 end as hour,
            {_by_agent({
                a.agent_id: _pick("model_draw", [(_sql_text(m), w) for m, w in a.models])
                for a in AGENTS
            })} as model
        """,
        f"""
            round(day_count * {_as_list(before)}[hour + 1]) as hour_first,
            round(day_count * {_as_list(cumulative)}[hour + 1]) as hour_end
        """,
        """
            midnight_epoch + 3600.0 * hour
                + 3600.0 * (position - hour_first + 0.5) / (hour_end - hour_first)
                as start_epoch
        """,
        f"""
            agent_id = {_sql_text(DEGRADED_AGENT)}
                and start_epoch >= {degraded_from!r}
                and start_epoch < {degraded_to!r} as degraded
        """,
        f"""
            {completion} - case when degraded
                then {DEGRADED_COMPLETION_DROP!r} else 0.0 end as completion_rate,
            {abandonment} + case when degraded
                then {DEGRADED_COMPLETION_DROP * 0.8!r} else 0.0 end as abandonment_rate
        """,
        """
            case
                when outcome_draw < completion_rate then 'completed'
                when outcome_draw < completion_rate + abandonment_rate then 'abandoned'
                else 'timed_out'
            end as outcome
        """,
        f"""
            case outcome
                when 'completed' then {_turn_pick("turns_draw", _COMPLETED_TURN_WEIGHTS)}
                when 'abandoned' then {_turn_pick("turns_draw", _ABANDONED_TURN_WEIGHTS)}
                else {_turn_pick("turns_draw", _OPEN_TURN_WEIGHTS)}
            end as turns,
            case when outcome = 'abandoned' then handoff_if_struggling
                else handoff_otherwise end as has_handoff,
            case when gives_feedback then
                case when positive_draw < case when outcome = 'completed'
                    then {_POSITIVE_WHEN_COMPLETED!r} else {_POSITIVE_OTHERWISE!r} end
                    then 'positive' else 'negative' end
            end as rating_clean,
            outcome = 'abandoned' and leaves_before_answer as left_before_answer
        """,
        f"""
            case
                when rating_clean is null then null
                when rating_fault_draw < {UNRECOGNISED_RATING_RATE!r} then {unrecognised}
                when rating_fault_draw < {UNRECOGNISED_RATING_RATE + ODD_RATING_RATE!r}
                    then {odd_rating}
                else rating_clean
            end as rating,
            1 + (noise_hash % turns)::int as noise_turn,
            outcome = 'abandoned' or has_handoff as struggling,
            start_epoch + 2.0 + (turns - 1) * gap_seconds + 0.4 * gap_seconds + 15.0
                as end_epoch
        """,
        """
            end_epoch + case outcome
                when 'completed' then 6.0 + 55.0 * terminal_draw
                else 35.0 + 570.0 * terminal_draw end as terminal_epoch
        """,
    )


def _events_sql(conversations_sql: str, plan: FastSimPlan) -> str:
    """Every event of the conversations, faults included: the six raw
    columns plus helper columns (c; s, the event's slot in its conversation;
    kind; copy, 1 for a re-delivered copy; day)."""
    d = _Draws(plan.seed)
    tools = _by_agent({a.agent_id: _sql_list(a.tools) for a in AGENTS})
    tool_counts = _by_agent({a.agent_id: str(len(a.tools)) for a in AGENTS})
    latency_base = _by_agent(
        {m: repr(ms) for m, ms in _MODEL_LATENCY_MS.items()}, column="model"
    )
    rephrase_rate = (
        f"case when struggling then {REPHRASE_RATE_WHEN_STRUGGLING!r} "
        f"else {REPHRASE_RATE!r} end"
    )

    def typed(value: str, bad: str) -> str:
        """`value` as JSON, or the wrong-typed text `bad` on a faulty row."""
        return f"case when wrong_typed then to_json({_sql_text(bad)}) else to_json({value}) end"

    metadata = f"""
        case kind
            when 'started' then json_object('channel', channel, 'agent_id', agent_id)
            when 'user_message' then
                case when turn = 1 then json_object(
                    'turn', {typed('turn', 'three')},
                    'message_length', message_length,
                    'is_exact_repeat', false)
                else json_object(
                    'turn', {typed('turn', 'three')},
                    'message_length', message_length,
                    'similarity_to_previous', similarity,
                    'is_exact_repeat', similarity = 1.0)
                end
            when 'tool_called' then json_object(
                'tool_name', {tools}[1 + (event_hash % {tool_counts})::int],
                'turn', {typed('turn', 'three')},
                'status', case when event_draw < {TOOL_ERROR_RATE!r}
                    then 'error' else 'ok' end)
            when 'agent_response' then json_object(
                'turn', turn,
                'response_length', response_length,
                'model', model,
                'latency_ms', {typed('latency_ms', 'fast')},
                'input_tokens', 350 + 220 * turn + (event_hash % 401)::int,
                'output_tokens', output_tokens)
            when 'handoff_requested' then json_object(
                'reason', {_sql_list(HANDOFF_REASONS)}[1 + (event_hash %
                    {len(HANDOFF_REASONS)})::int],
                'turn', {typed('turns', 'three')})
            when 'feedback_received' then json_object('rating', rating)
            when 'completed' then json_object('total_turns', {typed('turns', 'many')})
            when 'abandoned' then json_object(
                'abandoned_at_turn', {typed('turns', 'second')})
            else json_object('turn', turn)
        end
    """
    slots = f"""
        select *, unnest(range(0, 4 * turns + 5)) as s from ({conversations_sql})
    """
    kinds = _layered(
        slots,
        """
            case when s between 1 and 4 * turns then (s - 1) // 4 + 1
                when s = 4 * turns + 4 then noise_turn end as turn,
            (s - 1) % 4 as part
        """,
        f"""
            case when {d.u('c', 'turn', 201)} < {TOOL_CALL_RATE!r} then
                case when {d.u('c', 'turn', 202)} < 0.85 then 1 else 2 end
                else 0 end as tool_calls,
            start_epoch + 2.0 + (turn - 1) * gap_seconds
                + 0.4 * gap_seconds * {d.u('c', 'turn', 203)} as user_epoch
        """,
        """
            case
                when s = 0 then case when not missing_started then 'started' end
                when s <= 4 * turns then case part
                    when 0 then 'user_message'
                    when 1 then case when tool_calls >= 1 then 'tool_called' end
                    when 2 then case when tool_calls >= 2 then 'tool_called' end
                    else case when not (left_before_answer and turn = turns)
                        then 'agent_response' end
                end
                when s = 4 * turns + 1 then
                    case when has_handoff then 'handoff_requested' end
                when s = 4 * turns + 2 then
                    case when outcome in ('completed', 'abandoned') then outcome end
                when s = 4 * turns + 3 then
                    case when rating is not null then 'feedback_received' end
                else case when has_noise then 'noise' end
            end as kind
        """,
    )
    events = _layered(
        f"select * from ({kinds}) where kind is not null",
        f"""
            greatest(2, floor(exp(4.2 + 0.7 * {d.normal('c', 'turn', 204)})))::int
                as message_length,
            {d.u('c', 'turn', 205)} as repeat_draw,
            greatest(20, floor(exp(5.6 + 0.6 * {d.normal('c', 'turn', 214)})))::int
                as response_length,
            ({d.hash('c', 'turn', 215)} % 11)::int - 5 as token_noise,
            exp(0.35 * {d.normal('c', 'turn', 216)}) as latency_factor,
            {d.hash('c', 's', 210)} as event_hash,
            {d.u('c', 's', 211)} as event_draw,
            {d.u('c', 's', 217)} as tool_delay_draw,
            {d.u('c', 218)} as handoff_delay_draw,
            {d.u('c', 219)} as feedback_delay_draw,
            {d.u('c', 's', 301)} < {FAULT_RATES['duplicate_delivery']!r} as redelivered,
            {d.u('c', 's', 302)} < {FAULT_RATES['missing_id']!r} as loses_id,
            {d.u('c', 's', 303)} < {FAULT_RATES['missing_conversation_id']!r}
                as loses_conversation_id,
            {d.u('c', 's', 304)} < {FAULT_RATES['missing_timestamp']!r} as loses_timestamp,
            {d.u('c', 's', 305)} < {FAULT_RATES['odd_case_event_type']!r} as odd_case,
            {d.u('c', 's', 306)} < {FAULT_RATES['wrong_typed_metadata']!r} as wrong_typed,
            {d.u('c', 's', 307)} < {FAULT_RATES['null_user_id']!r} as loses_user_id,
            {d.u('c', 's', 311)} < {FAULT_RATES['malformed_metadata']!r} as malformed,
            {d.hash('c', 's', 312)} as fault_hash
        """,
        f"""
            case
                when repeat_draw < {EXACT_REPEAT_RATE!r} then 1.0
                when repeat_draw < {EXACT_REPEAT_RATE!r} + {rephrase_rate}
                    then round(0.85 + 0.14 * {d.u('c', 'turn', 206)}, 3)
                else round(0.28 * ({d.u('c', 'turn', 207)} + {d.u('c', 'turn', 208)}
                    + {d.u('c', 'turn', 209)}), 3)
            end as similarity,
            greatest(5, response_length // 4 + token_noise) as output_tokens
        """,
        f"""
            round({latency_base} * latency_factor + 8 * output_tokens, 1) as latency_ms
        """,
        """
            case kind
                when 'started' then start_epoch
                when 'user_message' then user_epoch
                when 'tool_called' then user_epoch + 0.3 + 1.7 * (part - 1)
                    + 1.5 * tool_delay_draw
                when 'agent_response' then user_epoch + 4.0 + latency_ms / 1000.0
                when 'handoff_requested' then end_epoch + 1.0 + 4.0 * handoff_delay_draw
                when 'completed' then terminal_epoch
                when 'abandoned' then terminal_epoch
                when 'feedback_received' then terminal_epoch + 5.0
                    + 295.0 * feedback_delay_draw
                else user_epoch - 1.5
            end as event_epoch,
            {metadata} as metadata_object
        """.replace("{metadata}", metadata),
    )
    return f"""
        select
            c,
            s,
            day,
            kind,
            unnest(case when redelivered then [0, 1] else [0] end) as copy,
            case when loses_id then {_missing_text('fault_hash')}
                else cast(md5('event:{plan.seed}:' || c || ':' || s) as uuid)::varchar
            end as id,
            case when loses_conversation_id then {_missing_text('(fault_hash // 3)')}
                else conversation_id
            end as conversation_id,
            case when loses_user_id then null else user_id end as user_id,
            case
                when kind = 'noise' then {_sql_list(_UNKNOWN_EVENT_TYPES)}
                    [1 + (fault_hash % {len(_UNKNOWN_EVENT_TYPES)})::int]
                when odd_case then case fault_hash % 4
                    when 0 then upper(kind)
                    when 1 then ' ' || upper(kind[1]) || kind[2:] || ' '
                    when 2 then upper(kind[1]) || kind[2:] || '  '
                    else '  ' || kind
                end
                else kind
            end as event_type,
            case when loses_timestamp then null
                else to_timestamp(round(event_epoch, 3)) end as "timestamp",
            case
                when not malformed then metadata_object
                when fault_hash % 3 = 0 then to_json(
                    left(metadata_object::varchar, length(metadata_object::varchar) // 2))
                when fault_hash % 3 = 1 then json_array(metadata_object)
                else to_json(replace(replace(replace(metadata_object::varchar,
                    '"', ''), ':', '='), ',', ';'))
            end as metadata
        from ({events})
    """


def _missing_text(hash_sql: str) -> str:
    """null, '' or '   ' (all count as missing), chosen by a hash."""
    return (
        f"case ({hash_sql} % 3) when 0 then {_MISSING_TEXT[0]} "
        f"when 1 then {_MISSING_TEXT[1]} else {_MISSING_TEXT[2]} end"
    )


_RAW_SELECT = ", ".join(f'"{c}"' for c in RAW_COLUMNS)
_LOADED_SELECT = f"{_RAW_SELECT}, {quote_ident(INGESTION_COLUMN)}"


def _timestamptz_sql(moment: datetime) -> str:
    """A timestamptz literal of an aware datetime, exact to the microsecond."""
    return f"{_sql_text(moment.astimezone(UTC).isoformat())}::timestamptz"


def base_events_sql(plan: FastSimPlan, *, with_loaded_at: bool = False) -> str:
    """SQL of every row of days [0, plan.days), in the raw table's columns
    and delivery order; with `with_loaded_at`, `loaded_at` too: the load time
    of the row's day (`FastSimPlan.day_loaded_at`)."""
    c_from, c_to = plan.conversation_range(0, plan.days)
    events = _events_sql(_conversations_sql(plan, c_from, c_to), plan)
    if not with_loaded_at:
        return f"select {_RAW_SELECT} from ({events})"
    first = int(plan.day_loaded_at(0).timestamp())
    return (
        f"select {_RAW_SELECT}, to_timestamp({first} + 86400 * day) as {INGESTION_COLUMN} "
        f"from ({events})"
    )


def day_events_sql(
    plan: FastSimPlan, *, with_loaded_at: bool = False, loaded_at: datetime | None = None
) -> str:
    """SQL of the rows delivered on day `plan.days`: that day's
    conversations, late events of earlier conversations, re-delivered copies.
    With `with_loaded_at` (or a `loaded_at`), `loaded_at` too: `loaded_at`,
    by default the load time of day `plan.days`, on every row."""
    if loaded_at is not None or with_loaded_at:
        moment = loaded_at or plan.day_loaded_at(plan.days)
        columns = f"{_RAW_SELECT}, {_timestamptz_sql(moment)} as {INGESTION_COLUMN}"
    else:
        columns = _RAW_SELECT
    d = _Draws(plan.seed)
    day = plan.days
    new_from, new_to = plan.conversation_range(day, day + 1)
    new_rows = _events_sql(_conversations_sql(plan, new_from, new_to), plan)

    def history(max_days: int) -> tuple[int, int]:
        return plan.conversation_range(max(0, day - max_days), day)

    started_from, started_to = history(LATE_STARTED_MAX_DAYS)
    late_started_conversations = f"""
        select * replace (false as missing_started)
        from ({_conversations_sql(plan, started_from, started_to)})
        where missing_started
            and {d.u('c', 401)} < {LATE_STARTED_SHARE!r}
            and day + 1 + ({d.hash('c', 402)} % {LATE_STARTED_MAX_DAYS}) = {day}
    """
    feedback_from, feedback_to = history(LATE_FEEDBACK_MAX_DAYS)
    late_feedback_conversations = f"""
        select * replace (
            case when {d.u('c', 404)} < {_POSITIVE_OTHERWISE!r}
                then 'positive' else 'negative' end as rating
        )
        from ({_conversations_sql(plan, feedback_from, feedback_to)})
        where rating is null
            and {d.u('c', 403)} < {LATE_FEEDBACK_RATE!r}
            and day + 1 + ({d.hash('c', 405)} % {LATE_FEEDBACK_MAX_DAYS}) = {day}
    """
    copies_from, copies_to = history(REDELIVERY_MAX_DAYS)
    copies = _events_sql(_conversations_sql(plan, copies_from, copies_to), plan)
    return f"""
        select {columns} from ({new_rows})
        union all
        select {columns} from ({_events_sql(late_started_conversations, plan)})
        where s = 0 and copy = 0
        union all
        select {columns} from ({_events_sql(late_feedback_conversations, plan)})
        where kind = 'feedback_received' and copy = 0
        union all
        select {columns} from ({copies})
        where copy = 0
            and {d.u('c', 's', 406)} < {REDELIVERY_RATE!r}
            and day + 1 + ({d.hash('c', 's', 407)} % {REDELIVERY_MAX_DAYS}) = {day}
    """


# --- writing --------------------------------------------------------------------------


def _catalog(connection: duckdb.DuckDBPyConnection) -> str:
    """The database's name, quoted: names are qualified with it, since DuckDB
    names it after the file and `raw.duckdb` would make "raw" ambiguous."""
    row = connection.execute("select current_database()").fetchone()
    return quote_ident(str(row[0]) if row else "memory")


def _duckdb_table(connection: duckdb.DuckDBPyConnection, raw_schema: str) -> str:
    return f"{_catalog(connection)}.{qualified_name(raw_schema)}"


def _prepare_duckdb_table(
    connection: duckdb.DuckDBPyConnection,
    raw_schema: str,
    replace_table: bool,
    ingestion_column: bool = True,
) -> str:
    table = _duckdb_table(connection, raw_schema)
    catalog = _catalog(connection)
    connection.execute(create_schema_sql(raw_schema).replace(
        quote_ident(raw_schema), f"{catalog}.{quote_ident(raw_schema)}", 1
    ))
    if replace_table:
        connection.execute(f"drop table if exists {table}")
    connection.execute(
        create_table_sql("duckdb", raw_schema, "json", ingestion_column=ingestion_column).replace(
            qualified_name(raw_schema), table, 1
        )
    )
    return table


def _duckdb_has_loaded_at(connection: duckdb.DuckDBPyConnection, raw_schema: str) -> bool:
    row = connection.execute(
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? and column_name = ?",
        [raw_schema, TABLE_NAME, INGESTION_COLUMN],
    ).fetchone()
    return bool(row and row[0])


def _next_load_time(plan: FastSimPlan, latest: datetime | None) -> datetime:
    """append_day's load time: day `plan.days`'s, or just after `latest` (the
    table's latest `loaded_at`) when that is not earlier."""
    scheduled = plan.day_loaded_at(plan.days)
    if latest is None:
        return scheduled
    return max(scheduled, latest.astimezone(UTC) + _LOAD_TIME_STEP)


def _duckdb_latest_load(connection: duckdb.DuckDBPyConnection, table: str) -> datetime | None:
    row = connection.execute(
        f"select epoch_us(max({quote_ident(INGESTION_COLUMN)})) from {table}"
    ).fetchone()
    if not row or row[0] is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(row[0]))


def _session(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("set TimeZone = 'UTC'")


def simulate(
    plan: FastSimPlan,
    target: FastTarget = "duckdb",
    *,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    replace_table: bool = True,
    workdir: str | os.PathLike[str] | None = None,
    ingestion_column: bool = True,
) -> int:
    """Write days [0, plan.days) to `<raw_schema>.conversation_events` of
    the target (the table is dropped first unless `replace_table` is false)
    and return the rows written. A table this creates has `loaded_at` unless
    `ingestion_column` is false; when the table has it, each row gets its
    day's load time. Spark (the Thrift Server of CA_SPARK_*) goes through
    Parquet files in a staging folder under `workdir` (`spark.staging_folder`)
    and always has `loaded_at`."""
    if target == "duckdb":
        return _write_duckdb(
            plan, duckdb_path, raw_schema, replace_table, base=True,
            ingestion_column=ingestion_column,
        )
    if target == "spark":
        return _write_spark(plan, raw_schema, replace_table, workdir, base=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="fastsim-") as folder:
        csv_path = Path(folder) / "events.csv"
        export_csv(plan, csv_path, with_loaded_at=ingestion_column)
        return copy_csv(
            csv_path, conninfo, raw_schema=raw_schema, replace_table=replace_table,
            with_loaded_at=ingestion_column, ingestion_column=ingestion_column,
        )


def append_day(
    plan: FastSimPlan,
    target: FastTarget = "duckdb",
    *,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    workdir: str | os.PathLike[str] | None = None,
    ingestion_column: bool = True,
) -> tuple[FastSimPlan, int]:
    """Append the rows delivered on day `plan.days` (see `day_events_sql`);
    return the plan covering one more day and the rows written.

    When the table has `loaded_at`, every appended row gets one load time:
    day `plan.days`'s (`FastSimPlan.day_loaded_at`), or, if the table already
    holds a row loaded at or after that, a millisecond after its latest. A
    table this creates has the column unless `ingestion_column` is false."""
    if target == "duckdb":
        rows = _write_duckdb(
            plan, duckdb_path, raw_schema, False, base=False, ingestion_column=ingestion_column
        )
    elif target == "spark":
        rows = _write_spark(plan, raw_schema, False, workdir, base=False)
    else:
        loaded_at = _next_load_time(plan, _postgres_latest_load(conninfo, raw_schema))
        with tempfile.TemporaryDirectory(dir=workdir, prefix="fastsim-") as folder:
            csv_path = Path(folder) / "day.csv"
            export_csv(plan, csv_path, part="day", loaded_at=loaded_at)
            rows = copy_csv(
                csv_path, conninfo, raw_schema=raw_schema, replace_table=False,
                ingestion_column=ingestion_column,
            )
    return replace(plan, days=plan.days + 1), rows


def _write_duckdb(
    plan: FastSimPlan,
    duckdb_path: str | os.PathLike[str] | None,
    raw_schema: str,
    replace_table: bool,
    *,
    base: bool,
    ingestion_column: bool = True,
) -> int:
    with closing(loader.connect_duckdb(duckdb_path)) as connection:
        try:
            _session(connection)
            connection.execute("begin transaction")
            table = _prepare_duckdb_table(
                connection, raw_schema, replace_table, ingestion_column
            )
            loaded = _duckdb_has_loaded_at(connection, raw_schema)
            if base:
                sql = base_events_sql(plan, with_loaded_at=loaded)
            elif loaded:
                moment = _next_load_time(plan, _duckdb_latest_load(connection, table))
                sql = day_events_sql(plan, loaded_at=moment)
            else:
                sql = day_events_sql(plan)
            columns = _LOADED_SELECT if loaded else _RAW_SELECT
            before = _count(connection, table)
            connection.execute(f"insert into {table} ({columns}) {sql}")
            rows = _count(connection, table) - before
            connection.execute("commit")
        except duckdb.Error as exc:
            raise FastSimError(f"generating events in DuckDB failed: {_first_line(exc)}") from None
    return rows


def _count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    row = connection.execute(f"select count(*) from {table}").fetchone()
    return int(row[0]) if row else 0


def export_csv(
    plan: FastSimPlan,
    path: str | os.PathLike[str],
    *,
    part: Literal["base", "day"] = "base",
    with_loaded_at: bool = True,
    loaded_at: datetime | None = None,
) -> int:
    """Write the base rows (or, with part='day', the rows of `append_day`)
    to a headerless CSV file in RAW_COLUMNS order, then `loaded_at` unless
    `with_loaded_at` is false (the rows' load times; with part='day',
    `loaded_at` when given), as PostgreSQL's COPY reads it: null unquoted and
    empty, '' quoted. Returns the rows."""
    with closing(duckdb.connect()) as connection:
        try:
            _session(connection)
            if part == "base":
                sql = base_events_sql(plan, with_loaded_at=with_loaded_at)
            else:
                sql = day_events_sql(
                    plan, with_loaded_at=with_loaded_at,
                    loaded_at=loaded_at if with_loaded_at else None,
                )
            target = _sql_text(str(path))
            connection.execute(f"copy ({sql}) to {target} (format csv, header false)")
            row = connection.execute(
                f"select count(*) from read_csv({target}, header = false, all_varchar = true)"
            ).fetchone()
        except duckdb.Error as exc:
            raise FastSimError(f"generating events in DuckDB failed: {_first_line(exc)}") from None
    return int(row[0]) if row else 0


def export_parquet(
    plan: FastSimPlan,
    folder: str | os.PathLike[str],
    *,
    part: Literal["base", "day"] = "base",
    loaded_at: datetime | None = None,
) -> tuple[Path, int]:
    """Write the base rows (or, with part='day', the rows of `append_day`,
    loaded at `loaded_at`) with `loaded_at` to `<folder>/<part>.parquet` in
    the Spark raw table's types (`spark.write_parquet`). Returns the file
    and its rows."""
    from conversation_analytics.warehouse import spark

    with closing(duckdb.connect()) as connection:
        try:
            _session(connection)
            if part == "base":
                sql = base_events_sql(plan, with_loaded_at=True)
            else:
                sql = day_events_sql(plan, with_loaded_at=True, loaded_at=loaded_at)
            return spark.write_parquet(connection, sql, Path(folder), part)
        except duckdb.Error as exc:
            raise FastSimError(f"generating events in DuckDB failed: {_first_line(exc)}") from None


def insert_parquet_spark(
    path: str | os.PathLike[str], raw_schema: str = DEFAULT_RAW_SCHEMA, *, replace_table: bool
) -> None:
    """Append a Parquet file from `export_parquet` to Spark's raw table
    (`spark.insert_parquet`; `replace_table` drops the table first)."""
    from conversation_analytics.warehouse import spark

    with closing(spark.connect_spark()) as connection:
        try:
            spark.insert_parquet(connection.cursor(), path, raw_schema, replace=replace_table)
        except Exception as exc:  # PyHive and thrift raise their own errors
            raise FastSimError(
                f"loading Parquet into Spark failed: {spark.server_error(exc)}"
            ) from None


def _spark_latest_load(raw_schema: str) -> datetime | None:
    """The latest `loaded_at` of Spark's raw table (UTC), None when it is empty."""
    from conversation_analytics.warehouse import spark

    with closing(spark.connect_spark()) as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(
                f"select max(loaded_at) from {spark.spark_ident(raw_schema)}.conversation_events"
            )
            row = cursor.fetchone()
        except Exception as exc:  # PyHive and thrift raise their own errors
            raise FastSimError(f"reading Spark failed: {spark.server_error(exc)}") from None
    latest = row[0] if row else None
    return None if latest is None else latest.replace(tzinfo=UTC)


def _write_spark(
    plan: FastSimPlan,
    raw_schema: str,
    replace_table: bool,
    workdir: str | os.PathLike[str] | None,
    *,
    base: bool,
) -> int:
    from conversation_analytics.warehouse import spark

    folder = spark.staging_folder(workdir)
    try:
        if base:
            path, rows = export_parquet(plan, folder)
        else:
            moment = _next_load_time(plan, _spark_latest_load(raw_schema))
            path, rows = export_parquet(plan, folder, part="day", loaded_at=moment)
        insert_parquet_spark(path, raw_schema, replace_table=replace_table)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


COPY_BLOCK_BYTES = 1 << 20


def copy_csv(
    path: str | os.PathLike[str],
    conninfo: str | None = None,
    *,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    replace_table: bool = False,
    with_loaded_at: bool = True,
    ingestion_column: bool = True,
) -> int:
    """COPY a CSV file from `export_csv` into PostgreSQL's raw table
    (creating it, or recreating it with `replace_table`; with `loaded_at`
    unless `ingestion_column` is false), analyze the table, and return the
    rows copied. One transaction. `with_loaded_at` says whether the file has
    the `loaded_at` column (export_csv's default); a table without the column
    takes the other six."""
    import psycopg

    table = qualified_name(raw_schema)
    columns = _RAW_SELECT
    with closing(loader.connect_postgres(conninfo)) as connection:
        try:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(create_schema_sql(raw_schema))
                if replace_table:
                    cursor.execute(f"drop table if exists {table} cascade")
                cursor.execute(
                    create_table_sql(
                        "postgres", raw_schema, "json", ingestion_column=ingestion_column
                    )
                )
                into = table
                if with_loaded_at:
                    if _postgres_has_loaded_at(cursor, raw_schema):
                        columns = _LOADED_SELECT
                    else:
                        # The file has a column the table lacks: COPY into a
                        # scratch table and move the six event columns.
                        into = quote_ident("fastsim_copy")
                        cursor.execute(
                            f"create temporary table {into} (like {table}) on commit drop"
                        )
                        cursor.execute(
                            f"alter table {into} add column "
                            f"{quote_ident(INGESTION_COLUMN)} timestamptz"
                        )
                        columns = _LOADED_SELECT
                with (
                    open(path, "rb") as source,
                    cursor.copy(f"copy {into} ({columns}) from stdin (format csv)") as copy,
                ):
                    while block := source.read(COPY_BLOCK_BYTES):
                        copy.write(block)
                rows = cursor.rowcount
                if into != table:
                    cursor.execute(
                        f"insert into {table} ({_RAW_SELECT}) select {_RAW_SELECT} from {into}"
                    )
                    rows = cursor.rowcount
                cursor.execute(f"analyze {table}")
        except psycopg.Error as exc:
            raise FastSimError(f"COPY into PostgreSQL failed: {_first_line(exc)}") from None
    return int(rows)


def _postgres_has_loaded_at(cursor: psycopg.Cursor[Any], raw_schema: str) -> bool:
    row = cursor.execute(
        "select count(*) from information_schema.columns where table_schema = %s "
        "and table_name = %s and column_name = %s",
        [raw_schema, TABLE_NAME, INGESTION_COLUMN],
    ).fetchone()
    return bool(row and row[0])


def _postgres_latest_load(conninfo: str | None, raw_schema: str) -> datetime | None:
    """The latest `loaded_at` of PostgreSQL's raw table; None when the table,
    the column or any row is missing."""
    import psycopg

    with closing(loader.connect_postgres(conninfo)) as connection:
        try:
            with connection.cursor() as cursor:
                if not _postgres_has_loaded_at(cursor, raw_schema):
                    return None
                row = cursor.execute(
                    f"select max({quote_ident(INGESTION_COLUMN)}) "
                    f"from {qualified_name(raw_schema)}"
                ).fetchone()
        except psycopg.Error as exc:
            raise FastSimError(f"reading PostgreSQL failed: {_first_line(exc)}") from None
    return row[0] if row and row[0] is not None else None


# --- what was generated ---------------------------------------------------------------


def fault_counts(
    duckdb_path: str | os.PathLike[str], raw_schema: str = DEFAULT_RAW_SCHEMA
) -> dict[str, int]:
    """How many rows (or conversations, for missing_started) of a DuckDB raw
    table show each fault kind, measured on the table itself."""
    known = ", ".join(_sql_text(t) for t in EVENT_TYPES)
    with closing(loader.connect_duckdb(duckdb_path, must_exist=True)) as connection:
        table = _duckdb_table(connection, raw_schema)
        row = connection.execute(
            f"""
            select
                count(id) filter (where trim(id) != '') - count(distinct id)
                    filter (where trim(id) != ''),
                count(*) filter (where lower(trim(event_type)) not in ({known})
                    or trim(event_type) = '' or event_type is null),
                count(*) filter (where event_type != lower(trim(event_type))
                    and lower(trim(event_type)) in ({known})),
                count(*) filter (where id is null or trim(id) = ''),
                count(*) filter (where conversation_id is null or trim(conversation_id) = ''),
                count(*) filter (where "timestamp" is null),
                count(*) filter (where json_type(metadata) != 'OBJECT'),
                count(*) filter (where json_type(metadata) = 'OBJECT' and (
                    json_type(metadata, '$.turn') = 'VARCHAR'
                    or json_type(metadata, '$.latency_ms') = 'VARCHAR'
                    or json_type(metadata, '$.total_turns') = 'VARCHAR'
                    or json_type(metadata, '$.abandoned_at_turn') = 'VARCHAR')),
                count(*) filter (where user_id is null)
            from {table}
            """
        ).fetchone()
        missing_started = connection.execute(
            f"""
            select count(*) from (
                select conversation_id from {table}
                where trim(conversation_id) != ''
                group by conversation_id
                having not bool_or(lower(trim(event_type)) = 'started')
            )
            """
        ).fetchone()
    assert row is not None and missing_started is not None
    names = [k for k in FAULT_KINDS if k != "missing_started"]
    counts = dict(zip(names, (int(v) for v in row), strict=True))
    counts["missing_started"] = int(missing_started[0])
    return {k: counts[k] for k in FAULT_KINDS}


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_SEED",
    "DEFAULT_START_DATE",
    "EVENTS_PER_CONVERSATION",
    "FAULT_KINDS",
    "LOAD_DELAY",
    "FAULT_RATES",
    "FastSimError",
    "FastSimPlan",
    "append_day",
    "base_events_sql",
    "copy_csv",
    "day_events_sql",
    "export_csv",
    "fault_counts",
    "plan_for_events",
    "simulate",
]

