"""The dashboard's figures, read from the windowed marts as they are.

One trailing window (one of var('summary_window_days'); the longest when
not given). Each section is a plain read of one mart:

- headline: `conversation_summary`;
- daily rates: `conversation_summary_by_day`;
- drop-off by turn: `conversation_summary_by_turn`;
- satisfaction distribution: `conversation_summary_by_satisfaction_band`;
- what the scores rest on: `conversation_summary_by_satisfaction_signal`;
- the agent league: `conversation_summary_by_agent`, and the calendar weeks
  the window touches from `agent_performance_weekly`;
- tools and models: `conversation_summary_by_tool`, `conversation_summary_by_model`.
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from conversation_analytics.presentation.marts import (
    MartReader,
    MartsError,
    Window,
    connect_marts,
)
from conversation_analytics.presentation.report import Metrics
from conversation_analytics.raw_table import Target

MARTS = (
    "conversation_summary",
    "conversation_summary_by_day",
    "conversation_summary_by_turn",
    "conversation_summary_by_satisfaction_band",
    "conversation_summary_by_satisfaction_signal",
    "conversation_summary_by_agent",
    "conversation_summary_by_tool",
    "conversation_summary_by_model",
    "agent_performance_weekly",
)
LEAGUE_WEEKS = 6
MAX_TURNS_SHOWN = 30
SIGNAL_LABELS = {
    "explicit": "Explicit feedback",
    "implicit": "Implicit rules only",
    "none": "No signal (neutral score)",
}


class DashboardError(MartsError):
    """The dashboard cannot be made; the message says what to do."""


@dataclass(frozen=True)
class DailyRates:
    day: date
    total_conversations: int
    completion_rate: float | None
    abandonment_rate: float | None
    handoff_rate: float | None


@dataclass(frozen=True)
class TurnPoint:
    """Turn t: how many conversations got at least t user turns, and how many
    were abandoned at turn t (shares: percent of the window's conversations)."""

    turn: int
    still_going: int
    still_going_share: float | None
    abandoned: int
    abandoned_share: float | None


@dataclass(frozen=True)
class SatisfactionBin:
    lower: float
    upper: float
    conversations: int
    share: float | None


@dataclass(frozen=True)
class CoverageGroup:
    """Conversations whose score rests on explicit feedback, on an implicit
    rule only, or on nothing (the neutral score)."""

    key: str
    label: str
    conversations: int
    share: float | None
    avg_satisfaction_score: float | None


@dataclass(frozen=True)
class AgentWeek:
    week_start: date
    total_conversations: int
    completion_rate: float | None
    previous_completion_rate: float | None
    completion_rate_change_points: float | None
    completion_rate_alert: bool


@dataclass(frozen=True)
class AgentRow:
    agent_id: str
    metrics: Metrics
    weeks: dict[str, AgentWeek] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolRow:
    tool_name: str
    total_calls: int
    error_calls: int
    error_rate: float | None
    conversations_using_tool: int
    completion_rate: float | None


@dataclass(frozen=True)
class ModelRow:
    model: str
    total_conversations: int
    completion_rate: float | None
    avg_satisfaction_score: float | None
    agent_responses: int
    output_tokens_per_response: float | None
    avg_latency_ms: float | None


@dataclass(frozen=True)
class DashboardData:
    target: str
    schema: str
    generated_at: str
    window: Window
    headline: Metrics
    daily: list[DailyRates]
    turns: list[TurnPoint]
    satisfaction_bins: list[SatisfactionBin]
    coverage: list[CoverageGroup]
    weeks: list[date]
    agents: list[AgentRow]
    alerts: list[tuple[date, str, AgentWeek]]
    tools: list[ToolRow]
    models: list[ModelRow]


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


class _DashboardReader(MartReader):
    """The dashboard's reads, each of one mart in the chosen window."""

    def gather(self, target: str, days: int | None) -> DashboardData:
        self.require(MARTS, DashboardError)
        window = self.window(days, DashboardError)
        (summary,) = self._in_window("conversation_summary", window, Metrics.columns())
        weeks, agents, alerts = self._league(window)
        return DashboardData(
            target=target,
            schema=self.schema,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            window=window,
            headline=Metrics.of(summary),
            daily=self._daily(window),
            turns=self._turns(window),
            satisfaction_bins=self._satisfaction_bins(window),
            coverage=self._coverage(window),
            weeks=weeks,
            agents=agents,
            alerts=alerts,
            tools=self._tools(window),
            models=self._models(window),
        )

    def _in_window(
        self, mart: str, window: Window, columns: tuple[str, ...], where: str = "",
        order_by: str = "", params: tuple[Any, ...] = (),
    ) -> list[dict[str, Any]]:
        condition = "window_days = ?" + (f" and {where}" if where else "")
        return self.records(mart, columns, condition, order_by, (window.days, *params))

    def _daily(self, window: Window) -> list[DailyRates]:
        return [
            DailyRates(
                day=_as_date(row["started_date"]),
                total_conversations=_int(row["total_conversations"]),
                completion_rate=_float(row["completion_rate"]),
                abandonment_rate=_float(row["abandonment_rate"]),
                handoff_rate=_float(row["handoff_rate"]),
            )
            for row in self._in_window(
                "conversation_summary_by_day",
                window,
                ("started_date", "total_conversations", "completion_rate", "abandonment_rate",
                 "handoff_rate"),
                order_by="started_date",
            )
        ]

    def _turns(self, window: Window) -> list[TurnPoint]:
        return [
            TurnPoint(
                turn=int(row["turn"]),
                still_going=_int(row["conversations_reaching_turn"]),
                still_going_share=_float(row["reaching_turn_share"]),
                abandoned=_int(row["abandon_count"]),
                abandoned_share=_float(row["abandon_share"]),
            )
            for row in self._in_window(
                "conversation_summary_by_turn",
                window,
                ("turn", "conversations_reaching_turn", "reaching_turn_share", "abandon_count",
                 "abandon_share"),
                where="turn between 0 and ?",
                order_by="turn",
                params=(MAX_TURNS_SHOWN,),
            )
        ]

    def _satisfaction_bins(self, window: Window) -> list[SatisfactionBin]:
        return [
            SatisfactionBin(
                lower=float(row["band_lower_score"]),
                upper=float(row["band_upper_score"]),
                conversations=_int(row["total_conversations"]),
                share=_float(row["conversation_share"]),
            )
            for row in self._in_window(
                "conversation_summary_by_satisfaction_band",
                window,
                ("band_lower_score", "band_upper_score", "total_conversations",
                 "conversation_share"),
                order_by="satisfaction_band",
            )
        ]

    def _coverage(self, window: Window) -> list[CoverageGroup]:
        rows = {
            str(row["satisfaction_signal"]): row
            for row in self._in_window(
                "conversation_summary_by_satisfaction_signal",
                window,
                ("satisfaction_signal", "total_conversations", "conversation_share",
                 "avg_satisfaction_score"),
            )
        }
        return [
            CoverageGroup(
                key=key,
                label=label,
                conversations=_int(rows[key]["total_conversations"]) if key in rows else 0,
                share=_float(rows[key]["conversation_share"]) if key in rows else None,
                avg_satisfaction_score=(
                    _float(rows[key]["avg_satisfaction_score"]) if key in rows else None
                ),
            )
            for key, label in SIGNAL_LABELS.items()
        ]

    def _league(
        self, window: Window
    ) -> tuple[list[date], list[AgentRow], list[tuple[date, str, AgentWeek]]]:
        agents_overall = self._in_window(
            "conversation_summary_by_agent",
            window,
            ("agent_id", *Metrics.columns()),
            # Ranked by completion rate over the window (no rate last).
            order_by="case when completion_rate is null then 1 else 0 end, "
            "completion_rate desc, agent_id",
        )
        per_agent: dict[str, dict[str, AgentWeek]] = {}
        alerts: list[tuple[date, str, AgentWeek]] = []
        all_weeks: list[date] = []
        if window.start_at is not None and window.as_of_at is not None:
            # The calendar weeks (Monday starts) the window touches.
            first_day = _as_date(window.start_at)
            first_monday = first_day - timedelta(days=first_day.weekday())
            weekly = self.records(
                "agent_performance_weekly",
                ("week_start", "agent_id", "total_conversations", "completion_rate",
                 "previous_completion_rate", "completion_rate_change_points",
                 "completion_rate_alert"),
                "week_start >= ? and week_start <= ?",
                "week_start, agent_id",
                (first_monday, _as_date(window.as_of_at)),
            )
            all_weeks = sorted({_as_date(row["week_start"]) for row in weekly})[-LEAGUE_WEEKS:]
            for row in weekly:
                week = AgentWeek(
                    week_start=_as_date(row["week_start"]),
                    total_conversations=_int(row["total_conversations"]),
                    completion_rate=_float(row["completion_rate"]),
                    previous_completion_rate=_float(row["previous_completion_rate"]),
                    completion_rate_change_points=_float(row["completion_rate_change_points"]),
                    completion_rate_alert=bool(row["completion_rate_alert"]),
                )
                if week.week_start not in all_weeks:
                    continue
                per_agent.setdefault(str(row["agent_id"]), {})[week.week_start.isoformat()] = week
                if week.completion_rate_alert:
                    alerts.append((week.week_start, str(row["agent_id"]), week))
        agents = [
            AgentRow(
                agent_id=str(row["agent_id"]),
                metrics=Metrics.of(row),
                weeks=per_agent.get(str(row["agent_id"]), {}),
            )
            for row in agents_overall
        ]
        return all_weeks, agents, sorted(alerts, key=lambda a: (a[0], a[1]), reverse=True)

    def _tools(self, window: Window) -> list[ToolRow]:
        return [
            ToolRow(
                tool_name=str(row["tool_name"]),
                total_calls=_int(row["total_calls"]),
                error_calls=_int(row["error_calls"]),
                error_rate=_float(row["error_rate"]),
                conversations_using_tool=_int(row["total_conversations"]),
                completion_rate=_float(row["completion_rate"]),
            )
            for row in self._in_window(
                "conversation_summary_by_tool",
                window,
                ("tool_name", "total_calls", "error_calls", "error_rate", "total_conversations",
                 "completion_rate"),
                order_by="total_calls desc, tool_name",
            )
        ]

    def _models(self, window: Window) -> list[ModelRow]:
        return [
            ModelRow(
                model=str(row["model"]),
                total_conversations=_int(row["total_conversations"]),
                completion_rate=_float(row["completion_rate"]),
                avg_satisfaction_score=_float(row["avg_satisfaction_score"]),
                agent_responses=_int(row["agent_responses"]),
                output_tokens_per_response=_float(row["output_tokens_per_response"]),
                avg_latency_ms=_float(row["avg_latency_ms"]),
            )
            for row in self._in_window(
                "conversation_summary_by_model",
                window,
                ("model", "total_conversations", "completion_rate", "avg_satisfaction_score",
                 "agent_responses", "output_tokens_per_response", "avg_latency_ms"),
                order_by="total_conversations desc, model",
            )
        ]


def gather_dashboard(
    target: Target,
    *,
    days: int | None = None,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> DashboardData:
    """Read the dashboard for the `days`-day window (the longest when None)
    from the marts of `target`, over a read-only connection."""
    if days is not None and days < 1:
        raise DashboardError("--days must be at least 1")
    connection, schema = connect_marts(target, duckdb_path=duckdb_path, conninfo=conninfo)
    with closing(connection):
        return _DashboardReader(connection, schema).gather(target, days)
