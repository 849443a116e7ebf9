"""The text report, read from the windowed marts.

One trailing window (`--days N`, one of var('summary_window_days'); the
longest when not given), every figure a column as the mart holds it:

- headline: `conversation_summary`;
- by agent: `conversation_summary_by_agent`;
- most common abandon turns: `abandon_turns_top`.

There is no "all data" figure: the longest window (28 days by default) is
the default, and a longer one is a var away (see `marts.MartReader.window`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from conversation_analytics.presentation.marts import (
    MartReader,
    MartsError,
    Window,
    connect_marts,
)
from conversation_analytics.raw_table import Target

SUMMARY_MART = "conversation_summary"
AGENTS_MART = "conversation_summary_by_agent"
ABANDON_TURNS_MART = "abandon_turns_top"
TOP_ABANDON_TURNS = 10


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


def read_report(reader: MartReader, target: str, days: int | None) -> Report:
    """The report's figures from the marts `reader` reads."""
    reader.require((SUMMARY_MART, AGENTS_MART, ABANDON_TURNS_MART), ReportError)
    window = reader.window(days, ReportError)
    in_window = ("window_days = ?", (window.days,))
    (summary,) = reader.records(SUMMARY_MART, Metrics.columns(), in_window[0], params=in_window[1])
    agents = [
        AgentMetrics(agent_id=str(row["agent_id"]), metrics=Metrics.of(row))
        for row in reader.records(
            AGENTS_MART,
            ("agent_id", *Metrics.columns()),
            in_window[0],
            order_by="total_conversations desc, agent_id",
            params=in_window[1],
        )
    ]
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
    headline_rows = [
        ("Total conversations", f"{h.total_conversations:,}"),
        ("Completion rate", show(h.completion_rate, 1, " %")),
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
    turn_rows = [(str(t.abandon_turn), f"{t.abandon_count:,}") for t in report.abandon_turns]
    sections = [
        f"Conversation metrics: {report.target} {report.schema}, {describe_window(report.window)}",
        format_table(("metric", "value"), headline_rows),
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
    return "\n\n".join(sections)
