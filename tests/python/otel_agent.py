"""A small scripted agent instrumented with the OpenTelemetry SDK and the
GenAI semantic conventions, exported as the Collector's file exporter writes
OTLP JSON: the SDK's own OTLP encoder, then protobuf's JSON mapping, one
`ExportTraceServiceRequest` a line.

`play()` runs the script and returns what it played (per conversation: the
outcome, turns, tool calls and errors, tokens, latency, feedback), so a test
can compare the marts with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from google.protobuf.json_format import MessageToJson
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode, set_span_in_context

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Pinned as-of time: the conversation left without an outcome is timed out.
AS_OF = datetime(2026, 11, 20, 12, 0)


@dataclass
class Played:
    """What the script did in one conversation."""

    agent_id: str
    channel: str
    user_id: str
    outcome: str
    turns: int = 0
    agent_responses: int = 0
    tools: list[tuple[str, bool]] = field(default_factory=list)  # (name, is_error)
    input_tokens: int = 0
    output_tokens: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    ratings: list[str] = field(default_factory=list)
    had_handoff: bool = False


def record_turn(
    played: Played,
    tool: tuple[str, bool] | None,
    tokens: tuple[int, int],
    seconds: float,
    outcome: str | None,
    rating: str | None,
) -> None:
    """What one scripted turn adds to what was played (any exporter)."""
    if tool is not None:
        played.tools.append(tool)
    if rating is not None:
        played.ratings.append(rating)
    if outcome == "handoff_requested":
        played.had_handoff = True
    played.turns += 1
    record_response(played, tokens, seconds * 1000)


def record_response(played: Played, tokens: tuple[int, int], latency_ms: float) -> None:
    played.agent_responses += 1
    played.input_tokens += tokens[0]
    played.output_tokens += tokens[1]
    played.latencies_ms.append(latency_ms)
    played.models.append("gpt-4o-2024-08-06")


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


class ScriptedAgent:
    def __init__(self, processors: Sequence[SpanProcessor] = ()) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": "support-agent"}))
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        for processor in processors:
            provider.add_span_processor(processor)
        self.tracer = provider.get_tracer("scripted-agent")
        self.played: dict[str, Played] = {}

    def turn(
        self,
        conversation_id: str,
        at: datetime,
        *,
        tool: tuple[str, bool] | None = None,
        tokens: tuple[int, int] = (100, 20),
        seconds: float = 2.0,
        outcome: str | None = None,
        rating: str | None = None,
    ) -> None:
        """One turn: an invoke_agent span, with a chat span inside it (the
        model call, carrying the tokens) and perhaps a tool call; then
        perhaps feedback and an outcome as span events."""
        played = self.played[conversation_id]
        common = {
            "gen_ai.conversation.id": conversation_id,
            "gen_ai.agent.id": played.agent_id,
            "gen_ai.agent.name": played.agent_id.title(),
            "user.id": played.user_id,
            "conversation.channel": played.channel,
        }
        turn = self.tracer.start_span(
            f"invoke_agent {played.agent_id}",
            attributes={**common, "gen_ai.operation.name": "invoke_agent",
                        "gen_ai.request.model": "gpt-4o"},
            start_time=_ns(at),
        )
        inside = set_span_in_context(turn)
        chat = self.tracer.start_span(
            "chat gpt-4o",
            context=inside,
            attributes={
                "gen_ai.conversation.id": conversation_id,
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": tokens[0],
                "gen_ai.usage.output_tokens": tokens[1],
            },
            start_time=_ns(at + timedelta(milliseconds=100)),
        )
        chat.end(end_time=_ns(at + timedelta(milliseconds=900)))
        if tool is not None:
            name, failed = tool
            call = self.tracer.start_span(
                f"execute_tool {name}",
                context=inside,
                attributes={
                    "gen_ai.conversation.id": conversation_id,
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": name,
                },
                start_time=_ns(at + timedelta(seconds=1)),
            )
            if failed:
                call.set_status(Status(StatusCode.ERROR, "upstream timeout"))
            call.end(end_time=_ns(at + timedelta(seconds=1.5)))
        end = at + timedelta(seconds=seconds)
        if rating is not None:
            turn.add_event(
                "gen_ai.evaluation.result",
                {"gen_ai.evaluation.name": "user_feedback",
                 "gen_ai.evaluation.score.label": rating,
                 "gen_ai.evaluation.score.value": 1.0 if rating == "positive" else 0.0},
                timestamp=_ns(end),
            )
        if outcome is not None:
            attributes = {"outcome": outcome}
            if outcome == "handoff_requested":
                attributes["reason"] = "refund needs a human"
            turn.add_event("conversation.outcome", attributes, timestamp=_ns(end))
        turn.end(end_time=_ns(end))
        record_turn(played, tool, tokens, seconds, outcome, rating)

    def plain_chat(self, conversation_id: str, at: datetime, tokens: tuple[int, int]) -> None:
        """An agent that is a plain model chat: one root chat span, a model
        response without a user turn."""
        played = self.played[conversation_id]
        span = self.tracer.start_span(
            "chat gpt-4o",
            attributes={
                "gen_ai.conversation.id": conversation_id,
                "gen_ai.operation.name": "chat",
                "gen_ai.agent.id": played.agent_id,
                "user.id": played.user_id,
                "conversation.channel": played.channel,
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": tokens[0],
                "gen_ai.usage.output_tokens": tokens[1],
            },
            start_time=_ns(at),
        )
        span.end(end_time=_ns(at + timedelta(seconds=1.25)))
        record_response(played, tokens, 1250.0)

    def stray_span(self, at: datetime) -> None:
        """A model call that names no conversation: it is quarantined."""
        span = self.tracer.start_span(
            "chat gpt-4o",
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
            start_time=_ns(at),
        )
        span.end(end_time=_ns(at + timedelta(seconds=1)))

    def write_otlp_json(self, path: Path, spans_per_request: int = 4) -> int:
        """The finished spans as OTLP JSON, a few spans per request line, as
        a batching exporter sends them; returns the number of spans."""
        spans = list(self.exporter.get_finished_spans())
        with path.open("w", encoding="utf-8") as out:
            for start in range(0, len(spans), spans_per_request):
                request = encode_spans(spans[start : start + spans_per_request])
                out.write(json.dumps(json.loads(MessageToJson(request))) + "\n")
        return len(spans)


class Script(Protocol):
    """What the scripted conversations need of an agent (OpenTelemetry
    here, a Langfuse export in langfuse_agent)."""

    played: dict[str, Played]

    def turn(
        self, conversation_id: str, at: datetime, *, tool: tuple[str, bool] | None = ...,
        tokens: tuple[int, int] = ..., seconds: float = ..., outcome: str | None = ...,
        rating: str | None = ...,
    ) -> None: ...

    def plain_chat(self, conversation_id: str, at: datetime, tokens: tuple[int, int]) -> None: ...

    def stray_span(self, at: datetime) -> None: ...


def play_script(agent: Script) -> dict[str, Played]:
    """Play the conversations on `agent`; returns what was played."""

    def conversation(cid: str, agent_id: str, channel: str, user: str, outcome: str) -> str:
        agent.played[cid] = Played(agent_id, channel, user, outcome)
        return cid

    t = STARTED
    c = conversation("conv-completed", "billing", "web", "user-1", "completed")
    agent.turn(c, t, tool=("lookup_invoice", False), tokens=(120, 30), seconds=2.5)
    agent.turn(c, t + timedelta(minutes=1), tokens=(200, 40), seconds=1.5, outcome="completed")

    c = conversation("conv-abandoned", "billing", "mobile", "user-2", "abandoned")
    agent.turn(c, t + timedelta(minutes=5), tokens=(90, 10), seconds=3.0)
    agent.turn(c, t + timedelta(minutes=6), tokens=(80, 15), seconds=1.0, outcome="abandoned")

    c = conversation("conv-timed-out", "support", "web", "user-3", "timed_out")
    agent.turn(c, t + timedelta(minutes=10), tokens=(50, 5), seconds=1.2)

    c = conversation("conv-tool-error", "support", "web", "user-4", "timed_out")
    agent.turn(c, t + timedelta(minutes=20), tool=("issue_refund", True), tokens=(150, 25))
    agent.turn(
        c, t + timedelta(minutes=21), tool=("issue_refund", False), tokens=(160, 20),
        outcome="handoff_requested",
    )

    c = conversation("conv-feedback", "support", "mobile", "user-5", "completed")
    agent.turn(c, t + timedelta(minutes=30), tokens=(70, 35), seconds=0.8,
               rating="positive", outcome="completed")

    c = conversation("conv-plain-chat", "faq", "web", "user-6", "timed_out")
    agent.plain_chat(c, t + timedelta(minutes=35), tokens=(40, 12))

    agent.stray_span(t + timedelta(minutes=40))
    return agent.played


def play(
    path: Path, processors: Sequence[SpanProcessor] = ()
) -> tuple[dict[str, Played], int]:
    """Run the script, write its spans to `path`; returns what was played
    and the number of spans written. `processors` see every span too, as
    the application's own span processors would."""
    agent = ScriptedAgent(processors)
    played = play_script(agent)
    return played, agent.write_otlp_json(path)
