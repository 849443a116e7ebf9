"""The dashboard: one self-contained HTML page drawn from the marts.

`write_dashboard(target, path)` reads the marts of a built warehouse and
writes a single HTML file with everything inlined (styles, SVG charts, a few
lines of script for sortable tables): it opens from disk, offline, and makes
no network request.

Sections, each re-aggregated from additive mart columns (never by averaging
rates), so the numbers equal the marts' and the text report's:

- headline: conversations, completion / abandonment / handoff rates, average
  turns, duration and satisfaction (`conversation_metrics_daily`);
- daily completion, abandonment and handoff rates (`conversation_metrics_daily`);
- drop-off by turn: the share of conversations still going at each user turn
  and where the abandoned ones left (`fct_conversations`, `conversation_drop_off`);
- satisfaction: the score distribution and how much of it rests on explicit
  feedback vs. the implicit rules only (`fct_conversations`);
- the agent league table with week-over-week changes, alerts highlighted
  (`conversation_metrics_daily`, `agent_performance_weekly`);
- tools (`tool_usage`) and models (`model_performance`) compared.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from conversation_analytics import __version__, dbt_runner
from conversation_analytics.raw_table import Target
from conversation_analytics.report import (
    SUMS_SQL,
    MartReader,
    Metrics,
    connect_marts,
    metrics_from_sums,
    round_half_up,
)

MARTS = (
    "fct_conversations",
    "conversation_metrics_daily",
    "conversation_drop_off",
    "agent_performance_weekly",
    "tool_usage",
    "model_performance",
)
LEAGUE_WEEKS = 6
MAX_TURNS_SHOWN = 30

# The vars' defaults (docs/metric-definitions.md), used when dbt_project.yml
# cannot be read.
DEFAULT_SATISFACTION_VARS = {
    "satisfaction_quick_resolution_max_turns": 3,
    "satisfaction_long_conversation_min_turns": 3,
}


class DashboardError(RuntimeError):
    """The dashboard cannot be made; the message says what to do."""


# --- data ------------------------------------------------------------------------


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
    were abandoned at turn t."""

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
    period_start: date | None
    period_end: date | None
    days: int | None
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


def _share(part: Any, whole: Any, digits: int = 1) -> float | None:
    """100 x part / whole, rounded like the marts; None for an empty whole."""
    if part is None or not whole:
        return None
    return round_half_up(100.0 * float(part) / float(whole), digits)


def _ratio(numerator: Any, denominator: Any, digits: int) -> float | None:
    if numerator is None or not denominator:
        return None
    return round_half_up(float(numerator) / float(denominator), digits)


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def satisfaction_vars(project_dir: Path | None = None) -> dict[str, int]:
    """The implicit-rule turn limits from dbt_project.yml's vars (their
    documented defaults when the project cannot be read)."""
    values = dict(DEFAULT_SATISFACTION_VARS)
    try:
        import yaml

        folder = project_dir or dbt_runner.find_project_dir()
        project = yaml.safe_load((folder / "dbt_project.yml").read_text()) or {}
    except (dbt_runner.DbtError, OSError, ValueError, ImportError):
        return values
    configured = project.get("vars") or {}
    for key in values:
        if isinstance(configured.get(key), int):
            values[key] = configured[key]
    return values


