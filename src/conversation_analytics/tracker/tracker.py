"""`ConversationTracker`: the article's tracker, safe on an agent's hot path.

The article is the one the project started from:
"Agent Conversation Analytics: Understanding User Behavior and Agent Performance"
(CallSphere blog, 2026).

    tracker = ConversationTracker(DuckDBStore("events.duckdb"))
    await tracker.started(conversation_id, user_id, channel="web", agent_id="support")
    await tracker.user_message(conversation_id, user_id, text=message)
    ...
    await tracker.close()          # or: async with ConversationTracker(...) as tracker

`record()` validates the event where it is recorded (an unknown type, metadata
that is not JSON-serialisable or a naive timestamp raise
`EventValidationError` in the caller), builds the record and puts it on a
bounded queue. It never waits for the store: a background task writes
batches (see `batching`). The typed helpers fill the metadata keys of the
event contract (docs/event-contract.md) and keep a little state per open
conversation: the current turn and a vector of the previous user message,
from which `user_message(text=...)` derives `similarity_to_previous` and
`is_exact_repeat`. Message text is stored only when the caller opts in
(`store_text=True`).
"""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

from ..contract import ConversationEvent, EventRecord, EventValidationError
from . import shutdown
from .batching import BatchSettings, BatchWriter, DropHandler, TrackerStats
from .similarity import Embedder, EmbedderName, select_embedder
from .stores.base import EventStore, Row

Rating = Literal["positive", "negative"]
ToolStatus = Literal["ok", "error"]

WhenFull = Literal["drop", "wait"]

_RATINGS = ("positive", "negative")
_TOOL_STATUSES = ("ok", "error")

MAX_EVENT_ID_LENGTH = 255
"""The longest event id accepted, in characters. PostgreSQL's raw table keys
on `id` and a btree index entry holds at most 2,704 bytes (676 characters of
four UTF-8 bytes); 255 leaves room and is far above a UUID's 36."""


@dataclass(slots=True)
class _ConversationState:
    turn: int = 0
    previous_digest: bytes | None = None
    previous_vector: Any = None


