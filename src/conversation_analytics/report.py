"""The headline report, read from the marts (docs/metric-definitions.md).

Every figure is re-aggregated from the additive columns of
`conversation_metrics_daily` (sums of counts, turns, durations and scores), never
by averaging the daily rates, so it is exact over any window:

- rates: 100 x sum(count) / sum(total_conversations), 1 decimal;
- avg turns: sum(sum_user_turns) / sum(total_conversations), 1 decimal;
- avg duration: sum(sum_duration_seconds) / sum(completed_conversations), 0 decimals;
- avg satisfaction: sum(sum_satisfaction_score) / sum(total_conversations), 3 decimals;
- top abandon turns: sum(abandon_count) by abandon_turn from `conversation_drop_off`.

`--days N` keeps the N days up to the latest `started_date` in the marts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from conversation_analytics import dbt_runner
from conversation_analytics.loader import connect_duckdb, connect_postgres, table_exists
from conversation_analytics.raw_table import Target, quote_ident

METRICS_MODEL = "conversation_metrics_daily"
DROP_OFF_MODEL = "conversation_drop_off"
TOP_ABANDON_TURNS = 10


class ReportError(RuntimeError):
    """The report cannot be made; the message says what to do."""


@dataclass(frozen=True)
class Metrics:
    """Headline figures over a set of `conversation_metrics_daily` rows; the
    averages and rates are None when there is nothing to divide by."""

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


@dataclass(frozen=True)
class AgentMetrics:
    agent_id: str
    metrics: Metrics


@dataclass(frozen=True)
class AbandonTurn:
    abandon_turn: int
    abandon_count: int


@dataclass(frozen=True)
class Report:
    """Everything `render_report` prints."""

    target: str
    schema: str
    period_start: date | None
    period_end: date | None
    days: int | None
    headline: Metrics
    agents: list[AgentMetrics]
    abandon_turns: list[AbandonTurn]


# --- numbers ---------------------------------------------------------------------


def round_half_up(value: float | Decimal | None, digits: int) -> float | None:
    """Round like SQL's `round` on numerics (halves away from zero)."""
    if value is None:
        return None
    exponent = Decimal(1).scaleb(-digits)
    return float(Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP))


def _ratio(numerator: Any, denominator: Any, scale: float, digits: int) -> float | None:
    if numerator is None or not denominator:
        return None
    return round_half_up(scale * float(numerator) / float(denominator), digits)


def metrics_from_sums(row: Sequence[Any]) -> Metrics:
    """Metrics from (total, completed, abandoned, handoff, sum_user_turns,
    sum_duration_seconds, sum_satisfaction_score)."""
    total, completed, abandoned, handoff, turns, duration, satisfaction = (
        0 if value is None else value for value in row
    )
    return Metrics(
        total_conversations=int(total),
        completed_conversations=int(completed),
        abandoned_conversations=int(abandoned),
        handoff_conversations=int(handoff),
        completion_rate=_ratio(completed, total, 100.0, 1),
        abandonment_rate=_ratio(abandoned, total, 100.0, 1),
        handoff_rate=_ratio(handoff, total, 100.0, 1),
        avg_turns=_ratio(turns, total, 1.0, 1),
        avg_duration_seconds=_ratio(duration, completed, 1.0, 0),
        avg_satisfaction_score=_ratio(satisfaction, total, 1.0, 3),
    )


# --- queries ---------------------------------------------------------------------

# The additive columns of conversation_metrics_daily that every headline
# figure is re-aggregated from (see metrics_from_sums).
SUMS_SQL = """
    sum(total_conversations),
    sum(completed_conversations),
    sum(abandoned_conversations),
    sum(handoff_conversations),
    sum(sum_user_turns),
    sum(sum_duration_seconds),
    sum(sum_satisfaction_score)"""