class _DashboardReader(MartReader):
    """The dashboard's queries."""

    def gather(self, target: str, days: int | None, limits: dict[str, int]) -> DashboardData:
        self.require(MARTS, DashboardError)
        daily_mart = self.table("conversation_metrics_daily")
        first, last = self.rows(f"select min(started_date), max(started_date) from {daily_mart}")[0]
        first, last = (_as_date(first) if first else None), (_as_date(last) if last else None)
        where = week_where = ""
        if days is not None and last is not None and first is not None:
            first = max(first, last - timedelta(days=days - 1))
            where = f"where started_date >= cast('{first.isoformat()}' as date)"
            monday = first - timedelta(days=first.weekday())
            week_where = f"where week_start >= cast('{monday.isoformat()}' as date)"
        return DashboardData(
            target=target,
            schema=self.schema,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            period_start=first,
            period_end=last,
            days=days,
            headline=self.summed(daily_mart, where),
            daily=self._daily(where),
            turns=self._turns(where),
            satisfaction_bins=self._satisfaction_bins(where),
            coverage=self._coverage(where, limits),
            **self._league(where, week_where, last),
            tools=self._tools(where),
            models=self._models(week_where),
        )

    def _daily(self, where: str) -> list[DailyRates]:
        rows = self.rows(
            "select started_date, sum(total_conversations), sum(completed_conversations), "
            "sum(abandoned_conversations), sum(handoff_conversations) "
            f"from {self.table('conversation_metrics_daily')} {where} "
            "group by started_date order by started_date"
        )
        return [
            DailyRates(
                day=_as_date(day),
                total_conversations=_int(total),
                completion_rate=_share(completed, total),
                abandonment_rate=_share(abandoned, total),
                handoff_rate=_share(handoff, total),
            )
            for day, total, completed, abandoned, handoff in rows
        ]

    def _turns(self, where: str) -> list[TurnPoint]:
        reached = {
            _int(turns): _int(count)
            for turns, count in self.rows(
                f"select user_turns, count(*) from {self.table('fct_conversations')} {where} "
                "group by user_turns"
            )
        }
        abandoned = {
            _int(turn): _int(count)
            for turn, count in self.rows(
                f"select abandon_turn, sum(abandon_count) "
                f"from {self.table('conversation_drop_off')} {where} group by abandon_turn"
            )
            if turn is not None
        }
        total = sum(reached.values())
        if not total:
            return []
        last_turn = min(max([*reached, *abandoned, 1]), MAX_TURNS_SHOWN)
        points = []
        for turn in range(last_turn + 1):
            going = sum(count for turns, count in reached.items() if turns >= turn)
            left = abandoned.get(turn, 0)
            points.append(
                TurnPoint(
                    turn=turn,
                    still_going=going,
                    still_going_share=_share(going, total),
                    abandoned=left,
                    abandoned_share=_share(left, total),
                )
            )
        return points

    def _satisfaction_bins(self, where: str) -> list[SatisfactionBin]:
        counts = [0] * 10
        for bucket, count in self.rows(
            "select floor(satisfaction_score * 10), count(*) "
            f"from {self.table('fct_conversations')} {where} group by 1"
        ):
            if bucket is not None:
                counts[min(max(int(bucket), 0), 9)] += _int(count)
        return [
            SatisfactionBin(lower=i / 10, upper=(i + 1) / 10, conversations=count)
            for i, count in enumerate(counts)
        ]

    def _coverage(self, where: str, limits: dict[str, int]) -> list[CoverageGroup]:
        quick = int(limits["satisfaction_quick_resolution_max_turns"])
        long_min = int(limits["satisfaction_long_conversation_min_turns"])
        rows = self.rows(
            f"""
            select
                case
                    when positive_feedback_count + negative_feedback_count > 0 then 'explicit'
                    when (was_completed and user_turns <= {quick})
                        or had_handoff
                        or user_turns >= {long_min} then 'implicit'
                    else 'none'
                end as signal,
                count(*),
                sum(satisfaction_score)
            from {self.table('fct_conversations')} {where}
            group by 1
            """
        )
        found = {key: (_int(count), total) for key, count, total in rows}
        everyone = sum(count for count, _ in found.values())
        labels = {
            "explicit": "Explicit feedback",
            "implicit": "Implicit rules only",
            "none": "No signal (neutral 0.5)",
        }
        groups = []
        for key, label in labels.items():
            count, total = found.get(key, (0, None))
            groups.append(
                CoverageGroup(
                    key=key,
                    label=label,
                    conversations=count,
                    share=_share(count, everyone),
                    avg_satisfaction_score=_ratio(total, count, 3),
                )
            )
        return groups

    def _league(self, where: str, week_where: str, last: date | None) -> dict[str, Any]:
        overall = {
            str(row[0]): metrics_from_sums(row[1:])
            for row in self.rows(
                f"select agent_id, {SUMS_SQL} from {self.table('conversation_metrics_daily')} "
                f"{where} group by agent_id"
            )
        }
        weekly = self.rows(
            "select week_start, agent_id, total_conversations, completion_rate, "
            "previous_completion_rate, completion_rate_change_points, completion_rate_alert "
            f"from {self.table('agent_performance_weekly')} {week_where} "
            "order by week_start, agent_id"
        )
        per_agent: dict[str, dict[str, AgentWeek]] = {}
        alerts: list[tuple[date, str, AgentWeek]] = []
        all_weeks: set[date] = set()
        for week_start, agent_id, total, rate, previous, change, alert in weekly:
            week = AgentWeek(
                week_start=_as_date(week_start),
                total_conversations=_int(total),
                completion_rate=_float(rate),
                previous_completion_rate=_float(previous),
                completion_rate_change_points=_float(change),
                completion_rate_alert=bool(alert),
            )
            all_weeks.add(week.week_start)
            per_agent.setdefault(str(agent_id), {})[week.week_start.isoformat()] = week
            if week.completion_rate_alert:
                alerts.append((week.week_start, str(agent_id), week))
        agents = [
            AgentRow(agent_id=agent, metrics=metrics, weeks=per_agent.get(agent, {}))
            for agent, metrics in overall.items()
        ]
        agents.sort(
            key=lambda a: (
                -(a.metrics.completion_rate if a.metrics.completion_rate is not None else -1),
                a.agent_id,
            )
        )
        return {
            "weeks": sorted(all_weeks)[-LEAGUE_WEEKS:],
            "agents": agents,
            "alerts": sorted(alerts, key=lambda item: (item[0], item[1]), reverse=True),
        }

    def _tools(self, where: str) -> list[ToolRow]:
        rows = self.rows(
            "select tool_name, sum(total_calls), sum(error_calls), "
            "sum(conversations_using_tool), sum(completed_conversations_using_tool) "
            f"from {self.table('tool_usage')} {where} group by tool_name"
        )
        tools = [
            ToolRow(
                tool_name=str(name),
                total_calls=_int(calls),
                error_calls=_int(errors),
                error_rate=_share(errors, calls),
                conversations_using_tool=_int(using),
                completion_rate=_share(completed, using),
            )
            for name, calls, errors, using, completed in rows
        ]
        return sorted(tools, key=lambda t: (-t.total_calls, t.tool_name))

    def _models(self, week_where: str) -> list[ModelRow]:
        # Satisfaction and latency are published per week as means; they are
        # re-weighted here by conversations and responses.
        rows = self.rows(
            "select model, sum(total_conversations), sum(completed_conversations), "
            "sum(avg_satisfaction_score * total_conversations), sum(agent_responses), "
            "sum(output_tokens), "
            "sum(case when avg_latency_ms is not null then avg_latency_ms * agent_responses end), "
            "sum(case when avg_latency_ms is not null then agent_responses end) "
            f"from {self.table('model_performance')} {week_where} group by model"
        )
        models = [
            ModelRow(
                model=str(name),
                total_conversations=_int(total),
                completion_rate=_share(completed, total),
                avg_satisfaction_score=_ratio(satisfaction, total, 3),
                agent_responses=_int(responses),
                output_tokens_per_response=_ratio(output_tokens, responses, 0),
                avg_latency_ms=_ratio(latency, timed, 0),
            )
            for name, total, completed, satisfaction, responses, output_tokens, latency, timed
            in rows
        ]
        return sorted(models, key=lambda m: (-m.total_conversations, m.model))


