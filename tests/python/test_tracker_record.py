"""The tracker's call-site contract: validation, typed helpers, per-conversation state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from conversation_analytics.tracker import (
    CharNgramEmbedder,
    ConversationEvent,
    ConversationTracker,
    EventValidationError,
    MemoryStore,
    TrackerClosedError,
)


def make_tracker(**options: object) -> tuple[ConversationTracker, MemoryStore]:
    store = MemoryStore()
    return ConversationTracker(store, embedder=CharNgramEmbedder(), **options), store  # type: ignore[arg-type]


def metadata_of(store: MemoryStore) -> list[dict[str, object]]:
    return [json.loads(row[5]) if row[5] is not None else {} for row in store.rows]


async def test_record_returns_the_article_record_and_writes_it() -> None:
    tracker, store = make_tracker()
    event = await tracker.record("c1", "u1", ConversationEvent.STARTED, channel="web")
    await tracker.close()
    assert event.event_type == "started"
    assert event.metadata == {"channel": "web"}
    assert event.timestamp is not None and event.timestamp.tzinfo is not None
    assert event.timestamp.utcoffset() == timedelta(0)
    assert len(store.rows) == 1
    row = store.rows[0]
    assert row[:4] == (event.id, "c1", "u1", "started")
    assert json.loads(row[5]) == {"channel": "web"}


async def test_record_accepts_event_type_text_case_insensitively() -> None:
    tracker, store = make_tracker()
    await tracker.record("c1", None, "  User_Message ", turn=1)
    await tracker.close()
    assert store.rows[0][3] == "user_message"
    assert store.rows[0][2] is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.record("c1", "u1", "clicked"), "unknown event_type 'clicked'"),
        (lambda t: t.record("c1", "u1", "started", when=object()), "not JSON-serialisable"),
        (
            lambda t: t.record("c1", "u1", "started", event_timestamp=datetime(2026, 1, 1)),
            "is naive",
        ),
        (lambda t: t.record(" ", "u1", "started"), "conversation_id is required"),
        (lambda t: t.record("c1", 42, "started"), "user_id must be text"),
        (lambda t: t.feedback("c1", "u1", rating="meh"), "rating must be"),
        (lambda t: t.tool_called("c1", "u1", tool_name="x", status="bad"), "status"),
        (lambda t: t.user_message("c1", "u1", text=b"bytes"), "text must be a str"),
        (lambda t: t.user_message("c1", "u1", text="x", is_exact_repeat=True), "given twice"),
        (lambda t: t.record("c1", "u1", "started", event_id="e" * 256), "at most 255"),
        (lambda t: t.record("c1", "u1", "started", event_id="e\x00"), "event_id contains a NUL"),
        (lambda t: t.record("c\x00", "u1", "started"), "conversation_id contains a NUL"),
        (lambda t: t.started("c1", "u\x00"), "user_id contains a NUL"),
        (lambda t: t.record("c1", "u1", "started", note={"k": ["a\x00"]}), "metadata contains"),
        (lambda t: t.user_message("c1", "u1", text="a\x00", store_text=True), "metadata contains"),
    ],
)
async def test_invalid_events_raise_at_the_call_site_and_queue_nothing(call, message) -> None:
    tracker, store = make_tracker()
    with pytest.raises(EventValidationError, match=message):
        await call(tracker)
    await tracker.close()
    assert store.rows == []


async def test_a_backslash_u0000_in_text_is_not_a_nul() -> None:
    tracker, store = make_tracker()
    await tracker.record("c1", "u1", "started", note="C:\\u0000", event_id="e" * 255)
    await tracker.close()
    assert len(store.rows) == 1


async def test_an_aware_timestamp_is_normalised_to_utc() -> None:
    tracker, store = make_tracker()
    paris = timezone(timedelta(hours=2))
    await tracker.record(
        "c1", "u1", "started", event_timestamp=datetime(2026, 3, 17, 11, 0, tzinfo=paris)
    )
    await tracker.close()
    assert store.rows[0][4] == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


async def test_helpers_fill_the_spec_metadata_keys() -> None:
    tracker, store = make_tracker()
    c, u = "c1", "u1"
    await tracker.started(c, u, channel="web", agent_id="support")
    await tracker.user_message(c, u, text="How do I reset my password?")
    await tracker.tool_called(c, u, tool_name="send_reset_link")
    await tracker.agent_response(
        c, u, text="Done.", model="m", latency_ms=12.5, input_tokens=10, output_tokens=3
    )
    await tracker.handoff_requested(c, u, reason="angry")
    await tracker.feedback(c, u, rating=" Positive ")
    await tracker.completed(c, u)
    await tracker.close()
    kinds = [row[3] for row in store.rows]
    assert kinds == [
        "started",
        "user_message",
        "tool_called",
        "agent_response",
        "handoff_requested",
        "feedback_received",
        "completed",
    ]
    assert metadata_of(store) == [
        {"channel": "web", "agent_id": "support"},
        {"turn": 1, "message_length": 27, "is_exact_repeat": False},
        {"tool_name": "send_reset_link", "turn": 1, "status": "ok"},
        {
            "turn": 1,
            "response_length": 5,
            "model": "m",
            "latency_ms": 12.5,
            "input_tokens": 10,
            "output_tokens": 3,
        },
        {"reason": "angry", "turn": 1},
        {"rating": "positive"},
        {"total_turns": 1},
    ]


async def test_user_message_scores_similarity_to_the_previous_message_only() -> None:
    tracker, store = make_tracker()
    await tracker.user_message("a", "u", text="How do I reset my password?")
    await tracker.user_message("b", "u", text="Where is my order #4521?")
    await tracker.user_message("a", "u", text="how do I reset my password please")
    await tracker.user_message("a", "u", text="HOW DO I   reset my password please ")
    await tracker.user_message("a", "u", text="Can I get a refund for last month?")
    await tracker.close()
    a_messages = [m for row, m in zip(store.rows, metadata_of(store), strict=True) if row[1] == "a"]
    assert [m["turn"] for m in a_messages] == [1, 2, 3, 4]
    assert "similarity_to_previous" not in a_messages[0]
    assert a_messages[1]["similarity_to_previous"] >= 0.85  # a rephrase
    assert a_messages[1]["is_exact_repeat"] is False
    assert a_messages[2] == {  # the same words again, shouted: a repeat, not a rephrase
        "turn": 3,
        "message_length": 36,
        "similarity_to_previous": 1.0,
        "is_exact_repeat": True,
    }
    assert a_messages[3]["similarity_to_previous"] < 0.5  # a new request
    # Conversation b's message sat between a's first two; it was not compared.
    b_message = metadata_of(store)[1]
    assert "similarity_to_previous" not in b_message


async def test_text_is_stored_only_when_the_caller_opts_in() -> None:
    tracker, store = make_tracker()
    await tracker.user_message("c", "u", text="my card number is 4111")
    await tracker.agent_response("c", "u", text="I cannot read card numbers")
    await tracker.user_message("c", "u", text="kept on purpose", store_text=True)
    await tracker.close()
    raw = [row[5] for row in store.rows]
    assert "4111" not in raw[0] and "card" not in raw[1]
    assert json.loads(raw[2])["text"] == "kept on purpose"

    opted_in, store2 = make_tracker(store_text=True)
    await opted_in.agent_response("c", "u", text="hello")
    await opted_in.close()
    assert json.loads(store2.rows[0][5])["text"] == "hello"


async def test_turns_follow_user_messages_and_end_with_the_conversation() -> None:
    tracker, store = make_tracker()
    for text in ("first question", "second question", "third question"):
        await tracker.user_message("c", "u", text=text)
        await tracker.agent_response("c", "u", text="answer")
    await tracker.abandoned("c", "u")
    await tracker.user_message("c", "u", text="first question")  # a new visit
    await tracker.completed("c", "u", total_turns=7)
    await tracker.close()
    meta = metadata_of(store)
    assert [m.get("turn") for m in meta[:6]] == [1, 1, 2, 2, 3, 3]
    assert meta[6] == {"abandoned_at_turn": 3}
    assert meta[7]["turn"] == 1 and "similarity_to_previous" not in meta[7]
    assert meta[8] == {"total_turns": 7}


async def test_state_is_bounded_least_recently_active_forgotten_first() -> None:
    tracker, store = make_tracker(max_open_conversations=2)
    await tracker.user_message("a", "u", text="hello there")
    await tracker.user_message("b", "u", text="hello there")
    await tracker.user_message("a", "u", text="hello there again")  # a is fresh again
    await tracker.user_message("c", "u", text="hello there")  # evicts b
    await tracker.user_message("b", "u", text="hello there")
    await tracker.close()
    last_b = metadata_of(store)[-1]
    assert last_b["turn"] == 1 and last_b["is_exact_repeat"] is False
    assert metadata_of(store)[2]["turn"] == 2


async def test_helpers_pass_extra_metadata_through() -> None:
    tracker, store = make_tracker()
    await tracker.tool_called("c", "u", tool_name="search", status="error", error_code="E42")
    await tracker.user_message("c", "u", message_length=12, similarity_to_previous=0.5)
    await tracker.close()
    assert metadata_of(store) == [
        {"tool_name": "search", "status": "error", "error_code": "E42"},
        {"turn": 1, "message_length": 12, "similarity_to_previous": 0.5},
    ]


async def test_recording_after_close_raises() -> None:
    tracker, _ = make_tracker()
    await tracker.record("c", "u", "started")
    await tracker.close()
    with pytest.raises(TrackerClosedError):
        await tracker.record("c", "u", "completed")


async def test_async_with_flushes_on_exit() -> None:
    store = MemoryStore()
    async with ConversationTracker(store, embedder="ngram") as tracker:
        for i in range(5):
            await tracker.record(f"c{i}", "u", "started")
    assert len(store.rows) == 5 and store.closed
    assert tracker.stats.written == 5 and tracker.stats.pending == 0


def test_record_outside_an_event_loop_says_what_to_do() -> None:
    tracker, _ = make_tracker()
    with pytest.raises(RuntimeError, match="running event loop"):
        tracker.record_nowait("c", "u", "started")
