"""The scripted conversations of otel_agent, traced as Langfuse traces them
and written as a Langfuse export (docs/langfuse.md): traces, observations
and scores in the public API's shape (camelCase fields, ISO 8601 times),
one JSON object a line in `traces.jsonl`, `observations.jsonl` and
`scores.jsonl`.

Each turn is a trace (`sessionId` the conversation, `userId`, `input` the
user's message, `metadata` the agent id, channel and perhaps the outcome)
holding an AGENT observation for the whole turn, the GENERATION(s) of the
model (usage in `usageDetails`) and perhaps a TOOL observation (level ERROR
when it failed); feedback is a NUMERIC `user_feedback` score (1 thumbs up,
0 down), as Langfuse's user feedback guide records it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from otel_agent import Played, play_script, record_response, record_turn

MODEL = "gpt-4o-2024-08-06"


def iso(moment: datetime) -> str:
    """A time as the public API writes it: `2026-11-20T09:00:01.500Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class LangfuseAgent:
    def __init__(self) -> None:
        self.played: dict[str, Played] = {}
        self.traces: list[dict[str, Any]] = []
        self.observations: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self._ids = count(1)

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids):04d}"

    def _trace(
        self, session_id: str | None, at: datetime, played: Played | None,
        user_input: Any, metadata: dict[str, Any],
    ) -> str:
        trace_id = self._id("trace")
        self.traces.append({
            "id": trace_id, "projectId": "project-1", "name": "support-turn",
            "timestamp": iso(at), "environment": "default",
            "userId": played.user_id if played else None, "sessionId": session_id,
            "input": user_input, "output": {"role": "assistant", "content": "..."},
            "metadata": metadata, "tags": ["scripted"], "release": "1.0.0", "version": None,
            "public": False, "bookmarked": False,
            "createdAt": iso(at), "updatedAt": iso(at),
        })
        return trace_id

    def _observation(
        self, trace_id: str, kind: str, name: str, start: datetime, end: datetime,
        parent: str | None = None, **fields: Any,
    ) -> str:
        observation_id = self._id("obs")
        self.observations.append({
            "id": observation_id, "traceId": trace_id, "type": kind, "name": name,
            "startTime": iso(start), "endTime": iso(end), "completionStartTime": None,
            "model": None, "modelParameters": {}, "usage": None, "usageDetails": {},
            "costDetails": {}, "level": "DEFAULT", "statusMessage": None,
            "parentObservationId": parent, "input": None, "output": None,
            "metadata": {}, "version": None, "environment": "default",
            **fields,
        })
        return observation_id

    def _generation(
        self, trace_id: str, start: datetime, end: datetime, tokens: tuple[int, int],
        parent: str | None,
    ) -> None:
        usage = {"input": tokens[0], "output": tokens[1], "total": sum(tokens)}
        self._observation(
            trace_id, "GENERATION", "chat", start, end, parent,
            completionStartTime=iso(start + timedelta(milliseconds=200)), model=MODEL,
            modelParameters={"temperature": 0.2}, usage={**usage, "unit": "TOKENS"},
            usageDetails=usage,
        )

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
        """One trace: an AGENT observation over the turn; one generation, or
        with a tool, a generation, the tool, and a second generation that
        ends the turn (the tokens split between them)."""
        played = self.played[conversation_id]
        end = at + timedelta(seconds=seconds)
        metadata: dict[str, Any] = {"agent_id": played.agent_id, "channel": played.channel}
        if outcome is not None:
            metadata["outcome"] = outcome
            if outcome == "handoff_requested":
                metadata["reason"] = "refund needs a human"
        trace_id = self._trace(
            conversation_id, at, played, {"role": "user", "content": "help"}, metadata
        )
        agent = self._observation(trace_id, "AGENT", played.agent_id, at, end)
        if tool is None:
            self._generation(trace_id, at, end, tokens, agent)
        else:
            first = (tokens[0] // 2, tokens[1] // 2)
            self._generation(trace_id, at, at + timedelta(milliseconds=900), first, agent)
            name, failed = tool
            self._observation(
                trace_id, "TOOL", name, at + timedelta(seconds=1),
                at + timedelta(seconds=1.5), agent,
                level="ERROR" if failed else "DEFAULT",
                statusMessage="upstream timeout" if failed else None,
            )
            rest = (tokens[0] - first[0], tokens[1] - first[1])
            self._generation(trace_id, at + timedelta(seconds=1.6), end, rest, agent)
        if rating is not None:
            self.score(trace_id, end, "user_feedback", value=1 if rating == "positive" else 0)
        record_turn(played, tool, tokens, seconds, outcome, rating)

    def score(
        self, trace_id: str | None, at: datetime, name: str, *, value: float | None = None,
        string_value: str | None = None, session_id: str | None = None,
    ) -> None:
        categorical = string_value is not None
        self.scores.append({
            "id": self._id("score"), "traceId": trace_id, "observationId": None,
            "sessionId": session_id, "name": name, "value": value,
            "stringValue": string_value,
            "dataType": "CATEGORICAL" if categorical else "NUMERIC",
            "source": "API", "timestamp": iso(at), "comment": None, "metadata": {},
            "configId": None, "environment": "default",
        })

    def plain_chat(self, conversation_id: str, at: datetime, tokens: tuple[int, int]) -> None:
        """A trace without input (not a user turn) whose one generation is
        a model response."""
        played = self.played[conversation_id]
        trace_id = self._trace(
            conversation_id, at, played, None,
            {"agent_id": played.agent_id, "channel": played.channel},
        )
        self._generation(trace_id, at, at + timedelta(seconds=1.25), tokens, None)
        record_response(played, tokens, 1250.0)

    def stray_span(self, at: datetime) -> None:
        """A trace that names no session, with a generation: both are
        quarantined."""
        trace_id = self._trace(None, at, None, {"role": "user", "content": "hi"}, {})
        self._generation(trace_id, at, at + timedelta(seconds=1), (10, 5), None)

    def write(self, directory: Path) -> Path:
        """The export as three JSON lines files in `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, rows in (
            ("traces", self.traces), ("observations", self.observations),
            ("scores", self.scores),
        ):
            with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(row) + "\n" for row in rows)
        return directory


def play() -> tuple[dict[str, Played], LangfuseAgent]:
    """The otel_agent script traced the Langfuse way."""
    agent = LangfuseAgent()
    return play_script(agent), agent
