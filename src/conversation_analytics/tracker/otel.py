"""`ConversationSpanProcessor`: an application's OpenTelemetry GenAI spans
recorded as conversation events, in process, through the tracker.

    from opentelemetry.sdk.trace import TracerProvider
    from conversation_analytics.tracker import DuckDBStore
    from conversation_analytics.tracker.otel import ConversationSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(ConversationSpanProcessor(DuckDBStore("events.duckdb")))

The agent's code does not change: whatever already emits spans under the
GenAI semantic conventions (an instrumentation library, or the agent's own
`tracer.start_as_current_span`) now also feeds `conversation_events`. It
needs the OpenTelemetry SDK (`pip install 'conversation-analytics[otel]'`).

The mapping is the one the dbt project applies to spans loaded into the
warehouse (docs/opentelemetry.md), so the same spans give the same events
either way:

- `gen_ai.conversation.id` is the conversation (read on the span, then on
  its resource); `gen_ai.agent.id` (else `gen_ai.agent.name`) the agent; the
  user and the channel come from configurable attributes.
- `invoke_agent` is a turn: `user_message` at its start and `agent_response`
  at its end, with the model, tokens and duration (its own, or those of the
  model calls made directly inside it).
- `chat`, `text_completion`, `generate_content` as a trace's root span (an
  agent that is a plain model chat) are responses of their own; inside
  another span they are part of what that span does; `execute_tool` is `tool_called` (status `error`
  when the span's status is ERROR).
- A span event `gen_ai.evaluation.result` is `feedback_received` (rating from
  `gen_ai.evaluation.score.label`); the outcome event (`conversation.outcome`
  by default, its attribute `outcome` naming `completed`, `abandoned` or
  `handoff_requested`) ends the conversation. Without one, the conversation
  ends by the inactivity rule.
- A conversation starts (`started`) at the first span of its first trace.

Spans are kept until their trace's local root span ends (children end before
their parents), then the trace is mapped as a whole. Spans without a GenAI
operation are the application's other spans and are passed over; a GenAI
span without a conversation id, or an event the tracker refuses, is counted
in `stats` and logged, never raised into the application.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import StatusCode

from ..contract import EventValidationError
from .stores.base import EventStore
from .sync import SyncConversationTracker

logger = logging.getLogger(__name__)

MODEL_CALLS = frozenset({"chat", "text_completion", "generate_content"})
"""Operations that are one call to a model."""

KNOWN_OPERATIONS = MODEL_CALLS | {
    "invoke_agent",
    "execute_tool",
    "create_agent",
    "embeddings",
    "retrieval",
    "invoke_workflow",
}
"""The GenAI operations; the ones outside the mapping above give no event."""

EVALUATION_EVENT = "gen_ai.evaluation.result"


def event_id(*parts: str) -> str:
    """The event id the dbt mapping gives: md5 of the parts joined by ':'."""
    return hashlib.md5(":".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class SpanProcessorStats:
    """What the processor did with the spans it saw."""

    traces_mapped: int = 0
    events_recorded: int = 0
    spans_without_conversation: int = 0
    spans_unknown_operation: int = 0
    events_refused: int = 0
    traces_evicted: int = 0


@dataclass(slots=True)
class _Conversation:
    turn: int = 0
    user_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None


@dataclass(slots=True)
class _Span:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    operation: str | None
    conversation_id: str | None
    agent_id: str | None
    user_id: str | None
    channel: str | None
    model: str | None
    tool_name: str | None
    input_tokens: int | None
    output_tokens: int | None
    is_error: bool
    start_ns: int
    end_ns: int | None
    events: list[Any] = field(default_factory=list)

    @property
    def started_at(self) -> datetime:
        return _time(self.start_ns)

    @property
    def ended_at(self) -> datetime:
        return _time(self.end_ns if self.end_ns is not None else self.start_ns)

    @property
    def latency_ms(self) -> float | None:
        if self.end_ns is None or self.end_ns < self.start_ns:
            return None
        # Microseconds, as the warehouse's timestamps keep them.
        return (self.end_ns // 1000 - self.start_ns // 1000) / 1000


def _time(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds // 1000 / 1_000_000, tz=UTC)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


class ConversationSpanProcessor(SpanProcessor):
    """Maps finished GenAI spans to conversation events recorded by a tracker.

    `target` is a `SyncConversationTracker` (the processor records through it
    and leaves closing it to you) or an `EventStore` (the processor makes its
    own tracker and closes it at `shutdown`). `user_id_attribute`,
    `channel_attribute`, `outcome_event` and `outcome_attribute` name what the
    GenAI conventions do not; their defaults are the dbt project's. At most
    `max_open_traces` traces wait for their root span (the oldest is mapped
    as it stands when more arrive) and `max_conversations` conversations'
    turn counters are kept.
    """

    def __init__(
        self,
        target: SyncConversationTracker | EventStore,
        *,
        user_id_attribute: str = "user.id",
        channel_attribute: str = "conversation.channel",
        outcome_event: str = "conversation.outcome",
        outcome_attribute: str = "outcome",
        max_open_traces: int = 10_000,
        max_conversations: int = 100_000,
    ) -> None:
        if isinstance(target, SyncConversationTracker):
            self.tracker, self._owns_tracker = target, False
        else:
            self.tracker, self._owns_tracker = SyncConversationTracker(target), True
        self.user_id_attribute = user_id_attribute
        self.channel_attribute = channel_attribute
        self.outcome_event = outcome_event
        self.outcome_attribute = outcome_attribute
        self.max_open_traces = max_open_traces
        self.max_conversations = max_conversations
        self.stats = SpanProcessorStats()
        self._lock = threading.Lock()
        self._shut_down = False
        self._traces: OrderedDict[str, list[_Span]] = OrderedDict()
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()

    # -- SpanProcessor ----------------------------------------------------------------------

    def on_end(self, span: ReadableSpan) -> None:
        try:
            read = self._read(span)
            is_local_root = span.parent is None or span.parent.is_remote
            with self._lock:
                waiting = self._traces.setdefault(read.trace_id, [])
                waiting.append(read)
                self._traces.move_to_end(read.trace_id)
                ready = [self._traces.pop(read.trace_id)] if is_local_root else []
                while len(self._traces) > self.max_open_traces:
                    ready.append(self._traces.popitem(last=False)[1])
                    self.stats.traces_evicted += 1
                for spans in ready:
                    self._map_trace(spans)
        except Exception:  # never break the application's tracing
            logger.exception("could not map a span to conversation events")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Map the traces still waiting for their root, then flush the tracker."""
        if self._shut_down:
            return True  # everything was written when it shut down
        with self._lock:
            waiting = list(self._traces.values())
            self._traces.clear()
            for spans in waiting:
                self._map_trace(spans)
        return self.tracker.flush(timeout=timeout_millis / 1000)

    def shutdown(self) -> None:
        """Flush, and close the tracker the processor made; a second call
        (the tracer provider's own at interpreter exit) does nothing."""
        if self._shut_down:
            return
        self.force_flush()
        self._shut_down = True
        if self._owns_tracker:
            self.tracker.close()

    # -- mapping ----------------------------------------------------------------------------

    def _read(self, span: ReadableSpan) -> _Span:
        own: Mapping[str, Any] = span.attributes or {}
        resource: Mapping[str, Any] = span.resource.attributes if span.resource else {}

        def attribute(key: str, read: Any = _text) -> Any:
            value = read(own.get(key))
            return value if value is not None else read(resource.get(key))

        operation = attribute("gen_ai.operation.name")
        return _Span(
            trace_id=f"{span.context.trace_id:032x}",
            span_id=f"{span.context.span_id:016x}",
            parent_span_id=f"{span.parent.span_id:016x}" if span.parent else None,
            operation=operation.lower() if operation else None,
            conversation_id=attribute("gen_ai.conversation.id"),
            agent_id=attribute("gen_ai.agent.id") or attribute("gen_ai.agent.name"),
            user_id=attribute(self.user_id_attribute),
            channel=attribute(self.channel_attribute),
            model=attribute("gen_ai.response.model") or attribute("gen_ai.request.model"),
            tool_name=attribute("gen_ai.tool.name"),
            input_tokens=attribute("gen_ai.usage.input_tokens", _integer),
            output_tokens=attribute("gen_ai.usage.output_tokens", _integer),
            is_error=span.status.status_code is StatusCode.ERROR,
            start_ns=span.start_time or 0,
            end_ns=span.end_time,
            events=list(span.events),
        )

    def _map_trace(self, spans: list[_Span]) -> None:
        """The events of one trace's spans (called under the lock)."""
        mapped: list[_Span] = []
        for span in spans:
            if span.operation is None:
                continue  # not a GenAI span: the application's own tracing
            if span.conversation_id is None:
                self.stats.spans_without_conversation += 1
                logger.warning(
                    "span %s (%s) has no gen_ai.conversation.id: no event recorded",
                    span.span_id,
                    span.operation,
                )
            elif span.operation not in KNOWN_OPERATIONS:
                self.stats.spans_unknown_operation += 1
            else:
                mapped.append(span)
        if not mapped:
            return
        self.stats.traces_mapped += 1
        mapped.sort(key=lambda s: (s.start_ns, s.span_id))
        by_conversation: dict[str, list[_Span]] = {}
        for span in mapped:
            by_conversation.setdefault(span.conversation_id or "", []).append(span)
        for conversation_id, conversation_spans in by_conversation.items():
            self._map_conversation(conversation_id, conversation_spans)

    def _map_conversation(self, conversation_id: str, spans: list[_Span]) -> None:
        state = self._conversations.get(conversation_id)
        is_new = state is None
        if state is None:
            state = self._conversations[conversation_id] = _Conversation()
            while len(self._conversations) > self.max_conversations:
                self._conversations.popitem(last=False)
        self._conversations.move_to_end(conversation_id)
        state.agent_id = state.agent_id or next((s.agent_id for s in spans if s.agent_id), None)
        state.channel = state.channel or next((s.channel for s in spans if s.channel), None)
        state.user_id = state.user_id or next((s.user_id for s in spans if s.user_id), None)
        context = {"agent_id": state.agent_id, "channel": state.channel}

        turns: dict[str, int] = {}
        for span in spans:
            if span.operation == "invoke_agent":
                state.turn += 1
                turns[span.span_id] = state.turn
        children: dict[str, list[_Span]] = {}
        for span in spans:
            if span.operation in MODEL_CALLS and span.parent_span_id:
                children.setdefault(span.parent_span_id, []).append(span)

        first = spans[0]
        if is_new:
            self._record(
                conversation_id,
                state.user_id,
                "started",
                first.started_at,
                event_id("started", conversation_id),
                context,
            )
        for span in spans:
            user_id = span.user_id or state.user_id
            turn = turns.get(span.span_id) or turns.get(span.parent_span_id or "")
            ids = (span.trace_id, span.span_id)
            if span.operation == "invoke_agent":
                self._record(
                    conversation_id,
                    user_id,
                    "user_message",
                    span.started_at,
                    event_id(*ids, "user_message"),
                    {"turn": turn, **context},
                )
            is_root_model_call = span.operation in MODEL_CALLS and span.parent_span_id is None
            if span.operation == "invoke_agent" or is_root_model_call:
                calls = children.get(span.span_id, [])
                models = [call.model for call in calls if call.model]
                self._record(
                    conversation_id,
                    user_id,
                    "agent_response",
                    span.ended_at,
                    event_id(*ids, "agent_response"),
                    {
                        "turn": turn,
                        "model": span.model or (min(models) if models else None),
                        "latency_ms": span.latency_ms,
                        "input_tokens": _own_or_sum(span.input_tokens, calls, "input_tokens"),
                        "output_tokens": _own_or_sum(span.output_tokens, calls, "output_tokens"),
                        **context,
                    },
                )
            if span.operation == "execute_tool":
                self._record(
                    conversation_id,
                    user_id,
                    "tool_called",
                    span.started_at,
                    event_id(*ids, "tool_called"),
                    {
                        "tool_name": span.tool_name,
                        "turn": turn,
                        "status": "error" if span.is_error else "ok",
                        **context,
                    },
                )
            for index, event in enumerate(span.events):
                self._map_span_event(conversation_id, user_id, span, index, event, turn, context)

    def _map_span_event(
        self,
        conversation_id: str,
        user_id: str | None,
        span: _Span,
        index: int,
        event: Any,
        turn: int | None,
        context: dict[str, Any],
    ) -> None:
        attributes: Mapping[str, Any] = event.attributes or {}
        if event.name == EVALUATION_EVENT:
            event_type: str | None = "feedback_received"
        elif event.name == self.outcome_event:
            outcome = _text(attributes.get(self.outcome_attribute))
            event_type = outcome.lower() if outcome else None
        else:
            return
        metadata = {
            "rating": _text(attributes.get("gen_ai.evaluation.score.label")),
            "evaluation_name": _text(attributes.get("gen_ai.evaluation.name")),
            "reason": _text(attributes.get("reason")),
            "turn": turn,
            **context,
        }
        at = _time(event.timestamp) if event.timestamp else span.ended_at
        self._record(
            conversation_id,
            user_id,
            event_type or "",
            at,
            event_id(span.trace_id, span.span_id, "event", str(index), event.name),
            metadata,
        )

    def _record(
        self,
        conversation_id: str,
        user_id: str | None,
        event_type: str,
        at: datetime,
        identifier: str,
        metadata: dict[str, Any],
    ) -> None:
        try:
            self.tracker.record(
                conversation_id,
                user_id,
                event_type,
                event_timestamp=at,
                event_id=identifier,
                **{key: value for key, value in metadata.items() if value is not None},
            )
        except EventValidationError as exc:
            self.stats.events_refused += 1
            logger.warning(
                "conversation %s: %s event refused: %s", conversation_id, event_type, exc
            )
        else:
            self.stats.events_recorded += 1


def _own_or_sum(own: int | None, calls: Iterable[_Span], key: str) -> int | None:
    """A turn's own token count, else the sum of its model calls' (none if none has one)."""
    if own is not None:
        return own
    values = [getattr(call, key) for call in calls if getattr(call, key) is not None]
    return sum(values) if values else None