def gather_dashboard(
    target: Target,
    *,
    days: int | None = None,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
    project_dir: Path | None = None,
) -> DashboardData:
    """Read the marts of `target` into `DashboardData` (see the module docstring)."""
    if days is not None and days < 1:
        raise DashboardError("--days must be at least 1")
    connection, schema = connect_marts(target, duckdb_path=duckdb_path, conninfo=conninfo)
    with closing(connection):
        reader = _DashboardReader(connection, schema)
        return reader.gather(target, days, satisfaction_vars(project_dir))


# --- SVG charts --------------------------------------------------------------------

COLORS = {
    "completion": "#1a7f4b",
    "abandonment": "#c0392b",
    "handoff": "#d68910",
    "neutral": "#5d6d7e",
    "accent": "#2e86c1",
    "grid": "#e5e8eb",
    "explicit": "#2e86c1",
    "implicit": "#85c1e9",
    "none": "#d5d8dc",
}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def _y_axis(
    left: int, top: int, width: int, height: int, maximum: float, suffix: str, ticks: int = 4
) -> list[str]:
    parts = []
    for i in range(ticks + 1):
        value = maximum * i / ticks
        y = top + height - height * i / ticks
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" '
            f'stroke="{COLORS["grid"]}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{value:,.0f}{suffix}</text>"
        )
    return parts


