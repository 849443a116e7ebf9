"""The command line: help everywhere, one-line errors that say what to do,
and the demo pipeline end to end (simulate, load, dbt build, report)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from click.testing import CliRunner, Result
from psycopg.conninfo import conninfo_to_dict

import conversation_analytics.benchmarks as benchmarks_package
from conversation_analytics import cli as cli_module
from conversation_analytics.cli import cli, main
from conversation_analytics.presentation.report import build_report
from conversation_analytics.simulation.simulator import FAULT_KINDS
from decimal_rounding import round_half_up

BENCH_MODULE = "conversation_analytics.benchmarks.tracker"
UNREACHABLE_PG = {"PGHOST": "127.0.0.1", "PGPORT": "1", "PGDATABASE": "nowhere"}


def invoke(args: list[str], env: Mapping[str, str | None] | None = None) -> Result:
    """Run the command line in-process with CA_* variables cleared."""
    base: dict[str, str | None] = {"CA_TARGET": None, "CA_DUCKDB_PATH": None}
    return CliRunner().invoke(cli, args, env={**base, **(env or {})})


def assert_fails_cleanly(result: Result, code: int, *needles: str) -> None:
    """Non-zero exit, an `Error:` line holding every needle, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


# --- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["simulate"], ["load"], ["build"], ["report"], ["demo"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = invoke([*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    if not command:
        for name in ("simulate", "load", "build", "report", "demo", "bench-tracker"):
            assert name in result.output


def test_target_options_name_their_environment_variable() -> None:
    result = invoke(["load", "--help"])
    assert "CA_TARGET" in result.output and "CA_DUCKDB_PATH" in result.output


# --- simulate ------------------------------------------------------------------------------


