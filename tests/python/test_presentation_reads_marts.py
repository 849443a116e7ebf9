"""Python only reads: every figure the report and the dashboard hold is a
column of a mart, as the mart holds it.

The messy stream is built with non-default vars (satisfaction rule limits,
neutral score, timeout, rephrase threshold, and the trailing windows
themselves) on DuckDB, and on PostgreSQL. Then:

- every mart equals the independent Python reference computed with the same
  vars, so the vars reach the marts, the satisfaction signal included (a
  rule re-implemented in Python with the defaults could not agree);
- for every window the marts hold, each figure of the report and of the
  dashboard's data equals its mart column exactly;
- the report and the dashboard open DuckDB read-only: they work while
  another process holds the file read-only (as a BI tool does), and leave
  the file unchanged.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import mart_io
from conversation_analytics.presentation.dashboard import (
    DashboardData,
    gather_dashboard,
    write_dashboard,
)
from conversation_analytics.presentation.dashboard.data import LEAGUE_WEEKS, MAX_TURNS_SHOWN
from conversation_analytics.presentation.report import (
    Metrics,
    Outlook,
    Report,
    ReportError,
    build_report,
)
from conversation_analytics.warehouse import dbt_runner
from edge_events import messy_events
from mart_io import MART_GRAINS, Snapshot
from spec_reference import Reference, Vars, compute

WINDOWS = (5, 14)
TUNED_VARS: dict[str, Any] = {
    "satisfaction_quick_resolution_max_turns": 2,
    "satisfaction_long_conversation_min_turns": 5,
    "satisfaction_neutral_score": 0.6,
    "inactivity_timeout_minutes": 45,
    "rephrase_similarity_threshold": 0.7,
    "summary_window_days": list(WINDOWS),
}
REFERENCE_VARS = Vars(
    satisfaction_quick_resolution_max_turns=2,
    satisfaction_long_conversation_min_turns=5,
    satisfaction_neutral_score=0.6,
    inactivity_timeout_minutes=45,
    rephrase_similarity_threshold=0.7,
    summary_windows=WINDOWS,
)
CONVERSATIONS = 300
SEED = 20261130
PG_SCHEMA = "tuned"


@dataclass
class Built:
    target: str
    snapshot: Snapshot
    reference: Reference
    where: dict[str, Any] = field(default_factory=dict)

    def reading(self) -> AbstractContextManager[None]:
        """Where the report finds the marts of this build."""
        if self.target == "postgres":
            return dbt_runner.environment({"CA_PG_SCHEMA": PG_SCHEMA})
        return nullcontext()

    def report(self, days: int | None) -> Report:
        with self.reading():
            return build_report(self.target, days=days, **self.where)  # type: ignore[arg-type]

    def dashboard(self, days: int | None) -> DashboardData:
        with self.reading():
            return gather_dashboard(self.target, days=days, **self.where)  # type: ignore[arg-type]

    def rows(self, mart: str, **where: Any) -> list[dict[str, Any]]:
        return mart_io.rows_of(self.snapshot, mart, **where)


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, dbt_scratch: Path
) -> Built:
    events, _ = messy_events(CONVERSATIONS, SEED)
    reference = compute(events, REFERENCE_VARS)
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("tuned") / "tuned.duckdb"
        snapshot = mart_io.build_duckdb(events, path, vars=TUNED_VARS)
        return Built("duckdb", snapshot, reference, {"duckdb_path": path})
    conninfo = request.getfixturevalue("postgres_conninfo")
    snapshot = mart_io.build_postgres(events, conninfo, schema=PG_SCHEMA, vars=TUNED_VARS)
    return Built("postgres", snapshot, reference, {"conninfo": conninfo})


# --- the vars reach the marts --------------------------------------------------------------


def test_the_stream_exercises_the_tuned_rules(built: Built) -> None:
    reference = built.reference
    assert reference.ambiguities == []
    conversations = reference.marts["fct_conversations"]
    # Completed in 3 turns: a quick resolution under the default limit of 3,
    # no rule under 2. Not completed, no handoff, 3 or 4 turns: a long
    # conversation under the default minimum of 3, no rule under 5.
    assert any(
        c["was_completed"] and c["user_turns"] == 3 and c["satisfaction_signal"] == "none"
        for c in conversations
    )
    assert any(
        not c["was_completed"]
        and not c["had_handoff"]
        and c["user_turns"] in (3, 4)
        and c["implicit_satisfaction_rule"] is None
        for c in conversations
    )
    assert {c["satisfaction_signal"] for c in conversations} == {"explicit", "implicit", "none"}


@pytest.mark.parametrize("mart", MART_GRAINS)
def test_marts_follow_the_tuned_vars(built: Built, mart: str) -> None:
    expected = built.reference.marts[mart]
    table = built.snapshot[mart]
    assert expected, f"the reference has no {mart} rows"
    columns = list(expected[0])
    assert sorted(mart_io.data_columns(table.columns)) == sorted(columns)
    problems = mart_io.compare_rows(mart, expected, table.rows, MART_GRAINS[mart], columns)
    assert not problems, "\n".join(problems)


def test_no_signal_scores_the_tuned_neutral_score(built: Built) -> None:
    for window in WINDOWS:
        (none,) = built.rows(
            "conversation_summary_by_satisfaction_signal",
            window_days=window,
            satisfaction_signal="none",
        )
        assert none["total_conversations"] > 0
        assert none["avg_satisfaction_score"] == 0.6


# --- the report reads ------------------------------------------------------------------------


def _metrics(row: dict[str, Any]) -> Metrics:
    return Metrics(**{name: row[name] for name in Metrics.columns()})


@pytest.mark.parametrize("days", [*WINDOWS, None])
def test_report_figures_are_mart_columns(built: Built, days: int | None) -> None:
    report = built.report(days)
    window = max(WINDOWS) if days is None else days
    (summary,) = built.rows("conversation_summary", window_days=window)
    assert report.window.days == window
    assert (report.window.start_at, report.window.as_of_at) == (
        summary["window_start_at"],
        summary["as_of_at"],
    )
    assert report.headline == _metrics(summary)
    agents = sorted(
        built.rows("conversation_summary_by_agent", window_days=window),
        key=lambda r: (-r["total_conversations"], r["agent_id"]),
    )
    # Named agents ranked; the agent 'unknown' (no agent id) apart.
    assert [(a.agent_id, a.metrics) for a in report.agents] == [
        (r["agent_id"], _metrics(r)) for r in agents if r["agent_id"] != "unknown"
    ]
    unknown = [_metrics(r) for r in agents if r["agent_id"] == "unknown"]
    assert unknown, "the stream has conversations without an agent id"
    assert report.unknown_agent == unknown[0]
    outlook = {name: summary[name] for name in Outlook.columns()}
    assert report.outlook == Outlook.of(outlook)
    turns = sorted(
        built.rows("abandon_turns_top", window_days=window), key=lambda r: r["abandon_rank"]
    )
    assert [(t.abandon_rank, t.abandon_turn, t.abandon_count) for t in report.abandon_turns] == [
        (r["abandon_rank"], r["abandon_turn"], r["abandon_count"]) for r in turns
    ]
    assert report.abandon_turns and report.agents


def test_report_refuses_a_window_the_marts_do_not_hold(built: Built) -> None:
    with pytest.raises(ReportError, match=r"no 7-day window \(they hold 5, 14 days\)"):
        built.report(7)


# --- the dashboard reads ---------------------------------------------------------------------


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _league_order(row: dict[str, Any]) -> tuple[Any, ...]:
    rate = row["completion_rate"]
    return (rate is None, -(rate or 0.0), row["agent_id"])


@pytest.mark.parametrize("days", [*WINDOWS, None])
def test_dashboard_figures_are_mart_columns(built: Built, days: int | None) -> None:
    data = built.dashboard(days)
    window = max(WINDOWS) if days is None else days
    assert data.window.days == window
    (summary,) = built.rows("conversation_summary", window_days=window)
    assert data.headline == _metrics(summary)

    by_day = sorted(
        built.rows("conversation_summary_by_day", window_days=window),
        key=lambda r: r["started_date"],
    )
    assert [
        (d.day, d.total_conversations, d.completion_rate, d.abandonment_rate, d.handoff_rate)
        for d in data.daily
    ] == [
        (r["started_date"], r["total_conversations"], r["completion_rate"],
         r["abandonment_rate"], r["handoff_rate"])
        for r in by_day
    ]

    by_turn = sorted(
        (
            r
            for r in built.rows("conversation_summary_by_turn", window_days=window)
            if 0 <= r["turn"] <= MAX_TURNS_SHOWN
        ),
        key=lambda r: r["turn"],
    )
    assert [
        (t.turn, t.still_going, t.still_going_share, t.abandoned, t.abandoned_share)
        for t in data.turns
    ] == [
        (r["turn"], r["conversations_reaching_turn"], r["reaching_turn_share"],
         r["abandon_count"], r["abandon_share"])
        for r in by_turn
    ]
    assert data.turns

    bands = sorted(
        built.rows("conversation_summary_by_satisfaction_band", window_days=window),
        key=lambda r: r["satisfaction_band"],
    )
    assert [(b.lower, b.upper, b.conversations, b.share) for b in data.satisfaction_bins] == [
        (r["band_lower_score"], r["band_upper_score"], r["total_conversations"],
         r["conversation_share"])
        for r in bands
    ]

    signals = {
        r["satisfaction_signal"]: r
        for r in built.rows("conversation_summary_by_satisfaction_signal", window_days=window)
    }
    assert [g.key for g in data.coverage] == ["explicit", "implicit", "none"]
    assert {
        g.key: (g.conversations, g.share, g.avg_satisfaction_score) for g in data.coverage
    } == {
        key: (r["total_conversations"], r["conversation_share"], r["avg_satisfaction_score"])
        for key, r in signals.items()
    }

    agents = sorted(built.rows("conversation_summary_by_agent", window_days=window),
                    key=_league_order)
    assert [(a.agent_id, a.metrics) for a in data.agents] == [
        (r["agent_id"], _metrics(r)) for r in agents
    ]

    first_day = _as_date(summary["window_start_at"])
    first_monday = first_day - timedelta(days=first_day.weekday())
    weekly = [
        r
        for r in built.snapshot["agent_performance_weekly"].rows
        if first_monday <= r["week_start"] <= _as_date(summary["as_of_at"])
    ]
    shown = sorted({r["week_start"] for r in weekly})[-LEAGUE_WEEKS:]
    assert data.weeks == shown
    shown_weekly = [r for r in weekly if r["week_start"] in shown]
    held = {
        (a.agent_id, w.week_start): (
            w.total_conversations, w.completion_rate, w.previous_completion_rate,
            w.completion_rate_change_points, w.completion_rate_alert,
        )
        for a in data.agents
        for w in a.weeks.values()
    }
    assert held == {
        (r["agent_id"], r["week_start"]): (
            r["total_conversations"], r["completion_rate"], r["previous_completion_rate"],
            r["completion_rate_change_points"], r["completion_rate_alert"],
        )
        for r in shown_weekly
        if r["agent_id"] in {a.agent_id for a in data.agents}
    }
    assert {(w, a) for w, a, _ in data.alerts} == {
        (r["week_start"], r["agent_id"]) for r in shown_weekly if r["completion_rate_alert"]
    }

    tools = sorted(
        built.rows("conversation_summary_by_tool", window_days=window),
        key=lambda r: (-r["total_calls"], r["tool_name"]),
    )
    assert [
        (t.tool_name, t.total_calls, t.error_calls, t.error_rate, t.conversations_using_tool,
         t.completion_rate)
        for t in data.tools
    ] == [
        (r["tool_name"], r["total_calls"], r["error_calls"], r["error_rate"],
         r["total_conversations"], r["completion_rate"])
        for r in tools
    ]

    models = sorted(
        built.rows("conversation_summary_by_model", window_days=window),
        key=lambda r: (-r["total_conversations"], r["model"]),
    )
    assert [
        (m.model, m.total_conversations, m.completion_rate, m.avg_satisfaction_score,
         m.agent_responses, m.output_tokens_per_response, m.avg_latency_ms)
        for m in data.models
    ] == [
        (r["model"], r["total_conversations"], r["completion_rate"],
         r["avg_satisfaction_score"], r["agent_responses"], r["output_tokens_per_response"],
         r["avg_latency_ms"])
        for r in models
    ]
    assert data.tools and data.models


# --- read-only -------------------------------------------------------------------------------


@pytest.fixture
def held_read_only(built: Built) -> Iterator[Path]:
    """The DuckDB file, held open read-only by another process (as a BI tool
    holds it) for the length of the test."""
    if built.target != "duckdb":
        pytest.skip("DuckDB only")
    path = Path(built.where["duckdb_path"])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"connection = duckdb.connect({str(path)!r}, read_only=True)\n"
            "connection.execute('select 1').fetchall()\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield path
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_report_and_dashboard_read_while_another_process_holds_the_file(
    held_read_only: Path, built: Built, tmp_path: Path
) -> None:
    before = (_digest(held_read_only), held_read_only.stat().st_mtime_ns)
    # The other process's lock is real: a read-write connection is refused.
    with pytest.raises(duckdb.IOException):
        duckdb.connect(str(held_read_only))
    report = built.report(None)
    assert report.headline.total_conversations > 0
    assert built.dashboard(5).headline.total_conversations > 0
    page = write_dashboard("duckdb", tmp_path / "page.html", duckdb_path=held_read_only)
    assert "Agent league table" in page.read_text(encoding="utf-8")
    # Nothing was written to the database file.
    assert (_digest(held_read_only), held_read_only.stat().st_mtime_ns) == before
