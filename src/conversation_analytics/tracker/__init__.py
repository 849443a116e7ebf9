"""Capture conversation events from agents (the article's tracker, production-grade).

The article is the one the project started from:
"Agent Conversation Analytics: Understanding User Behavior and Agent Performance"
(CallSphere blog, 2026).

    from conversation_analytics.tracker import ConversationTracker, DuckDBStore

    async with ConversationTracker(DuckDBStore("events.duckdb")) as tracker:
        await tracker.started("c-1", "u-1", channel="web", agent_id="support")
        await tracker.user_message("c-1", "u-1", text="How do I reset my password?")

Agents that do not run asyncio use `SyncConversationTracker` (same calls,
no `await`). See docs/tracker.md for delivery guarantees, tuning and the similarity threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..contract import ConversationEvent, EventRecord, EventValidationError
from . import stores
from .batching import BatchSettings, TrackerClosedError, TrackerStats
from .similarity import (
    CharNgramEmbedder,
    Embedder,
    SentenceEmbedder,
    TokenSortEmbedder,
    select_embedder,
)
from .stores import EventStore, JsonLinesStore, MemoryStore, Row
from .sync import SyncConversationTracker
from .tracker import MAX_EVENT_ID_LENGTH, ConversationTracker

if TYPE_CHECKING:
    from .stores import DuckDBStore, PostgresStore

__all__ = [
    "BatchSettings",
    "CharNgramEmbedder",
    "ConversationEvent",
    "ConversationTracker",
    "DuckDBStore",
    "Embedder",
    "EventRecord",
    "EventStore",
    "EventValidationError",
    "JsonLinesStore",
    "MAX_EVENT_ID_LENGTH",
    "MemoryStore",
    "PostgresStore",
    "Row",
    "SentenceEmbedder",
    "SyncConversationTracker",
    "TokenSortEmbedder",
    "TrackerClosedError",
    "TrackerStats",
    "select_embedder",
]


def __getattr__(name: str) -> Any:
    # DuckDBStore and PostgresStore import their drivers on first use.
    if name in ("DuckDBStore", "PostgresStore"):
        return getattr(stores, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
