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

The page's filters (dates, agent, channel, model) re-aggregate the
additive columns of the daily marts in the page: `explore` holds the rows
of `conversation_metrics_daily` (every model) and
`conversation_metrics_daily_by_model` (one model) for the days the window
touches, and the worst conversations of those days from
`fct_conversations` (ids and flags only) for the drill-down, with the
models that answered in each from the semantic layer's
`fct_conversation_models`.
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from conversation_analytics.presentation.marts import (
    MartReader,
    MartsError,
    Window,
    connect_marts,
)
from conversation_analytics.presentation.report import Metrics
from conversation_analytics.raw_table import Target
from conversation_analytics.warehouse import dbt_runner
from conversation_analytics.warehouse.loader import table_exists

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
    "conversation_metrics_daily",
    "conversation_metrics_daily_by_model",
    "fct_conversations",
)
LEAGUE_WEEKS = 6
# The agent and channel the marts name `unknown`: events without one. Shown
# apart, never ranked with the named ones.
UNKNOWN = "unknown"
# The additive columns the page sums, in this order (the outcome mix and the
# provisional flag when the daily mart has them).
DAILY_SUMS = (
    "total_conversations",
    "completed_conversations",
    "abandoned_conversations",
    "handoff_conversations",
    "sum_user_turns",
    "sum_satisfaction_score",
    "sum_rephrase_count",
)
OUTCOME_MIX = (
    "ended_abandoned_conversations",
    "ended_handed_off_conversations",
    "timed_out_conversations",
    "in_progress_conversations",
)
# The drill-down: the worst conversations of the days shown (abandoned
# first, then the most negative feedback, then the most rephrases), at most
# DRILL_CAP of them in the page, DRILL_SHOWN listed for the filters chosen.
DRILL_CAP = 1000
DRILL_SHOWN = 25
DRILL_COLUMNS = (
    "conversation_id",
    "started_date",
    "agent_id",
    "channel",
    "outcome",
    "was_abandoned",
    "had_handoff",
    "negative_feedback_count",
    "rephrase_count",
    "user_turns",
)
# The quantile of the default confidence_level (0.95), for marts with no
# row to read the build's confidence_z from (no interval to draw then).
DEFAULT_CONFIDENCE_Z = 1.959963984540054
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
class Explore:
    """What the page's filters re-aggregate. `daily` rows are
    [date, agent, channel, *sums] with date, agent and channel as indexes
    into `dates`, `agents` and `channels`, and the sums in the order of
    `sums`; `by_model` rows add the index of the model after the channel.
    `provisional` holds the dates whose rates can still change."""

    dates: list[str]
    agents: list[str]
    channels: list[str]
    models: list[str]
    sums: list[str]
    daily: list[list[Any]]
    by_model_sums: list[str]
    by_model: list[list[Any]]
    provisional: list[str]
    unknown: str
    z: float
    drill_columns: list[str]
    drill: list[list[Any]]
    drill_models: list[list[int]] | None
    drill_cap: int
    drill_shown: int


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
    explore: Explore
    provisional_week: date | None = None


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _number(value: Any) -> int | float:
    """An additive mart value as JSON takes it: an integer count stays one."""
    if value is None:
        return 0
    return value if isinstance(value, int) else float(value)


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
            explore=self._explore(window, target),
            provisional_week=self._provisional_week(weeks, window),
        )

    def columns_of(self, mart: str) -> set[str]:
        sql = f"select * from {self.table(mart)} where 1 = 0"
        if isinstance(self.connection, duckdb.DuckDBPyConnection):
            description = self.connection.execute(sql).description
        else:
            with self.connection.cursor() as cursor:
                description = cursor.execute(sql).description
        return {str(column[0]) for column in description or ()}

    def _days(self, window: Window) -> tuple[date, date] | None:
        if window.start_at is None or window.as_of_at is None:
            return None
        return _as_date(window.start_at), _as_date(window.as_of_at)

    def _explore(self, window: Window, target: str) -> Explore:
        days = self._days(window)
        daily_columns = self.columns_of("conversation_metrics_daily")
        mix = [c for c in OUTCOME_MIX if c in daily_columns]
        sums = [*DAILY_SUMS, *mix] if len(mix) == len(OUTCOME_MIX) else list(DAILY_SUMS)
        has_provisional = "is_provisional" in daily_columns
        model_columns = self.columns_of("conversation_metrics_daily_by_model")
        model_sums = [c for c in sums if c in model_columns]
        where, params = ("started_date between ? and ?", days) if days else ("1 = 0", ())
        daily = self.records(
            "conversation_metrics_daily",
            ("started_date", "agent_id", "channel", *sums,
             *(("is_provisional",) if has_provisional else ())),
            where, "started_date, agent_id, channel", params,
        )
        by_model = self.records(
            "conversation_metrics_daily_by_model",
            ("started_date", "agent_id", "channel", "model", *model_sums),
            where, "started_date, agent_id, channel, model", params,
        )
        dates = sorted({_as_date(r["started_date"]).isoformat() for r in daily})
        agents = sorted({str(r["agent_id"]) for r in daily})
        channels = sorted({str(r["channel"]) for r in daily})
        models = sorted({str(r["model"]) for r in by_model})
        if has_provisional:
            provisional = sorted(
                {_as_date(r["started_date"]).isoformat() for r in daily if r["is_provisional"]}
            )
        else:
            # Without the mart's flag: the as-of day, which is still open.
            provisional = dates[-1:]
        date_at = {d: i for i, d in enumerate(dates)}
        agent_at = {a: i for i, a in enumerate(agents)}
        channel_at = {c: i for i, c in enumerate(channels)}
        model_at = {m: i for i, m in enumerate(models)}

        def key(row: dict[str, Any]) -> list[int]:
            return [
                date_at[_as_date(row["started_date"]).isoformat()],
                agent_at[str(row["agent_id"])],
                channel_at[str(row["channel"])],
            ]

        drill = self.records(
            "fct_conversations",
            DRILL_COLUMNS,
            f"{where} and (was_abandoned or negative_feedback_count > 0 or rephrase_count > 0)",
            "case when was_abandoned then 0 else 1 end, negative_feedback_count desc, "
            f"rephrase_count desc, conversation_id limit {DRILL_CAP}",
            params,
        )
        return Explore(
            dates=dates,
            agents=agents,
            channels=channels,
            models=models,
            sums=sums,
            daily=[[*key(r), *(_number(r[c]) for c in sums)] for r in daily],
            by_model_sums=model_sums,
            by_model=[
                [*key(r), model_at[str(r["model"])], *(_number(r[c]) for c in model_sums)]
                for r in by_model
            ],
            provisional=provisional,
            unknown=UNKNOWN,
            z=self._confidence_z(),
            drill_columns=list(DRILL_COLUMNS),
            drill=[
                [
                    _as_date(r[c]).isoformat() if c == "started_date"
                    else bool(r[c]) if c in ("was_abandoned", "had_handoff")
                    else _number(r[c]) if c.endswith(("_count", "_turns"))
                    else str(r[c])
                    for c in DRILL_COLUMNS
                ]
                for r in drill
            ],
            drill_models=self._drill_models(target, drill, model_at),
            drill_cap=DRILL_CAP,
            drill_shown=DRILL_SHOWN,
        )

    def _drill_models(
        self, target: str, drill: list[dict[str, Any]], model_at: dict[str, int]
    ) -> list[list[int]] | None:
        """For each drill-down row, the models that answered in it (indexes
        into `models`), from the semantic layer's fct_conversation_models;
        None when that table is not built (the model filter then leaves the
        drill-down alone, and the page says so)."""
        semantic = dbt_runner.layer_schema(target, "semantic")
        if not table_exists(self.connection, semantic, "fct_conversation_models"):
            return None
        ids = [str(r["conversation_id"]) for r in drill]
        answered: dict[str, list[int]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for conversation_id, model in self.rows(
                f"select conversation_id, model from "
                f"{self.table('fct_conversation_models', semantic)} where conversation_id in "
                f"({', '.join('?' for _ in chunk)}) order by conversation_id, model",
                chunk,
            ):
                if str(model) in model_at:
                    answered.setdefault(str(conversation_id), []).append(model_at[str(model)])
        return [answered.get(i, []) for i in ids]

    def _confidence_z(self) -> float:
        """The quantile the marts' ci columns use (var confidence_level)."""
        rows = self.rows(
            f"select min(confidence_z) from {self.table('conversation_metrics_daily_by_model')}"
        )
        return DEFAULT_CONFIDENCE_Z if rows[0][0] is None else float(rows[0][0])

    def _provisional_week(self, weeks: list[date], window: Window) -> date | None:
        """The newest week shown while it is still open: its rates can change."""
        if not weeks:
            return None
        newest = weeks[-1]
        if "is_complete_week" in self.columns_of("agent_performance_weekly"):
            rows = self.records(
                "agent_performance_weekly", ("is_complete_week",), "week_start = ?", "",
                (newest,),
            )
            return newest if any(not r["is_complete_week"] for r in rows) else None
        days = self._days(window)
        return newest if days and newest + timedelta(days=7) > days[1] else None

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
