"""The text report, read from the windowed marts.

One trailing window (`--days N`, one of var('summary_window_days'); the
longest when not given), every figure a column as the mart holds it:

- headline, its completion interval and outcome mix: `conversation_summary`;
- by agent: `conversation_summary_by_agent`, named agents ranked and the
  agent `unknown` (events without an agent id) apart;
- most common abandon turns: `abandon_turns_top`;
- open alerts: `agent_alert_history` (when it is built).

There is no "all data" figure: the longest window (28 days by default) is
the default, and a longer one is a var away (see `marts.MartReader.window`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from conversation_analytics.presentation import alerts as alerts_module
from conversation_analytics.presentation.marts import (
    MartReader,
    MartsError,
    Window,
    connect_marts,
)
from conversation_analytics.raw_table import Target
from conversation_analytics.warehouse.loader import table_exists

SUMMARY_MART = "conversation_summary"
AGENTS_MART = "conversation_summary_by_agent"
ABANDON_TURNS_MART = "abandon_turns_top"
TOP_ABANDON_TURNS = 10
UNKNOWN = "unknown"
# The outcome mix, each conversation in exactly one: (column prefix, label).
OUTCOME_MIX = (
    ("completed", "Completed"),
    ("ended_abandoned", "Abandoned"),
    ("ended_handed_off", "Handed off"),
    ("timed_out", "Timed out"),
    ("in_progress", "In progress"),
)


class ReportError(MartsError):
    """The report cannot be made; the message says what to do."""


@dataclass(frozen=True)
class Metrics:
    """The rate metrics of a row of `conversation_summary` (or of a mart with
    its columns), as published; the averages and rates are None when the
    mart's are null (nothing to divide by)."""

    total_conversations: int
    completed_conversations: int
    abandoned_conversations: int
    handoff_conversations: int
    completion_rate: float | None
    abandonment_rate: float | None
    handoff_rate: float | None
    avg_turns: float | None
    avg_duration_seconds: float | None
    avg_satisfaction_score: float | None

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Metrics:
        """The metrics of a mart row (a dict holding at least `columns()`)."""
        values: dict[str, Any] = {}
        for name in cls.columns():
            value = row[name]
            if name.endswith("_conversations"):
                values[name] = 0 if value is None else int(value)
            else:
                values[name] = None if value is None else float(value)
        return cls(**values)


def _count_column(prefix: str) -> str:
    """The count column of a part of the outcome mix (completed has its own)."""
    return f"{prefix}_conversations"


@dataclass(frozen=True)
class OutcomeShare:
    label: str
    conversations: int
    share: float | None


@dataclass(frozen=True)
class Outlook:
    """What the headline rests on: the completion rate's interval and the
    outcome mix, as `conversation_summary` holds them."""

    completion_rate_ci_low: float | None
    completion_rate_ci_high: float | None
    outcomes: tuple[OutcomeShare, ...]

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        mix = []
        for prefix, _ in OUTCOME_MIX:
            mix += [_count_column(prefix), f"{prefix}_share"]
        return ("completion_rate_ci_low", "completion_rate_ci_high", *mix)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Outlook:
        def number(value: Any) -> float | None:
            return None if value is None else float(value)

        outcomes = tuple(
            OutcomeShare(
                label=label,
                conversations=int(row[_count_column(prefix)] or 0),
                share=number(row[f"{prefix}_share"]),
            )
            for prefix, label in OUTCOME_MIX
        )
        return cls(
            completion_rate_ci_low=number(row["completion_rate_ci_low"]),
            completion_rate_ci_high=number(row["completion_rate_ci_high"]),
            outcomes=outcomes,
        )

    @property
    def in_progress(self) -> int:
        return self.outcomes[-1].conversations


@dataclass(frozen=True)
class AgentMetrics:
    agent_id: str
    metrics: Metrics


@dataclass(frozen=True)
class AbandonTurn:
    abandon_rank: int
    abandon_turn: int
    abandon_count: int


@dataclass(frozen=True)
class Report:
    """Everything `render_report` prints."""

    target: str
    schema: str
    window: Window
    headline: Metrics
    agents: list[AgentMetrics]
    abandon_turns: list[AbandonTurn]
    outlook: Outlook | None = None
    unknown_agent: Metrics | None = None
    alerts: list[alerts_module.OpenAlert] | None = None


def read_report(reader: MartReader, target: str, days: int | None) -> Report:
    """The report's figures from the marts `reader` reads."""
    reader.require((SUMMARY_MART, AGENTS_MART, ABANDON_TURNS_MART), ReportError)
    window = reader.window(days, ReportError)
    in_window = ("window_days = ?", (window.days,))
    (summary,) = reader.records(
        SUMMARY_MART, (*Metrics.columns(), *Outlook.columns()), in_window[0], params=in_window[1]
    )
    ranked = [
        AgentMetrics(agent_id=str(row["agent_id"]), metrics=Metrics.of(row))
        for row in reader.records(
            AGENTS_MART,
            ("agent_id", *Metrics.columns()),
            in_window[0],
            order_by="total_conversations desc, agent_id",
            params=in_window[1],
        )
    ]
    agents = [a for a in ranked if a.agent_id != UNKNOWN]
    unknown = next((a.metrics for a in ranked if a.agent_id == UNKNOWN), None)
    open_alerts = (
        alerts_module.read_open_alerts(reader)
        if table_exists(reader.connection, reader.schema, alerts_module.HISTORY_MART)
        else None
    )
    turns = [
        AbandonTurn(
            abandon_rank=int(row["abandon_rank"]),
            abandon_turn=int(row["abandon_turn"]),
            abandon_count=int(row["abandon_count"]),
        )
        for row in reader.records(
            ABANDON_TURNS_MART,
            ("abandon_rank", "abandon_turn", "abandon_count"),
            in_window[0],
            order_by="abandon_rank",
            params=in_window[1],
        )
    ]
    return Report(
        target=target,
        schema=reader.schema,
        window=window,
        headline=Metrics.of(summary),
        agents=agents,
        abandon_turns=turns,
        outlook=Outlook.of(summary),
        unknown_agent=unknown,
        alerts=open_alerts,
    )