def connect_marts(
    target: Target,
    *,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> tuple[Any, str]:
    """A connection to `target` (an existing DuckDB file, or PostgreSQL from
    `conninfo` or the PG* variables) and the schema its marts are built in."""
    schema = dbt_runner.layer_schema(target, "marts")
    if target == "duckdb":
        return connect_duckdb(duckdb_path, must_exist=True), schema
    return connect_postgres(conninfo), schema


class MartReader:
    """Runs queries over the marts on a DuckDB or psycopg connection."""

    def __init__(self, connection: Any, schema: str) -> None:
        self.connection = connection
        self.schema = schema

    def table(self, name: str) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(name)}"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if isinstance(self.connection, duckdb.DuckDBPyConnection):
            return self.connection.execute(sql).fetchall()
        with self.connection.cursor() as cursor:
            return cursor.execute(sql).fetchall()

    def summed(self, relation: str, where: str = "") -> Metrics:
        """The headline metrics re-aggregated over `relation` (a daily mart)."""
        return metrics_from_sums(self.rows(f"select {SUMS_SQL} from {relation} {where}")[0])

    def require(self, marts: Sequence[str], error: type[Exception]) -> None:
        """Raise `error` naming the marts that are not built."""
        missing = [name for name in marts if not table_exists(self.connection, self.schema, name)]
        if missing:
            raise error(
                f"the marts are not built ({', '.join(f'{self.schema}.{m}' for m in missing)} "
                "missing): run `conversation-analytics build` first"
            )


class _ReportReader(MartReader):
    """The report's queries."""

    def report(self, target: str, days: int | None) -> Report:
        self.require((METRICS_MODEL, DROP_OFF_MODEL), ReportError)
        metrics, drop_off = self.table(METRICS_MODEL), self.table(DROP_OFF_MODEL)
        first, last = self.rows(f"select min(started_date), max(started_date) from {metrics}")[0]
        where = ""
        if days is not None and last is not None:
            first = max(first, last - timedelta(days=days - 1))
            where = f"where started_date >= cast('{first.isoformat()}' as date)"
        headline = self.summed(metrics, where)
        agents = [
            AgentMetrics(agent_id=str(row[0]), metrics=metrics_from_sums(row[1:]))
            for row in self.rows(
                f"select agent_id, {SUMS_SQL} from {metrics} {where} "
                "group by agent_id order by 2 desc, agent_id"
            )
        ]
        turns = [
            AbandonTurn(abandon_turn=int(turn), abandon_count=int(count))
            for turn, count in self.rows(
                f"select abandon_turn, sum(abandon_count) from {drop_off} {where} "
                f"group by abandon_turn order by 2 desc, 1 limit {TOP_ABANDON_TURNS}"
            )
            if turn is not None
        ]
        return Report(
            target=target,
            schema=self.schema,
            period_start=first,
            period_end=last,
            days=days,
            headline=headline,
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
    """Read the marts of `target` and compute the report (see the module docstring)."""
    if days is not None and days < 1:
        raise ReportError("--days must be at least 1")
    connection, schema = connect_marts(target, duckdb_path=duckdb_path, conninfo=conninfo)
    with closing(connection):
        return _ReportReader(connection, schema).report(target, days)


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


def _show(value: float | None, digits: int, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def render_report(report: Report) -> str:
    """The report as aligned text tables."""
    if report.period_start is None:
        window = "no conversations yet"
    else:
        scope = f"last {report.days} days" if report.days else "all data"
        window = f"{report.period_start} to {report.period_end} ({scope})"
    h = report.headline
    headline_rows = [
        ("Total conversations", f"{h.total_conversations:,}"),
        ("Completion rate", _show(h.completion_rate, 1, " %")),
        ("Abandonment rate", _show(h.abandonment_rate, 1, " %")),
        ("Handoff rate", _show(h.handoff_rate, 1, " %")),
        ("Avg turns", _show(h.avg_turns, 1)),
        ("Avg duration (s)", _show(h.avg_duration_seconds, 0)),
        ("Avg satisfaction (0-1)", _show(h.avg_satisfaction_score, 3)),
    ]
    agent_rows = [
        (
            a.agent_id,
            f"{a.metrics.total_conversations:,}",
            _show(a.metrics.completion_rate, 1),
            _show(a.metrics.abandonment_rate, 1),
            _show(a.metrics.handoff_rate, 1),
            _show(a.metrics.avg_turns, 1),
            _show(a.metrics.avg_satisfaction_score, 3),
        )
        for a in report.agents
    ]
    turn_rows = [(str(t.abandon_turn), f"{t.abandon_count:,}") for t in report.abandon_turns]
    sections = [
        f"Conversation metrics: {report.target} {report.schema}, {window}",
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