def _nice_max(value: float) -> float:
    if value <= 0:
        return 4.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    maximum: float = 100.0,
    suffix: str = "%",
    label: str,
    width: int = 760,
    height: int = 260,
) -> str:
    """Lines (name, color, values) over categorical x `labels`; None values
    break the line."""
    left, top, right, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    body = _y_axis(left, top, plot_w, plot_h, maximum, suffix)
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top + plot_h - plot_h * min(v, maximum) / maximum

    step = max(1, count // 8)
    for i, text in enumerate(labels):
        if i % step == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" class="tick">'
                f"{_e(text)}</text>"
            )
    for name, color, values in series:
        segments: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for points in segments:
            if len(points) > 1:
                body.append(
                    f'<polyline class="series" data-series="{_e(name)}" fill="none" '
                    f'stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
                )
        for i, v in enumerate(values):
            if v is not None:
                body.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}">'
                    f"<title>{_e(labels[i])}: {_e(name)} {v:,.1f}{suffix}</title></circle>"
                )
    return _svg(width, height, body, label)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    color: str,
    label: str,
    suffix: str = "",
    maximum: float | None = None,
    width: int = 760,
    height: int = 220,
    digits: int = 0,
) -> str:
    """Vertical bars over categorical x `labels`."""
    left, top, right, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = maximum if maximum is not None else _nice_max(max([v or 0 for v in values] + [0]))
    body = _y_axis(left, top, plot_w, plot_h, top_value, suffix)
    count = max(len(labels), 1)
    slot = plot_w / count
    step = max(1, count // 12)
    for i, (text, v) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * min(v or 0, top_value) / top_value
        x = left + slot * i + slot * 0.15
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{color}">'
            f"<title>{_e(text)}: {_num(v, digits, suffix)}</title></rect>"
        )
        if i % step == 0:
            body.append(
                f'<text x="{left + slot * (i + 0.5):.1f}" y="{height - 8}" '
                f'text-anchor="middle" class="tick">{_e(text)}</text>'
            )
    return _svg(width, height, body, label)


def hbar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    color: str,
    label: str,
    suffix: str = "%",
    maximum: float = 100.0,
    width: int = 370,
    digits: int = 1,
) -> str:
    """Horizontal bars, one per (name, value)."""
    left, row_h = 130, 24
    height = max(row_h * len(rows) + 8, 32)
    plot_w = width - left - 56
    body = []
    for i, (name, v) in enumerate(rows):
        y = 4 + i * row_h
        bar_w = plot_w * min(v or 0, maximum) / maximum
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" class="tick">{_e(name)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{_e(name)}: {_num(v, digits, suffix)}</title></rect>'
            f'<text x="{left + bar_w + 4:.1f}" y="{y + 15}" class="tick">'
            f"{_num(v, digits, suffix)}</text>"
        )
    return _svg(width, height, body, label)