def test_simulate_writes_events_and_reports_every_fault(tmp_path: Path) -> None:
    output = tmp_path / "events.jsonl"
    result = invoke(
        ["simulate", "--conversations", "500", "--start-date", "2026-10-05", "--days", "14",
         "--seed", "3", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    lines = output.read_text().splitlines()
    assert f"wrote {len(lines):,} events" in result.output
    for kind in FAULT_KINDS:
        assert kind in result.output
    assert json.loads(lines[0]).keys() == {
        "id", "conversation_id", "user_id", "event_type", "timestamp", "metadata",
    }


def test_simulate_defaults_end_today_and_no_faults_is_clean(tmp_path: Path) -> None:
    output = tmp_path / "events.jsonl"
    result = invoke(["simulate", "--conversations", "50", "--no-faults", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "faults: none" in result.output
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    first = min(date.fromisoformat(r["timestamp"][:10]) for r in rows)
    assert first >= date.today() - timedelta(days=29)


# --- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "--conversations", "0", "-o", "x.jsonl"], "--conversations"),
        (["simulate", "--start-date", "2026-13-01", "-o", "x.jsonl"], "--start-date"),
        (["simulate"], "--output"),
        (["load", "--target", "mysql", "--conversations", "5"], "--target"),
        (["load"], "exactly one of --input FILE or --conversations N"),
        (["load", "--input", "missing.jsonl"], "does not exist"),
        (["load", "--conversations", "5", "--batch-size", "0"], "--batch-size"),
        (["load", "--conversations", "5", "--metadata-type", "xml"], "--metadata-type"),
        (["build", "--var", "no_equals_sign"], "key=value"),
        (["report", "--days", "0"], "--days"),
        (["nonsense"], "No such command"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    args: list[str], needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_fails_cleanly(invoke(args), 2, needle)


def test_both_sources_for_load_are_refused(tmp_path: Path) -> None:
    events = tmp_path / "e.jsonl"
    events.write_text("")
    result = invoke(["load", "--input", str(events), "--conversations", "5"])
    assert_fails_cleanly(result, 2, "exactly one of")


def test_bad_ca_target_is_a_usage_error() -> None:
    assert_fails_cleanly(invoke(["report"], env={"CA_TARGET": "mysql"}), 2, "CA_TARGET")


def test_malformed_input_file_names_the_line(tmp_path: Path) -> None:
    events = tmp_path / "broken.jsonl"
    events.write_text('{"id": "a", "timestamp": null}\n[1, 2]\n')
    result = invoke(["load", "--input", str(events), "--duckdb-path", str(tmp_path / "d.duckdb")])
    assert_fails_cleanly(result, 1, "broken.jsonl:2", "expected a JSON object")


# --- missing tables and databases ------------------------------------------------------------


def test_build_without_raw_table_says_load_first(tmp_path: Path) -> None:
    result = invoke(["build", "--duckdb-path", str(tmp_path / "empty.duckdb")])
    assert_fails_cleanly(
        result, 1, "raw.conversation_events", "run `conversation-analytics load` first"
    )


def test_build_checks_the_raw_schema_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "d.duckdb"
    assert invoke(["load", "--conversations", "5", "--duckdb-path", str(path)]).exit_code == 0
    result = invoke(["build", "--raw-schema", "landing", "--duckdb-path", str(path)])
    assert_fails_cleanly(result, 1, "landing.conversation_events", "load` first")


def test_report_without_database_says_load_first(tmp_path: Path) -> None:
    result = invoke(["report"], env={"CA_DUCKDB_PATH": str(tmp_path / "none.duckdb")})
    assert_fails_cleanly(result, 1, "none.duckdb", "run `conversation-analytics load` first")
    assert not (tmp_path / "none.duckdb").exists()


def test_report_without_marts_says_build_first(tmp_path: Path) -> None:
    path = str(tmp_path / "d.duckdb")
    loaded = invoke(["load", "--conversations", "20", "--duckdb-path", path])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded" in loaded.output
    result = invoke(["report", "--duckdb-path", path])
    assert_fails_cleanly(
        result, 1, "conversation_summary", "run `conversation-analytics build`"
    )


# --- unreachable PostgreSQL ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["load", "--target", "postgres", "--conversations", "5"],
        ["build", "--target", "postgres"],
        ["report", "--target", "postgres"],
    ],
)
def test_unreachable_postgres_says_what_to_check(args: list[str]) -> None:
    result = invoke(args, env=UNREACHABLE_PG)
    assert_fails_cleanly(result, 1, "cannot connect to PostgreSQL at", "127.0.0.1:1", "PGHOST")


@pytest.mark.parametrize(
    "args",
    [
        ["load", "--target", "spark", "--conversations", "5"],
        ["build", "--target", "spark"],
        ["report", "--target", "spark"],
        ["alerts", "--target", "spark"],
    ],
)
def test_unreachable_spark_says_where_it_looked(args: list[str]) -> None:
    result = invoke(args, env={"CA_SPARK_HOST": "127.0.0.1", "CA_SPARK_PORT": "1"})
    assert_fails_cleanly(result, 1, "Spark Thrift Server at 127.0.0.1:1")


def test_erase_user_refuses_spark() -> None:
    # Spark's Parquet tables have no DELETE.
    assert_fails_cleanly(invoke(["erase-user", "--target", "spark", "u-1"]), 2,
                         "'spark' is not one of")


def test_target_defaults_from_ca_target() -> None:
    result = invoke(["report"], env={"CA_TARGET": "postgres", **UNREACHABLE_PG})
    assert_fails_cleanly(result, 1, "PostgreSQL")


def test_installed_entry_point_prints_no_traceback() -> None:
    env = {**os.environ, **UNREACHABLE_PG, "CA_TARGET": "postgres"}
    completed = subprocess.run(
        [sys.executable, "-m", "conversation_analytics.cli", "report"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().count("\n") == 0
    assert completed.stderr.startswith("Error: cannot connect to PostgreSQL")


def test_unexpected_errors_are_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cli_module, "run_simulation", broken)
    monkeypatch.delenv("CA_DEBUG", raising=False)
    arguments = ["simulate", "-o", str(tmp_path / "x.jsonl")]
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert "unexpected RuntimeError: simulated bug" in error and "CA_DEBUG=1" in error
    monkeypatch.setenv("CA_DEBUG", "1")
    with pytest.raises(RuntimeError, match="simulated bug"):
        main(arguments)


# --- bench-tracker -----------------------------------------------------------------------------


def test_bench_tracker_passes_its_arguments_through(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[list[str] | None] = []
    fake = types.ModuleType(BENCH_MODULE)

    def fake_main(argv: list[str] | None = None) -> int:
        received.append(argv)
        return 3

    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, BENCH_MODULE, fake)
    monkeypatch.setattr(benchmarks_package, "tracker", fake, raising=False)
    result = invoke(["bench-tracker", "--events", "10", "--help", "-x"])
    assert result.exit_code == 3
    assert received == [["--events", "10", "--help", "-x"]]


def test_bench_tracker_says_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, BENCH_MODULE, None)
    monkeypatch.delattr(benchmarks_package, "tracker", raising=False)
    assert_fails_cleanly(invoke(["bench-tracker"]), 1, "tracker benchmark is not available")


# --- the pipeline on DuckDB ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_database(
    tmp_path_factory: pytest.TempPathFactory, dbt_scratch: Path
) -> Iterator[tuple[Path, Result]]:
    """One `demo` run (simulate, load, dbt build, report) into a fresh file."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = invoke(
        ["demo", "--conversations", "600", "--days", "21", "--seed", "9", "--duckdb-path",
         str(path)]
    )
    assert result.exit_code == 0, result.output
    yield path, result


def _fct_rows(path: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(path)) as connection:
        cursor = connection.execute(
            "select started_at, was_completed, was_abandoned, "
            "had_handoff, user_turns, satisfaction_score, abandoned_at_turn "
            "from analytics_marts.fct_conversations"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_demo_shows_its_steps_and_the_report(demo_database: tuple[Path, Result]) -> None:
    _, result = demo_database
    for step in ("[1/4] simulate", "[2/4] load", "[3/4] dbt build", "[4/4] report"):
        assert step in result.stderr
    assert result.stderr.count(" done in ") == 4
    for label in ("Total conversations", "Completion rate", "By agent", "abandon turns"):
        assert label in result.stdout


@pytest.mark.parametrize("days", [None, 7])
def test_report_agrees_with_fct_conversations(
    demo_database: tuple[Path, Result], days: int | None
) -> None:
    """The report's window (the longest, 28 days, when not given) holds the
    conversations that started in (as-of minus N days, as-of]."""
    path, _ = demo_database
    report = build_report("duckdb", days=days, duckdb_path=path)
    assert report.window.days == (28 if days is None else days)
    as_of = report.window.as_of_at
    rows = [
        r
        for r in _fct_rows(path)
        if as_of - timedelta(days=report.window.days) < r["started_at"] <= as_of
    ]
    total = len(rows)
    headline = report.headline
    assert headline.total_conversations == total
    assert headline.completion_rate == round_half_up(
        100 * sum(r["was_completed"] for r in rows) / total, 1
    )
    assert headline.abandonment_rate == round_half_up(
        100 * sum(r["was_abandoned"] for r in rows) / total, 1
    )
    assert headline.handoff_rate == round_half_up(
        100 * sum(r["had_handoff"] for r in rows) / total, 1
    )
    assert headline.avg_turns == round_half_up(sum(r["user_turns"] for r in rows) / total, 1)
    assert headline.avg_satisfaction_score == pytest.approx(
        sum(r["satisfaction_score"] for r in rows) / total, abs=0.0006
    )
    unknown = report.unknown_agent.total_conversations if report.unknown_agent else 0
    assert sum(a.metrics.total_conversations for a in report.agents) + unknown == total
    assert all(a.agent_id != "unknown" for a in report.agents)
    abandoned = Counter(r["abandoned_at_turn"] for r in rows if r["was_abandoned"])
    expected_top = sorted(abandoned.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(t.abandon_turn, t.abandon_count) for t in report.abandon_turns] == expected_top


def test_report_command_prints_the_window(demo_database: tuple[Path, Result]) -> None:
    path, _ = demo_database
    result = invoke(["report", "--days", "7", "--duckdb-path", str(path)])
    assert result.exit_code == 0, result.output
    assert "(last 7 days)" in result.output and "Avg satisfaction" in result.output


def test_build_passes_select_and_vars(demo_database: tuple[Path, Result]) -> None:
    path, _ = demo_database
    result = invoke(
        ["build", "--duckdb-path", str(path), "--select", "conversation_metrics_daily",
         "--var", "inactivity_timeout_minutes=45", "--raw-schema", "raw"]
    )
    assert result.exit_code == 0, result.output
    assert "dbt build on duckdb passed" in result.output
    assert "inactivity_timeout_minutes" not in result.stderr


# --- the report over hand-made marts, on both targets ------------------------------------------

METRIC_COLUMNS = (
    "total_conversations bigint, completed_conversations bigint, "
    "abandoned_conversations bigint, handoff_conversations bigint, "
    "completion_rate double precision, abandonment_rate double precision, "
    "handoff_rate double precision, avg_turns double precision, "
    "avg_duration_seconds double precision, avg_satisfaction_score double precision"
)
OUTLOOK_COLUMNS = (
    "completion_rate_ci_low double precision, completion_rate_ci_high double precision, "
    "ended_abandoned_conversations bigint, ended_handed_off_conversations bigint, "
    "timed_out_conversations bigint, in_progress_conversations bigint, "
    "completed_share double precision, ended_abandoned_share double precision, "
    "ended_handed_off_share double precision, timed_out_share double precision, "
    "in_progress_share double precision"
)
# The published figures are deliberately not what the counts would give
# (61.7 %, not 3 / 5): the report must print the columns as they are.
MARTS_DDL = (
    "create schema if not exists analytics_marts",
    "create table analytics_marts.conversation_summary (window_days integer, "
    f"window_start_at timestamp, as_of_at timestamp, {METRIC_COLUMNS}, {OUTLOOK_COLUMNS})",
    "create table analytics_marts.conversation_summary_by_agent (window_days integer, "
    f"agent_id varchar(50), {METRIC_COLUMNS})",
    "create table analytics_marts.abandon_turns_top (window_days integer, abandon_rank bigint, "
    "abandon_turn bigint, abandon_count bigint)",
    "insert into analytics_marts.conversation_summary values "
    "(7, '2026-11-01 12:00:00', '2026-11-08 12:00:00', 5, 3, 1, 2, 61.7, 20.2, 40.4, 2.6, "
    "100.0, 0.661, 23.1, 88.2, 1, 0, 0, 1, 60.0, 20.0, 0.0, 0.0, 20.0), "
    "(28, '2026-10-11 12:00:00', '2026-11-08 12:00:00', 8, 5, 2, 2, 62.4, 25.1, 25.3, 2.5, "
    "101.0, 0.675, 30.6, 86.3, 2, 0, 1, 0, 62.5, 25.0, 0.0, 12.5, 0.0)",
    "insert into analytics_marts.conversation_summary_by_agent values "
    "(7, 'agent-a', 1, 0, 1, 1, 0.0, 100.0, 100.0, 4.0, null, 0.3), "
    "(7, 'agent-b', 4, 3, 0, 1, 75.0, 0.0, 25.0, 2.3, 100.0, 0.75), "
    "(28, 'agent-b', 4, 3, 0, 1, 75.0, 0.0, 25.0, 2.3, 100.0, 0.75), "
    "(28, 'agent-a', 4, 2, 2, 1, 50.0, 50.0, 25.0, 2.8, 100.0, 0.6), "
    # Events without an agent id: shown apart, never ranked first.
    "(28, 'unknown', 9, 1, 8, 0, 11.1, 88.9, 0.0, 1.0, 50.0, 0.1)",
    "insert into analytics_marts.abandon_turns_top values (7, 1, 2, 1), (28, 1, 3, 1), "
    "(28, 2, 2, 1)",
)

# (days asked, window, total, completion, abandonment, handoff, avg turns, avg duration,
#  satisfaction, top abandon turns, agents by conversations)
EXPECTED_REPORTS = [
    (None, 28, 8, 62.4, 25.1, 25.3, 2.5, 101.0, 0.675, [(3, 1), (2, 1)], ["agent-a", "agent-b"]),
    (7, 7, 5, 61.7, 20.2, 40.4, 2.6, 100.0, 0.661, [(2, 1)], ["agent-b", "agent-a"]),
]


def _check_report(target: str, days: int | None, expected: tuple[Any, ...], **where: Any) -> None:
    report = build_report(target, days=days, **where)  # type: ignore[arg-type]
    h = report.headline
    assert (
        days, report.window.days, h.total_conversations, h.completion_rate, h.abandonment_rate,
        h.handoff_rate, h.avg_turns, h.avg_duration_seconds, h.avg_satisfaction_score,
        [(t.abandon_turn, t.abandon_count) for t in report.abandon_turns],
        [a.agent_id for a in report.agents],
    ) == expected


@pytest.mark.parametrize("expected", EXPECTED_REPORTS)
def test_report_prints_the_marts_as_they_are_on_duckdb(
    tmp_path: Path, expected: tuple[Any, ...]
) -> None:
    path = tmp_path / "marts.duckdb"
    with duckdb.connect(str(path)) as connection:
        for statement in MARTS_DDL:
            connection.execute(statement)
    _check_report("duckdb", expected[0], expected, duckdb_path=path)
    args = ["report", "--duckdb-path", str(path)]
    result = invoke(args if expected[0] is None else [*args, "--days", str(expected[0])])
    assert result.exit_code == 0, result.output
    assert f"{expected[3]:.1f} %" in result.output
    assert f"(last {expected[1]} days)" in result.output
    if expected[1] == 7:
        assert "61.7 % (interval 23.1-88.2)" in result.output
        assert "Provisional: 1 conversation is still in progress" in result.output
        assert re.search(r"In progress +1 +20\.0", result.output)
    else:
        assert re.search(r"Timed out +1 +12\.5", result.output)
        assert "Provisional" not in result.output
        assert result.output.index("agent-b") < result.output.index("(no agent id, not ranked)")


def test_report_names_the_windows_the_marts_hold(tmp_path: Path) -> None:
    path = tmp_path / "marts.duckdb"
    with duckdb.connect(str(path)) as connection:
        for statement in MARTS_DDL:
            connection.execute(statement)
    result = invoke(["report", "--duckdb-path", str(path), "--days", "3"])
    assert_fails_cleanly(
        result, 1, "no 3-day window", "they hold 7, 28 days", "summary_window_days=[3, 7, 28]"
    )


@pytest.mark.postgres
def test_report_and_build_on_postgres(postgres_conninfo: str) -> None:
    params = conninfo_to_dict(postgres_conninfo)
    env = {
        "PGHOST": str(params.get("host", "")),
        "PGPORT": str(params.get("port", "")),
        "PGUSER": str(params.get("user", "")),
        "PGDATABASE": str(params["dbname"]),
        "CA_TARGET": "postgres",
    }
    assert_fails_cleanly(invoke(["build"], env=env), 1, "raw.conversation_events", "load` first")
    assert_fails_cleanly(invoke(["report"], env=env), 1, "build` first")
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        for statement in MARTS_DDL:
            connection.execute(statement)
    for expected in EXPECTED_REPORTS:
        _check_report("postgres", expected[0], expected, conninfo=postgres_conninfo)
    result = invoke(["report", "--days", "7"], env=env)
    assert result.exit_code == 0, result.output
    assert "61.7 %" in result.output and "(last 7 days)" in result.output