class ConversationTracker:
    """Records conversation events into an `EventStore` without blocking the agent.

    `embedder` compares consecutive user messages: `"auto"` (the sentence
    model when its package is installed, else word-sorted text compared by
    RapidFuzz), `"token_sort"`, `"ngram"`, `"sentence"`, or any `Embedder`.
    `store_text` puts message text in the metadata (key `text`); off by
    default. State is kept for at most
    `max_open_conversations` conversations (least recently active are
    forgotten first) and released by `completed` / `abandoned`.

    `when_full` says what the async calls (`record` and the helpers) do when
    `max_queue` events are waiting: `"drop"` (the default) drops the event,
    counted and logged, and never waits; `"wait"` waits for room
    (backpressure). `record_nowait` never waits. `flush_on_exit` closes the
    tracker at interpreter exit if the application did not; `flush_on_sigterm`
    also does it on SIGTERM, chained with the application's own handler
    (see `shutdown`).
    """

    def __init__(
        self,
        store: EventStore,
        *,
        settings: BatchSettings | None = None,
        embedder: Embedder | EmbedderName = "auto",
        store_text: bool = False,
        max_open_conversations: int = 10_000,
        on_drop: DropHandler | None = None,
        when_full: WhenFull = "drop",
        flush_on_exit: bool = True,
        flush_on_sigterm: bool = False,
    ) -> None:
        if max_open_conversations < 1:
            raise ValueError("max_open_conversations must be at least 1")
        if when_full not in ("drop", "wait"):
            raise ValueError(f"when_full must be 'drop' or 'wait', got {when_full!r}")
        self.store = store
        self.embedder = select_embedder(embedder) if isinstance(embedder, str) else embedder
        self.store_text = store_text
        self.max_open_conversations = max_open_conversations
        self.when_full = when_full
        self._writer = BatchWriter(store, settings, on_drop)
        self._writer.flush_at_exit = flush_on_exit
        if flush_on_exit or flush_on_sigterm:
            self._writer.on_start = shutdown.keep
        self._writer.on_close = shutdown.forget
        if flush_on_sigterm:
            shutdown.install_sigterm_handler()
        self._submit = self._writer.submit
        self._conversations: OrderedDict[str, _ConversationState] = OrderedDict()

    # -- lifecycle ------------------------------------------------------------

    @property
    def stats(self) -> TrackerStats:
        """Live counters: recorded, written, dropped, retries, batches, pending."""
        return self._writer.stats

    @property
    def settings(self) -> BatchSettings:
        return self._writer.settings

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything recorded so far is written; False on time-out."""
        return await self._writer.flush(timeout)

    async def close(self, timeout: float | None = None) -> None:
        """Flush (at most `timeout`, default `settings.close_timeout`, seconds),
        then close the store. What could not be written is dropped, counted and
        logged. Recording after `close()` raises `TrackerClosedError`."""
        await self._writer.close(timeout)

    async def __aenter__(self) -> ConversationTracker:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the generic path (the article's API) -----------------------------------

    async def record(
        self,
        conversation_id: str,
        user_id: str | None,
        event_type: ConversationEvent | str,
        /,
        *,
        event_timestamp: datetime | None = None,
        event_id: str | None = None,
        **metadata: Any,
    ) -> EventRecord:
        """Record one event with `metadata` as its keys; returns the record.

        `event_timestamp` (timezone-aware; default now, UTC) and `event_id`
        (default a new UUID, at most `MAX_EVENT_ID_LENGTH` characters) are not
        metadata. Raises `EventValidationError` for an invalid event (also for
        a NUL character in an id or a metadata string: PostgreSQL cannot store
        one) and `TrackerClosedError` after `close()`. With `when_full="wait"`
        it waits while the queue is full.
        """
        event, row = _validated(
            conversation_id, user_id, event_type, metadata, event_timestamp, event_id
        )
        if self.when_full == "wait":
            await self._writer.submit_when_ready(row)
        else:
            self._submit(row)
        return event

    def record_nowait(
        self,
        conversation_id: str,
        user_id: str | None,
        event_type: ConversationEvent | str,
        /,
        *,
        event_timestamp: datetime | None = None,
        event_id: str | None = None,
        **metadata: Any,
    ) -> EventRecord:
        """`record` for synchronous code running on the tracker's event loop;
        never waits: with the queue full the event is dropped and counted."""
        event, row = _validated(
            conversation_id, user_id, event_type, metadata, event_timestamp, event_id
        )
        self._submit(row)
        return event

    # -- typed helpers ------------------------------------------------------------

    async def started(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        channel: str | None = None,
        agent_id: str | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """A conversation began (`channel`, `agent_id`)."""
        self._state(conversation_id)
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.STARTED,
            event_timestamp,
            extra,
            channel=channel,
            agent_id=agent_id,
        )

    async def user_message(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        text: str | None = None,
        turn: int | None = None,
        message_length: int | None = None,
        store_text: bool | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """The user spoke: opens the next turn (or `turn`).

        With `text`, fills `message_length`, `is_exact_repeat` (the same text
        as the previous user message, ignoring case and spacing) and, from the
        second message on, `similarity_to_previous` (0-1, by the embedder).
        The text itself is stored only with `store_text`.
        """
        state = self._state(conversation_id)
        state.turn = state.turn + 1 if turn is None else turn
        similarity: float | None = None
        is_exact_repeat: bool | None = None
        if text is not None:
            if not isinstance(text, str):
                raise EventValidationError(f"text must be a str, got {type(text).__name__}")
            message_length = len(text) if message_length is None else message_length
            digest = _exact_digest(text)
            is_exact_repeat = digest == state.previous_digest
            if is_exact_repeat:
                similarity, vector = 1.0, state.previous_vector
            else:
                vector = await self._embed(text)
                if state.previous_vector is not None:
                    similarity = round(
                        self.embedder.similarity(state.previous_vector, vector), 4
                    )
            state.previous_digest, state.previous_vector = digest, vector
        keep_text = self.store_text if store_text is None else store_text
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.USER_MESSAGE,
            event_timestamp,
            extra,
            turn=state.turn,
            message_length=message_length,
            similarity_to_previous=similarity,
            is_exact_repeat=is_exact_repeat,
            text=text if keep_text else None,
        )

    async def agent_response(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        text: str | None = None,
        response_length: int | None = None,
        model: str | None = None,
        latency_ms: float | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        turn: int | None = None,
        store_text: bool | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """The agent replied; `response_length` comes from `text` when given."""
        if text is not None and response_length is None:
            response_length = len(text)
        keep_text = self.store_text if store_text is None else store_text
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.AGENT_RESPONSE,
            event_timestamp,
            extra,
            turn=self._turn(conversation_id, turn),
            response_length=response_length,
            model=model,
            latency_ms=latency_ms,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            text=text if keep_text else None,
        )

    async def tool_called(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        tool_name: str,
        status: ToolStatus = "ok",
        turn: int | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """The agent called a tool; `status` is `ok` or `error`."""
        if status not in _TOOL_STATUSES:
            raise EventValidationError(f"tool status must be 'ok' or 'error', got {status!r}")
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.TOOL_CALLED,
            event_timestamp,
            extra,
            tool_name=tool_name,
            turn=self._turn(conversation_id, turn),
            status=status,
        )

    async def handoff_requested(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        reason: str | None = None,
        turn: int | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """The agent asked for a human."""
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.HANDOFF_REQUESTED,
            event_timestamp,
            extra,
            reason=reason,
            turn=self._turn(conversation_id, turn),
        )

    async def feedback(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        rating: Rating,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """Explicit feedback (`feedback_received`): `positive` or `negative`."""
        normalised = rating.strip().lower() if isinstance(rating, str) else rating
        if normalised not in _RATINGS:
            raise EventValidationError(
                f"rating must be 'positive' or 'negative', got {rating!r}"
            )
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.FEEDBACK_RECEIVED,
            event_timestamp,
            extra,
            rating=normalised,
        )

    async def completed(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        total_turns: int | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """The conversation reached its goal; `total_turns` defaults to the
        current turn. Forgets the conversation's state."""
        turns = self._turn(conversation_id, total_turns)
        self._conversations.pop(conversation_id, None)
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.COMPLETED,
            event_timestamp,
            extra,
            total_turns=turns,
        )

    async def abandoned(
        self,
        conversation_id: str,
        user_id: str | None,
        *,
        abandoned_at_turn: int | None = None,
        event_timestamp: datetime | None = None,
        **extra: Any,
    ) -> EventRecord:
        """The user left; `abandoned_at_turn` defaults to the current turn.
        Forgets the conversation's state."""
        turn = self._turn(conversation_id, abandoned_at_turn)
        self._conversations.pop(conversation_id, None)
        return await self._emit(
            conversation_id,
            user_id,
            ConversationEvent.ABANDONED,
            event_timestamp,
            extra,
            abandoned_at_turn=turn,
        )

    # -- internals -------------------------------------------------------------------

    async def _emit(
        self,
        conversation_id: str,
        user_id: str | None,
        event_type: ConversationEvent,
        event_timestamp: datetime | None,
        extra: dict[str, Any],
        **fields: Any,
    ) -> EventRecord:
        metadata = {key: value for key, value in fields.items() if value is not None}
        clash = metadata.keys() & extra.keys()
        if clash:
            raise EventValidationError(
                f"metadata key(s) {', '.join(sorted(clash))} given twice"
            )
        metadata.update(extra)
        event, row = _validated(
            conversation_id, user_id, event_type, metadata, event_timestamp, None
        )
        if self.when_full == "wait":
            await self._writer.submit_when_ready(row)
        else:
            self._submit(row)
        return event

    def _state(self, conversation_id: str) -> _ConversationState:
        conversations = self._conversations
        state = conversations.get(conversation_id)
        if state is None:
            state = conversations[conversation_id] = _ConversationState()
            if len(conversations) > self.max_open_conversations:
                conversations.popitem(last=False)
        else:
            conversations.move_to_end(conversation_id)
        return state

    def _turn(self, conversation_id: str, explicit: int | None) -> int | None:
        if explicit is not None:
            return explicit
        state = self._conversations.get(conversation_id)
        return state.turn if state is not None else None

    async def _embed(self, text: str) -> Any:
        if self.embedder.blocking:
            return await asyncio.to_thread(self.embedder.embed, text)
        return self.embedder.embed(text)