def stacked_bar(groups: Sequence[CoverageGroup], *, label: str, width: int = 760) -> str:
    """One 100 % bar split by coverage group, with a legend below."""
    height, bar_h, left = 70, 28, 0
    body = []
    x = float(left)
    for group in groups:
        share = group.share or 0.0
        w = width * share / 100
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="4" width="{w:.1f}" height="{bar_h}" '
            f'fill="{COLORS[group.key]}"><title>{_e(group.label)}: '
            f"{group.conversations:,} ({_num(group.share, 1, ' %')})</title></rect>"
        )
        x += w
    legend_x = 0
    for group in groups:
        body.append(
            f'<rect x="{legend_x}" y="{bar_h + 18}" width="12" height="12" '
            f'fill="{COLORS[group.key]}"/>'
            f'<text x="{legend_x + 16}" y="{bar_h + 28}" class="tick">{_e(group.label)} '
            f"{_num(group.share, 1, ' %')}</text>"
        )
        legend_x += width // 3
    return _svg(width, height, body, label)


# --- HTML ----------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1c2833; background: #f4f6f7; }
header { background: #1c2833; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d5d8dc; }
main { padding: 20px 28px 40px; display: grid; gap: 18px; max-width: 1600px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
section h2 { margin: 0 0 10px; font-size: 17px; }
section p.note { margin: 6px 0 0; color: #5d6d7e; font-size: 12px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.kpi { border: 1px solid #e5e8eb; border-radius: 6px; padding: 10px 12px; }
.kpi .label { color: #5d6d7e; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.kpi .value { font-size: 24px; font-weight: 600; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 18px; }
.legend span { display: inline-block; margin-right: 16px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 3px; margin-right: 5px;
            vertical-align: middle; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .tick { font-size: 11px; fill: #5d6d7e; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid #eaecee; text-align: right;
         white-space: nowrap; }
th { background: #f8f9f9; font-weight: 600; cursor: pointer; user-select: none; }
th:first-child, td:first-child, td.name, th.name { text-align: left; }
td.alert { background: #fadbd8; color: #922b21; font-weight: 600; }
.up { color: #1a7f4b; } .down { color: #c0392b; } .muted { color: #99a3a4; }
ul.alerts { margin: 0; padding-left: 18px; }
ul.alerts li { color: #922b21; }
footer { padding: 0 28px 30px; color: #5d6d7e; font-size: 12px; }
"""

# Nothing may load from anywhere: inline styles and scripts only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)

# Sortable tables: click a header. Cells sort by data-sort (numbers) when set.
SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { return cell.textContent.trim().toLowerCase(); }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, column) {
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var descending = th.getAttribute("data-order") !== "desc";
        th.setAttribute("data-order", descending ? "desc" : "asc");
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  document.documentElement.setAttribute("data-dashboard-ready", "true");
})();
"""


def _kpi(key: str, label: str, value: float | int | None, digits: int, suffix: str = "") -> str:
    shown = _num(value, digits, suffix) if not isinstance(value, int) else f"{value:,}"
    raw = "" if value is None else str(value)
    return (
        f'<div class="kpi"><div class="label">{_e(label)}</div>'
        f'<div class="value" data-metric="{_e(key)}" data-value="{_e(raw)}">{_e(shown)}</div></div>'
    )


def _change(change: float | None) -> str:
    if change is None:
        return '<span class="muted">new</span>'
    css = "up" if change > 0 else "down" if change < 0 else "muted"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    return f'<span class="{css}">{arrow} {abs(change):.1f}</span>'


def _cell(value: float | int | None, digits: int = 1, suffix: str = "") -> str:
    sort = "" if value is None else f' data-sort="{value}"'
    shown = f"{value:,}" if isinstance(value, int) else _num(value, digits, suffix)
    return f"<td{sort}>{_e(shown)}</td>"


def _headline(data: DashboardData) -> str:
    h = data.headline
    return (
        '<section id="headline"><h2>Headline</h2><div class="kpis">'
        + _kpi("total_conversations", "Conversations", h.total_conversations, 0)
        + _kpi("completion_rate", "Completion rate", h.completion_rate, 1, " %")
        + _kpi("abandonment_rate", "Abandonment rate", h.abandonment_rate, 1, " %")
        + _kpi("handoff_rate", "Handoff rate", h.handoff_rate, 1, " %")
        + _kpi("avg_turns", "Avg turns", h.avg_turns, 1)
        + _kpi("avg_duration_seconds", "Avg completed duration (s)", h.avg_duration_seconds, 0)
        + _kpi("avg_satisfaction_score", "Avg satisfaction (0-1)", h.avg_satisfaction_score, 3)
        + "</div>"
        '<p class="note">Rates: 100 x conversations with the event / all conversations, '
        "re-aggregated from conversation_metrics_daily. A conversation counts on the day it "
        "started.</p></section>"
    )


def _daily_section(data: DashboardData) -> str:
    labels = [d.day.strftime("%m-%d") for d in data.daily]
    series = [
        ("completion", COLORS["completion"], [d.completion_rate for d in data.daily]),
        ("abandonment", COLORS["abandonment"], [d.abandonment_rate for d in data.daily]),
        ("handoff", COLORS["handoff"], [d.handoff_rate for d in data.daily]),
    ]
    legend = "".join(
        f'<span><i style="background:{color}"></i>{_e(name)} rate</span>'
        for name, color, _ in series
    )
    return (
        '<section id="daily-rates"><h2>Daily completion, abandonment and handoff rates</h2>'
        f'<div class="legend">{legend}</div>'
        + line_chart(labels, series, label="Daily rates, percent")
        + '<p class="note">Each point is one started_date (UTC) over every agent and channel.</p>'
        "</section>"
    )


def _drop_off_section(data: DashboardData) -> str:
    if not data.turns:
        return '<section id="drop-off"><h2>Drop-off by turn</h2><p>No conversations.</p></section>'
    labels = [str(t.turn) for t in data.turns]
    survival = line_chart(
        labels,
        [("still going", COLORS["accent"], [t.still_going_share for t in data.turns])],
        label="Share of conversations still going at each turn",
        width=560,
    )
    leaving = bar_chart(
        labels,
        [t.abandoned_share for t in data.turns],
        color=COLORS["abandonment"],
        label="Share of conversations abandoned at each turn",
        suffix="%",
        width=560,
        height=260,
        digits=1,
    )
    peak = max(data.turns, key=lambda t: (t.abandoned, -t.turn))
    return (
        '<section id="drop-off"><h2>Drop-off by turn</h2><div class="two">'
        "<div><h3>Still going at turn t (% of conversations with at least t user turns)</h3>"
        f"{survival}</div>"
        "<div><h3>Where they leave (% of conversations abandoned at turn t)</h3>"
        f"{leaving}</div></div>"
        f'<p class="note">Most common abandon turn: {peak.turn} ({peak.abandoned:,} '
        f"conversations). Turns beyond {MAX_TURNS_SHOWN} are not drawn.</p></section>"
    )


def _satisfaction_section(data: DashboardData) -> str:
    histogram = bar_chart(
        [f"{b.lower:.1f}" for b in data.satisfaction_bins],
        [float(b.conversations) for b in data.satisfaction_bins],
        color=COLORS["accent"],
        label="Satisfaction score distribution",
        width=560,
        height=240,
    )
    rows = "".join(
        f'<tr><td class="name">{_e(g.label)}</td>{_cell(g.conversations)}'
        f"{_cell(g.share, 1, ' %')}{_cell(g.avg_satisfaction_score, 3)}</tr>"
        for g in data.coverage
    )
    return (
        '<section id="satisfaction"><h2>Satisfaction</h2><div class="two">'
        "<div><h3>Distribution of satisfaction_score (conversations per 0.1 band)</h3>"
        f"{histogram}</div>"
        "<div><h3>What the score rests on</h3>"
        + stacked_bar(data.coverage, label="Explicit vs implicit coverage", width=560)
        + '<table class="sortable" id="coverage-table"><thead><tr><th class="name">signal</th>'
        "<th>conversations</th><th>share</th><th>avg score</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></div>"
        '<p class="note">Explicit: at least one positive or negative rating. Implicit only: '
        "no rating, but a quick resolution, a handoff or a long conversation. No signal: the "
        "neutral 0.5.</p></section>"
    )


def _league_section(data: DashboardData) -> str:
    week_heads = "".join(f"<th>week of {w.strftime('%m-%d')}</th>" for w in data.weeks)
    body = []
    for rank, agent in enumerate(data.agents, start=1):
        m = agent.metrics
        cells = []
        for w in data.weeks:
            week = agent.weeks.get(w.isoformat())
            if week is None:
                cells.append('<td class="muted">–</td>')
                continue
            css = ' class="alert"' if week.completion_rate_alert else ""
            title = f"{week.total_conversations:,} conversations" + (
                " — ALERT: completion fell" if week.completion_rate_alert else ""
            )
            sort = "" if week.completion_rate is None else f' data-sort="{week.completion_rate}"'
            cells.append(
                f'<td{css}{sort} title="{_e(title)}">{_num(week.completion_rate, 1, " %")} '
                f"{_change(week.completion_rate_change_points)}</td>"
            )
        body.append(
            f'<tr data-agent="{_e(agent.agent_id)}"><td data-sort="{rank}">{rank}</td>'
            f'<td class="name">{_e(agent.agent_id)}</td>'
            f"{_cell(m.total_conversations)}{_cell(m.completion_rate, 1, ' %')}"
            f"{_cell(m.abandonment_rate, 1, ' %')}{_cell(m.handoff_rate, 1, ' %')}"
            f"{_cell(m.avg_satisfaction_score, 3)}{''.join(cells)}</tr>"
        )
    if data.alerts:
        items = "".join(
            f"<li><b>{_e(agent)}</b>, week of {week_start.isoformat()}: completion "
            f"{_num(w.previous_completion_rate)} % → {_num(w.completion_rate)} % "
            f"({_num(w.completion_rate_change_points)} points, "
            f"{w.total_conversations:,} conversations)</li>"
            for week_start, agent, w in data.alerts
        )
        alerts = f'<h3>Alerts</h3><ul class="alerts" id="alerts">{items}</ul>'
    else:
        alerts = '<p class="note" id="alerts">No completion-rate alerts in the period.</p>'
    return (
        '<section id="league"><h2>Agent league table</h2>'
        '<table class="sortable" id="league-table"><thead><tr><th>#</th>'
        '<th class="name">agent</th><th>conversations</th><th>completion</th>'
        f"<th>abandonment</th><th>handoff</th><th>satisfaction</th>{week_heads}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{alerts}"
        '<p class="note">Ranked by completion rate over the period. Weekly cells: completion '
        "rate of the ISO week and the change from the week before, in points "
        "(agent_performance_weekly); red cells are alerts: a fall of at least the alert "
        "threshold with enough conversations in both weeks.</p></section>"
    )


def _tools_models_section(data: DashboardData) -> str:
    tool_rows = "".join(
        f'<tr><td class="name">{_e(t.tool_name)}</td>{_cell(t.total_calls)}'
        f"{_cell(t.error_rate, 1, ' %')}{_cell(t.conversations_using_tool)}"
        f"{_cell(t.completion_rate, 1, ' %')}</tr>"
        for t in data.tools
    )
    model_rows = "".join(
        f'<tr><td class="name">{_e(m.model)}</td>{_cell(m.total_conversations)}'
        f"{_cell(m.completion_rate, 1, ' %')}{_cell(m.avg_satisfaction_score, 3)}"
        f"{_cell(m.agent_responses)}{_cell(m.output_tokens_per_response, 0)}"
        f"{_cell(m.avg_latency_ms, 0)}</tr>"
        for m in data.models
    )
    tool_chart = hbar_chart(
        [(t.tool_name, t.completion_rate) for t in data.tools],
        color=COLORS["completion"],
        label="Completion rate of conversations using each tool",
    )
    error_chart = hbar_chart(
        [(t.tool_name, t.error_rate) for t in data.tools],
        color=COLORS["abandonment"],
        label="Error rate of each tool",
        maximum=_nice_max(max([t.error_rate or 0 for t in data.tools] + [1])),
    )
    model_chart = hbar_chart(
        [(m.model, m.completion_rate) for m in data.models],
        color=COLORS["completion"],
        label="Completion rate of conversations each model answered in",
    )
    return (
        '<section id="tools"><h2>Tools</h2><div class="two">'
        f"<div><h3>Completion of conversations using the tool</h3>{tool_chart}</div>"
        f"<div><h3>Tool error rate</h3>{error_chart}</div></div>"
        '<table class="sortable" id="tools-table"><thead><tr><th class="name">tool</th>'
        "<th>calls</th><th>error rate</th><th>conversations</th><th>completion</th></tr>"
        f"</thead><tbody>{tool_rows}</tbody></table></section>"
        '<section id="models"><h2>Models</h2>'
        f"<div><h3>Completion of conversations the model answered in</h3>{model_chart}</div>"
        '<table class="sortable" id="models-table"><thead><tr><th class="name">model</th>'
        "<th>conversations</th><th>completion</th><th>satisfaction</th><th>responses</th>"
        "<th>output tokens / response</th><th>latency (ms)</th></tr></thead>"
        f"<tbody>{model_rows}</tbody></table>"
        '<p class="note">A conversation counts once for each model that answered in it. '
        "Satisfaction and latency are the weekly means of model_performance weighted by "
        "conversations and responses.</p></section>"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def render_html(data: DashboardData) -> str:
    """The page: one HTML document, every asset inline."""
    if data.period_start is None:
        window = "no conversations yet"
    else:
        scope = f"last {data.days} days" if data.days else "all data"
        window = f"{data.period_start} to {data.period_end} ({scope})"
    # The figures as JSON for anyone scripting against the page; `</` is
    # escaped so the data cannot close the script element.
    payload = json.dumps(asdict(data), default=_json_default).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<link rel="icon" href="data:,">
<title>Conversation analytics dashboard</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Conversation analytics</h1>
<p>{_e(data.target)} · {_e(data.schema)} · {_e(window)} · generated {_e(data.generated_at)}
 by conversation-analytics {_e(__version__)}</p>
</header>
<main>
{_headline(data)}
{_daily_section(data)}
{_drop_off_section(data)}
{_satisfaction_section(data)}
{_league_section(data)}
{_tools_models_section(data)}
</main>
<footer>Definitions: docs/metric-decisions.md and the dbt docs (models/_metric_definitions.md).
This page is self-contained: it loads nothing from the network.</footer>
<script type="application/json" id="dashboard-data">{payload}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_dashboard(
    target: Target,
    path: str | os.PathLike[str],
    *,
    days: int | None = None,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> Path:
    """Read the marts of `target`, write the dashboard to `path` (folders
    created as needed) and return its absolute path."""
    data = gather_dashboard(target, days=days, duckdb_path=duckdb_path, conninfo=conninfo)
    out = Path(path).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    return out