def build_report(
    target: Target,
    *,
    days: int | None = None,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> Report:
    """Read the report for the `days`-day window (the longest when None) from
    the marts of `target`, over a read-only connection."""
    if days is not None and days < 1:
        raise ReportError("--days must be at least 1")
    connection, schema = connect_marts(target, duckdb_path=duckdb_path, conninfo=conninfo)
    with closing(connection):
        return read_report(MartReader(connection, schema), target, days)


# --- rendering -------------------------------------------------------------------


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left_columns: int = 1,
    indent: int = 2,
) -> str:
    """An aligned text table: the first `left_columns` columns left-aligned
    (labels), the others right-aligned (numbers)."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).ljust(width) if i < left_columns else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return " " * indent + "  ".join(parts).rstrip()

    rule = " " * indent + "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def show(value: float | None, digits: int, suffix: str = "") -> str:
    """An already rounded mart value as text, with the digits the mart rounds
    it to; "-" for null."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def describe_window(window: Window) -> str:
    """`<start> to <as-of> UTC (last N days)`."""
    if window.as_of_at is None:
        return f"no conversations yet (last {window.days} days)"
    start = window.start_at.strftime("%Y-%m-%d %H:%M") if window.start_at else "?"
    return f"{start} to {window.as_of_at:%Y-%m-%d %H:%M} UTC (last {window.days} days)"


def render_report(report: Report) -> str:
    """The report as aligned text tables."""
    h = report.headline
    o = report.outlook
    completion = show(h.completion_rate, 1, " %")
    if o is not None and o.completion_rate_ci_low is not None:
        completion += (
            f" (interval {show(o.completion_rate_ci_low, 1)}-"
            f"{show(o.completion_rate_ci_high, 1)})"
        )
    headline_rows = [
        ("Total conversations", f"{h.total_conversations:,}"),
        ("Completion rate", completion),
        ("Abandonment rate", show(h.abandonment_rate, 1, " %")),
        ("Handoff rate", show(h.handoff_rate, 1, " %")),
        ("Avg turns", show(h.avg_turns, 1)),
        ("Avg duration (s)", show(h.avg_duration_seconds, 0)),
        ("Avg satisfaction (0-1)", show(h.avg_satisfaction_score, 3)),
    ]
    agent_rows = [
        (
            a.agent_id,
            f"{a.metrics.total_conversations:,}",
            show(a.metrics.completion_rate, 1),
            show(a.metrics.abandonment_rate, 1),
            show(a.metrics.handoff_rate, 1),
            show(a.metrics.avg_turns, 1),
            show(a.metrics.avg_satisfaction_score, 3),
        )
        for a in report.agents
    ]
    if report.unknown_agent is not None:
        u = report.unknown_agent
        agent_rows.append((
            "(no agent id, not ranked)",
            f"{u.total_conversations:,}",
            show(u.completion_rate, 1),
            show(u.abandonment_rate, 1),
            show(u.handoff_rate, 1),
            show(u.avg_turns, 1),
            show(u.avg_satisfaction_score, 3),
        ))
    turn_rows = [(str(t.abandon_turn), f"{t.abandon_count:,}") for t in report.abandon_turns]
    sections = [
        f"Conversation metrics: {report.target} {report.schema}, {describe_window(report.window)}",
        format_table(("metric", "value"), headline_rows),
    ]
    if o is not None:
        sections += [
            "How conversations ended",
            format_table(
                ("outcome", "conversations", "share %"),
                [(m.label, f"{m.conversations:,}", show(m.share, 1)) for m in o.outcomes],
            ),
        ]
        if o.in_progress:
            sections.append(
                f"  Provisional: {o.in_progress:,} conversation"
                f"{'s are' if o.in_progress != 1 else ' is'} still in progress, "
                "so the rates can still change."
            )
    sections += [
        "By agent",
        format_table(
            ("agent", "conversations", "completion %", "abandonment %", "handoff %",
             "avg turns", "avg satisfaction"),
            agent_rows,
        ),
        f"Most common abandon turns (top {TOP_ABANDON_TURNS})",
        (
            format_table(("turn", "abandoned"), turn_rows, left_columns=0)
            if turn_rows
            else "  (no abandoned conversations)"
        ),
    ]
    if report.alerts is not None:
        sections += [
            "Open alerts (completion fell, significantly, in a complete week)",
            "\n".join(f"  {alerts_module.describe(a)}" for a in report.alerts)
            if report.alerts
            else "  (none)",
        ]
    return "\n\n".join(sections)