def _validated(
    conversation_id: str,
    user_id: str | None,
    event_type: ConversationEvent | str,
    metadata: dict[str, Any],
    event_timestamp: datetime | None,
    event_id: str | None,
) -> tuple[EventRecord, Row]:
    """`EventRecord.create` and the row, refusing what the stores cannot hold: an id longer
    than `MAX_EVENT_ID_LENGTH`, a NUL character in an id or in metadata."""
    event = EventRecord.create(
        conversation_id, user_id, event_type, metadata, event_timestamp, event_id
    )
    if event_id is not None:
        if not isinstance(event_id, str):
            raise EventValidationError(f"event_id must be text, got {type(event_id).__name__}")
        if len(event_id) > MAX_EVENT_ID_LENGTH:
            raise EventValidationError(
                f"event_id is {len(event_id)} characters long: at most "
                f"{MAX_EVENT_ID_LENGTH} are accepted (it is the raw table's key)"
            )
    for name, value in (
        ("event_id", event_id),
        ("conversation_id", conversation_id),
        ("user_id", user_id),
    ):
        if value is not None and "\x00" in value:
            raise EventValidationError(f"{name} contains a NUL character, which no store keeps")
    row: Row = event.to_row()  # type: ignore[assignment]
    # JSON spells NUL "\\u0000": the walk runs only when the text has one.
    if row[5] is not None and "\\u0000" in row[5] and _has_nul(metadata):
        raise EventValidationError(
            "metadata contains a NUL character (\\x00), which PostgreSQL cannot store: "
            "remove it before recording"
        )
    return event, row


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _exact_digest(text: str) -> bytes:
    """A digest of `text` ignoring case and spacing, so the previous message
    need not be kept in memory to spot an exact repeat."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=16).digest()
