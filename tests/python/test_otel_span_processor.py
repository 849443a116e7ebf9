"""The OpenTelemetry span processor: a scripted agent's GenAI spans, made by the
OpenTelemetry SDK, become the conversation events the script played."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Status, StatusCode

import mart_io
import otel_agent
from conversation_analytics.cli import cli
from conversation_analytics.tracker import DuckDBStore, MemoryStore, SyncConversationTracker
from conversation_analytics.tracker.otel import ConversationSpanProcessor
from conversation_analytics.warehouse import dbt_runner

T0 = 1_790_000_000_000_000_000  # ns, 2026-09-21
MS = 1_000_000


class Agent:
    """Plays turns as GenAI spans at fixed times, through the SDK's tracer."""

    def __init__(self, provider: TracerProvider) -> None:
        self.tracer = provider.get_tracer("scripted-agent")

    def span(self, name, attributes, start, end, parent=None, status=None, events=()):
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(
            name, context=context, attributes=attributes, start_time=start
        )
        for event_name, event_attributes, at in events:
            span.add_event(event_name, event_attributes, timestamp=at)
        if status is not None:
            span.set_status(status)
        return span, end

    def turn(self, conversation, start, *, tools=(), events=(), chats=((10, 5),), user="u-1"):
        root, root_end = self.span(
            "invoke_agent support",
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.conversation.id": conversation,
                "gen_ai.agent.name": "support-v2",
                "user.id": user,
                "conversation.channel": "web",
            },
            start,
            start + 900 * MS,
        )
        at = start + 10 * MS
        for input_tokens, output_tokens in chats:
            chat, end = self.span(
                "chat gpt-5-mini",
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.conversation.id": conversation,
                    "gen_ai.request.model": "gpt-5-mini",
                    "gen_ai.usage.input_tokens": input_tokens,
                    "gen_ai.usage.output_tokens": output_tokens,
                },
                at,
                at + 200 * MS,
                parent=root,
            )
            chat.end(end_time=end)
            at += 250 * MS
        for tool, failed in tools:
            span, end = self.span(
                f"execute_tool {tool}",
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.conversation.id": conversation,
                    "gen_ai.tool.name": tool,
                },
                at,
                at + 50 * MS,
                parent=root,
                status=Status(StatusCode.ERROR, "timeout") if failed else None,
            )
            span.end(end_time=end)
            at += 60 * MS
        for event_name, attributes in events:
            root.add_event(event_name, attributes, timestamp=start + 850 * MS)
        root.end(end_time=root_end)
        return root


@pytest.fixture
def played():
    store = MemoryStore()
    provider = TracerProvider(resource=Resource.create({"service.name": "support"}))
    processor = ConversationSpanProcessor(store)
    provider.add_span_processor(processor)
    agent = Agent(provider)
    # c-1: two turns, a failed tool in the first, feedback and completion in the second.
    agent.turn("c-1", T0, tools=[("lookup_order", True)], chats=[(10, 5), (7, 3)])
    agent.turn(
        "c-1",
        T0 + 60_000 * MS,
        tools=[("lookup_order", False)],
        events=[
            (
                "gen_ai.evaluation.result",
                {
                    "gen_ai.evaluation.name": "thumbs",
                    "gen_ai.evaluation.score.label": "positive",
                },
            ),
            ("conversation.outcome", {"outcome": "completed"}),
        ],
    )
    # c-2: one turn, then the user leaves (no outcome event: the inactivity rule ends it).
    agent.turn("c-2", T0 + 5_000 * MS, user="u-2")
    # c-3: a plain model chat with no agent span.
    chat, end = agent.span(
        "chat",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.conversation.id": "c-3",
            "gen_ai.response.model": "small-model",
            "gen_ai.usage.input_tokens": 4,
            "gen_ai.usage.output_tokens": 2,
        },
        T0,
        T0 + 120 * MS,
    )
    chat.end(end_time=end)
    # Not events: an HTTP span of the application, a GenAI span without a
    # conversation, an unknown operation, an outcome the contract does not know.
    http, end = agent.span("GET /health", {"http.method": "GET"}, T0, T0 + MS)
    http.end(end_time=end)
    orphan, end = agent.span("chat", {"gen_ai.operation.name": "chat"}, T0, T0 + MS)
    orphan.end(end_time=end)
    odd, end = agent.span(
        "dream", {"gen_ai.operation.name": "dream", "gen_ai.conversation.id": "c-4"}, T0, T0 + MS
    )
    odd.end(end_time=end)
    agent.turn("c-5", T0, events=[("conversation.outcome", {"outcome": "exploded"})])
    provider.shutdown()
    return store, processor


