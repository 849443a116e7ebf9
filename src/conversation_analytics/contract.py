"""The raw event contract (docs/event-contract.md), in Python.

One `EventRecord` is one row of `conversation_events`. The tracker builds
records through `EventRecord.create`, which validates at the call site; the
simulator builds records directly, since it deliberately writes faulty rows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ConversationEvent(StrEnum):
    """The event types a conversation emits (docs/event-contract.md)."""

    STARTED = "started"
    USER_MESSAGE = "user_message"
    AGENT_RESPONSE = "agent_response"
    TOOL_CALLED = "tool_called"
    HANDOFF_REQUESTED = "handoff_requested"
    FEEDBACK_RECEIVED = "feedback_received"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


EVENT_TYPES: tuple[str, ...] = tuple(e.value for e in ConversationEvent)

# Column order of the raw table, as the loader writes it.
RAW_COLUMNS: tuple[str, ...] = (
    "id",
    "conversation_id",
    "user_id",
    "event_type",
    "timestamp",
    "metadata",
)


class EventValidationError(ValueError):
    """An event that breaks the contract, raised where it is recorded."""


def parse_event_type(value: ConversationEvent | str) -> ConversationEvent:
    """Return the event type for `value`, compared case-insensitively and
    ignoring surrounding spaces, as the models compare it."""
    if isinstance(value, ConversationEvent):
        return value
    if isinstance(value, str):
        try:
            return ConversationEvent(value.strip().lower())
        except ValueError:
            pass
    raise EventValidationError(
        f"unknown event_type {value!r}: expected one of {', '.join(EVENT_TYPES)}"
    )


def utc_timestamp(value: datetime) -> datetime:
    """Return `value` in UTC; a naive timestamp is refused, since its zone is a guess."""
    if not isinstance(value, datetime):
        raise EventValidationError(f"timestamp must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise EventValidationError(
            f"timestamp {value.isoformat()} is naive: pass a timezone-aware datetime "
            "(for example datetime.now(UTC))"
        )
    return value.astimezone(UTC)


def metadata_json(metadata: dict[str, Any]) -> str:
    """Serialise metadata to a JSON object, or say which key cannot be."""
    if not isinstance(metadata, dict):
        raise EventValidationError(f"metadata must be a dict, got {type(metadata).__name__}")
    try:
        return json.dumps(metadata, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        bad = [k for k, v in metadata.items() if not _serialisable(v)]
        where = f" (key {', '.join(map(repr, bad))})" if bad else ""
        raise EventValidationError(f"metadata is not JSON-serialisable{where}: {exc}") from exc


def _serialisable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(slots=True)
class EventRecord:
    """One raw event. `metadata` is a dict for well-formed events; the
    simulator may put a raw string there to reproduce malformed payloads."""

    conversation_id: str | None
    user_id: str | None
    event_type: str | None
    timestamp: datetime | None
    metadata: dict[str, Any] | str | None = field(default_factory=dict)
    id: str | None = field(default_factory=lambda: str(uuid.uuid4()))

    @classmethod
    def create(
        cls,
        conversation_id: str,
        user_id: str | None,
        event_type: ConversationEvent | str,
        metadata: dict[str, Any] | None = None,
        timestamp: datetime | None = None,
        event_id: str | None = None,
    ) -> EventRecord:
        """Build a validated record: known type, aware timestamp, JSON metadata."""
        if not isinstance(conversation_id, str) or not conversation_id.strip():
            raise EventValidationError("conversation_id is required and must be non-blank text")
        if user_id is not None and not isinstance(user_id, str):
            raise EventValidationError(
                f"user_id must be text or None, got {type(user_id).__name__}"
            )
        kind = parse_event_type(event_type)
        metadata = {} if metadata is None else metadata
        metadata_json(metadata)
        when = datetime.now(UTC) if timestamp is None else utc_timestamp(timestamp)
        return cls(
            id=event_id or str(uuid.uuid4()),
            conversation_id=conversation_id,
            user_id=user_id,
            event_type=kind.value,
            timestamp=when,
            metadata=metadata,
        )

    def metadata_text(self) -> str | None:
        """The metadata as the raw table stores it: JSON text, the raw
        string for a malformed payload, or None."""
        if self.metadata is None:
            return None
        if isinstance(self.metadata, str):
            return self.metadata
        return json.dumps(self.metadata, separators=(",", ":"))

    def to_row(self) -> tuple[Any, ...]:
        """The record as a raw-table row, in `RAW_COLUMNS` order."""
        return (
            self.id,
            self.conversation_id,
            self.user_id,
            self.event_type,
            self.timestamp,
            self.metadata_text(),
        )