def events_of(store: MemoryStore) -> list[dict]:
    return [
        {
            "id": row[0],
            "conversation_id": row[1],
            "user_id": row[2],
            "event_type": row[3],
            "at": row[4],
            **json.loads(row[5] or "{}"),
        }
        for row in store.rows
    ]


def test_turns_responses_tools_feedback_and_outcome_are_the_ones_played(played) -> None:
    store, _ = played
    c1 = [e for e in events_of(store) if e["conversation_id"] == "c-1"]
    assert [e["event_type"] for e in sorted(c1, key=lambda e: (e["at"], e["event_type"]))] == [
        "started",
        "user_message",
        "tool_called",
        "agent_response",
        "user_message",
        "tool_called",
        "completed",
        "feedback_received",
        "agent_response",
    ]
    started = next(e for e in c1 if e["event_type"] == "started")
    assert started["at"] == datetime.fromtimestamp(T0 / 1e9, tz=UTC)
    assert (started["agent_id"], started["channel"], started["user_id"]) == (
        "support-v2",
        "web",
        "u-1",
    )
    responses = sorted(
        (e for e in c1 if e["event_type"] == "agent_response"), key=lambda e: e["turn"]
    )
    # Turn 1: two model calls inside the turn, their tokens summed; the turn's duration.
    assert [(r["turn"], r["model"], r["input_tokens"], r["output_tokens"]) for r in responses] == [
        (1, "gpt-5-mini", 17, 8),
        (2, "gpt-5-mini", 10, 5),
    ]
    assert [r["latency_ms"] for r in responses] == [900.0, 900.0]
    tools = sorted((e for e in c1 if e["event_type"] == "tool_called"), key=lambda e: e["turn"])
    assert [(t["turn"], t["tool_name"], t["status"]) for t in tools] == [
        (1, "lookup_order", "error"),
        (2, "lookup_order", "ok"),
    ]
    feedback = next(e for e in c1 if e["event_type"] == "feedback_received")
    assert (feedback["rating"], feedback["turn"]) == ("positive", 2)


def test_a_conversation_without_outcome_and_a_plain_chat(played) -> None:
    store, _ = played
    events = events_of(store)
    c2 = sorted(e["event_type"] for e in events if e["conversation_id"] == "c-2")
    assert c2 == ["agent_response", "started", "user_message"]
    assert {e["user_id"] for e in events if e["conversation_id"] == "c-2"} == {"u-2"}
    c3 = [e for e in events if e["conversation_id"] == "c-3"]
    assert sorted(e["event_type"] for e in c3) == ["agent_response", "started"]
    response = next(e for e in c3 if e["event_type"] == "agent_response")
    assert (response["model"], response["input_tokens"], response["output_tokens"]) == (
        "small-model",
        4,
        2,
    )
    assert response["latency_ms"] == 120.0


def test_spans_that_are_not_events_are_counted_not_raised(played) -> None:
    store, processor = played
    assert processor.stats.spans_without_conversation == 1
    assert processor.stats.spans_unknown_operation == 1
    assert processor.stats.events_refused == 1  # outcome 'exploded'
    assert {e["conversation_id"] for e in events_of(store)} == {"c-1", "c-2", "c-3", "c-5"}
    assert processor.stats.events_recorded == len(store.rows)


def test_event_ids_are_md5_of_the_span_and_the_event_kind() -> None:
    """The ids the dbt mapping gives the same spans, so spans recorded in process
    and loaded from the collector's file deduplicate."""
    store = MemoryStore()
    provider = TracerProvider()
    provider.add_span_processor(ConversationSpanProcessor(store))
    root = Agent(provider).turn("c-1", T0)
    provider.shutdown()
    ids = [row[0] for row in store.rows]
    assert len(ids) == len(set(ids)) == 3  # started, user_message, agent_response
    spans = f"{root.context.trace_id:032x}:{root.context.span_id:016x}"
    assert hashlib.md5(b"started:c-1").hexdigest() in ids
    assert hashlib.md5(f"{spans}:user_message".encode()).hexdigest() in ids
    assert hashlib.md5(f"{spans}:agent_response".encode()).hexdigest() in ids


def test_a_tracker_given_to_the_processor_is_left_open(tmp_path) -> None:
    store = MemoryStore()
    tracker = SyncConversationTracker(store)
    provider = TracerProvider()
    provider.add_span_processor(ConversationSpanProcessor(tracker))
    Agent(provider).turn("c-9", T0)
    provider.shutdown()
    tracker.record("c-9", "u-1", "completed")  # still open: the processor did not close it
    tracker.close()
    assert sorted(row[3] for row in store.rows) == [
        "agent_response",
        "completed",
        "started",
        "user_message",
    ]


def test_a_trace_whose_root_never_ends_is_mapped_at_flush() -> None:
    store = MemoryStore()
    provider = TracerProvider()
    processor = ConversationSpanProcessor(store)
    provider.add_span_processor(processor)
    agent = Agent(provider)
    root, _ = agent.span(
        "invoke_agent",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": "c-7"},
        T0,
        T0 + MS,
    )
    tool, end = agent.span(
        "execute_tool",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.conversation.id": "c-7"},
        T0,
        T0 + MS,
        parent=root,
    )
    tool.end(end_time=end)
    assert processor.force_flush()
    assert sorted(row[3] for row in store.rows) == ["started", "tool_called"]
    provider.shutdown()


def test_a_model_call_inside_another_span_is_not_a_response_of_its_own() -> None:
    store = MemoryStore()
    provider = TracerProvider()
    provider.add_span_processor(ConversationSpanProcessor(store))
    agent = Agent(provider)
    request, request_end = agent.span("POST /chat", {"http.method": "POST"}, T0, T0 + 300 * MS)
    chat, end = agent.span(
        "chat",
        {"gen_ai.operation.name": "chat", "gen_ai.conversation.id": "c-8"},
        T0 + MS,
        T0 + 200 * MS,
        parent=request,
    )
    chat.end(end_time=end)
    request.end(end_time=request_end)
    provider.shutdown()
    assert [row[3] for row in store.rows] == ["started"]


def test_the_scripted_agent_through_the_processor_builds_what_its_spans_build(
    tmp_path: Path, dbt_scratch: Path
) -> None:
    """The same agent, once with the span processor writing events into
    DuckDB in process, once with its spans exported as OTLP JSON, loaded and
    mapped by dbt: every conversation it played is the same row of
    fct_conversations."""
    in_process = tmp_path / "in_process.duckdb"
    processor = ConversationSpanProcessor(DuckDBStore(in_process))
    played, _ = otel_agent.play(tmp_path / "spans.jsonl", processors=[processor])
    processor.shutdown()
    processor.shutdown()  # the tracer provider's own call at exit does nothing more
    assert processor.force_flush()
    assert processor.stats.spans_without_conversation == 1  # the script's stray span
    assert processor.stats.events_refused == 0
    as_of = otel_agent.AS_OF.isoformat(sep=" ")
    dbt_runner.run_dbt(["build"], target="duckdb", duckdb_file=in_process, vars={"as_of": as_of})

    loaded = tmp_path / "loaded.duckdb"
    result = CliRunner().invoke(
        cli,
        [
            "load",
            "--format",
            "otlp-json",
            str(tmp_path / "spans.jsonl"),
            "--duckdb-path",
            str(loaded),
        ],
    )
    assert result.exit_code == 0, result.output
    dbt_runner.run_dbt(
        ["build"],
        target="duckdb",
        duckdb_file=loaded,
        vars={"as_of": as_of, "otel_spans_enabled": True},
    )

    table = "fct_conversations"
    via_processor, via_file = (mart_io.read_duckdb(path)[table] for path in (in_process, loaded))
    assert via_processor.columns == via_file.columns
    processor_rows = [r for r in via_processor.rows if r["conversation_id"] in played]
    file_rows = [r for r in via_file.rows if r["conversation_id"] in played]
    assert len(processor_rows) == len(played)
    problems = mart_io.compare_rows(
        table,
        file_rows,
        processor_rows,
        mart_io.MART_GRAINS[table],
        mart_io.data_columns(via_file.columns),
    )
    assert not problems, "\n".join(problems)
