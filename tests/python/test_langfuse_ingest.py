"""A Langfuse export in (docs/langfuse.md): the conversations of the
OpenTelemetry test's script, traced as Langfuse traces them (langfuse_agent),
written in the export's shape, loaded with `conversation-analytics load
--format langfuse`, built with var('langfuse_enabled'), and the marts must
say what the script played: outcomes, turns, tool calls and errors, tokens,
latency, feedback. Rows the mapping cannot place are quarantined with their
own reason; a file that is no export stops the load in one line.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict

import langfuse_agent
import mart_io
import otel_agent
import played_marts
from conversation_analytics.cli import cli
from conversation_analytics.warehouse import dbt_runner
from conversation_analytics.warehouse.langfuse import read_langfuse_export

VARS = {"langfuse_enabled": True, "as_of": otel_agent.AS_OF.isoformat(sep=" ")}
TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
LATER = otel_agent.STARTED + timedelta(minutes=45)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@pytest.fixture(scope="module")
def export() -> tuple[langfuse_agent.LangfuseAgent, dict[str, otel_agent.Played]]:
    """The script, plus hand-made rows: a categorical thumbs-down on the
    timed-out conversation (feedback it then has), an evaluator's score
    that is not feedback, and rows the mapping must quarantine."""
    played, agent = langfuse_agent.play()
    timed_out = next(t for t in agent.traces if t["sessionId"] == "conv-timed-out")
    agent.score(timed_out["id"], LATER, "user_feedback", string_value="Negative")
    played["conv-timed-out"].ratings.append("negative")
    agent.score(timed_out["id"], LATER, "hallucination", value=0.0)
    # Observations of a trace that never came, and of an unknown type.
    agent.observations.append({**agent.observations[0], "id": "obs-orphan",
                               "traceId": "trace-missing"})
    agent.observations.append({**agent.observations[0], "id": "obs-odd", "type": "THOUGHT"})
    # A score of no session, and a trace whose time is unreadable.
    agent.score("trace-missing", LATER, "user_feedback", value=1)
    agent.traces.append({**agent.traces[0], "id": "trace-no-time", "timestamp": "soon"})
    return agent, played


# The quarantine the export gives: the script's stray trace (no sessionId)
# and its generation, and the hand-made rows above.
EXPECTED_REJECTIONS = {
    "langfuse_trace_missing_session_id": 1,
    "langfuse_observation_without_session": 2,
    "langfuse_observation_unknown_type": 1,
    "langfuse_score_without_session": 1,
    "langfuse_trace_missing_timestamp": 1,
}


def _load(path: Path, target: str, where: list[str]) -> None:
    result = CliRunner().invoke(
        cli, ["load", "--format", "langfuse", str(path), "--target", target, *where]
    )
    assert result.exit_code == 0, result.output
    assert " traces, " in result.output


@pytest.fixture(scope="module", params=TARGETS)
def built(
    request: pytest.FixtureRequest,
    export: tuple[langfuse_agent.LangfuseAgent, dict],
    tmp_path_factory: pytest.TempPathFactory,
    dbt_scratch: Path,
) -> tuple[mart_io.Snapshot, mart_io.Snapshot, dict]:
    """The export loaded and built, then loaded again and built again."""
    target = request.param
    agent, played = export
    tmp_path = tmp_path_factory.mktemp(f"langfuse-{target}")
    path = agent.write(tmp_path / "export")
    database = tmp_path / "langfuse.duckdb"
    conninfo = None
    env: dict[str, str | None] = {}
    where = ["--duckdb-path", str(database)]
    if target == "postgres":
        conninfo = request.getfixturevalue("postgres_conninfo")
        env = {"PGDATABASE": str(conninfo_to_dict(conninfo)["dbname"])}
        where = []
    snapshots = []
    for _ in range(2):
        with dbt_runner.environment(env):
            _load(path, target, where)
        snapshots.append(
            played_marts.build(target, database, conninfo, VARS, schema="langfuse")
        )
    return snapshots[0], snapshots[1], played


def test_conversations_are_what_the_agent_played(built: tuple) -> None:
    snapshot, _, played = built
    rows = {r["conversation_id"]: r for r in snapshot["fct_conversations"].rows}
    assert set(rows) == set(played)
    played_marts.assert_conversations_played(snapshot, played)
    # Completed when the last turn's trace ended (its last observation).
    assert float(rows["conv-completed"]["duration_seconds"]) == pytest.approx(61.5)
    assert float(rows["conv-feedback"]["duration_seconds"]) == pytest.approx(0.8)
    # The evaluator's score is not feedback.
    assert rows["conv-timed-out"]["unrecognised_feedback_count"] == 0


def test_tool_calls_and_errors(built: tuple) -> None:
    snapshot, _, played = built
    played_marts.assert_tools_played(snapshot, played)


def test_tokens_latency_and_models(built: tuple) -> None:
    """A trace's generations are one response: the tool turns' two
    generations sum their tokens, and the latency runs from the first's
    start to the last's end."""
    snapshot, _, played = built
    assert {r["model"] for r in snapshot["model_performance"].rows} == {langfuse_agent.MODEL}
    played_marts.assert_responses_played(snapshot, played, langfuse_agent.MODEL)


def test_summary_counts_outcomes(built: tuple) -> None:
    snapshot, _, played = built
    outcomes = Counter(p.outcome for p in played.values())
    for row in snapshot["conversation_summary"].rows:
        assert row["total_conversations"] == len(played)
        assert row["completed_conversations"] == outcomes["completed"]
        assert row["abandoned_conversations"] == outcomes["abandoned"]
        assert row["handoff_conversations"] == sum(p.had_handoff for p in played.values())


def test_rows_the_mapping_cannot_place_are_quarantined_with_their_reason(
    built: tuple, export: tuple[langfuse_agent.LangfuseAgent, dict]
) -> None:
    snapshot, _, _ = built
    agent, _ = export
    rejected = snapshot["conversation_events_rejected"].rows
    assert Counter(r["rejection_reason"] for r in rejected) == EXPECTED_REJECTIONS
    # The stray trace's generation is quarantined, not dropped, with the
    # orphan; the trace itself keeps its raw values.
    sessionless = {t["id"] for t in agent.traces if t["sessionId"] is None}
    stray = {o["id"] for o in agent.observations if o["traceId"] in sessionless}
    without_session = {
        r["event_id"] for r in rejected
        if r["rejection_reason"] == "langfuse_observation_without_session"
    }
    assert without_session == {"obs-orphan", *stray}
    (trace,) = [r for r in rejected if r["rejection_reason"].endswith("missing_session_id")]
    assert (trace["event_id"], trace["raw_event_type"]) == (sessionless.pop(), "trace")


def test_loading_the_same_export_again_changes_nothing(built: tuple) -> None:
    first, second, _ = built
    for name in mart_io.MART_GRAINS:
        columns = mart_io.data_columns(first[name].columns)
        rows = [
            sorted((tuple(r[c] for c in columns) for r in s[name].rows), key=str)
            for s in (first, second)
        ]
        assert rows[0] == rows[1], name
    staged = [r["event_id"] for r in second["stg_conversation_events"].rows]
    assert len(staged) == len(set(staged)) == len(first["stg_conversation_events"].rows)
    # Rejected raw rows are quarantined once per copy loaded.
    reasons = Counter(r["rejection_reason"] for r in second["conversation_events_rejected"].rows)
    assert reasons == {k: 2 * v for k, v in EXPECTED_REJECTIONS.items()}


def test_the_api_and_the_blob_export_shapes_read_alike(
    export: tuple[langfuse_agent.LangfuseAgent, dict], tmp_path: Path
) -> None:
    """The same export as the public API writes it (camelCase, JSON lines
    per entity), as the blob storage export does (snake_case, times as
    `YYYY-MM-DD HH:MM:SS.ffffff`, one folder per entity), and as trace
    downloads (a trace with its observations and scores) give equal rows."""
    agent, _ = export
    api = read_langfuse_export(agent.write(tmp_path / "api"))

    def blob(row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in row.items():
            if isinstance(value, str) and value.endswith("Z") and value[:4] == "2026":
                value = value[:-1].replace("T", " ") + "000"
            out[_snake(key)] = value
        return out

    for name, rows in (("traces", agent.traces), ("observations", agent.observations),
                       ("scores", agent.scores)):
        folder = tmp_path / "blob" / name / "2026-11-20"
        folder.mkdir(parents=True)
        (folder / "export.jsonl").write_text("".join(json.dumps(blob(r)) + "\n" for r in rows))
    assert read_langfuse_export(tmp_path / "blob").tables == api.tables

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for trace in agent.traces:
        (downloads / f"trace-{trace['id']}.json").write_text(json.dumps({
            **trace,
            "observations": [o for o in agent.observations if o["traceId"] == trace["id"]],
            "scores": [s for s in agent.scores if s["traceId"] == trace["id"]],
        }))
    placed = read_langfuse_export(downloads).tables
    # Downloads hold only what belongs to a trace that exists.
    known = {t["id"] for t in agent.traces}
    for name, rows in api.tables.items():
        kept = [r for r in rows if name == "langfuse_traces" or r["trace_id"] in known]
        assert sorted(placed[name], key=str) == sorted(kept, key=str), name


def test_a_file_that_is_not_an_export_stops_the_load_naming_it(
    export: tuple[langfuse_agent.LangfuseAgent, dict], tmp_path: Path
) -> None:
    """Nothing of an export with a broken line is written; the message says
    which file and line (exit 1, one line), instead of a traceback."""
    agent, _ = export
    path = agent.write(tmp_path / "broken")
    with (path / "scores.jsonl").open("a") as out:
        out.write('{"id": "score-x", "name": \n')
    database = tmp_path / "broken.duckdb"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["load", "--format", "langfuse", str(path), "--duckdb-path", str(database)]
    )
    assert result.exit_code == 1
    lines = (path / "scores.jsonl").read_text().splitlines()
    assert result.output.startswith(f"Error: {path / 'scores.jsonl'}:{len(lines)}: not JSON")
    assert len(result.output.strip().splitlines()) == 1
    # A list where an object belongs, and a file that names no entity.
    (path / "scores.jsonl").write_text("[1, 2]\n")
    result = runner.invoke(cli, ["load", "--format", "langfuse", str(path / "scores.jsonl"),
                                 "--duckdb-path", str(database)])
    assert result.exit_code == 1
    assert "expected a JSON object, got int" in result.output
    odd = tmp_path / "export.jsonl"
    odd.write_text(json.dumps(agent.traces[0]) + "\n")
    result = runner.invoke(
        cli, ["load", "--format", "langfuse", str(odd), "--duckdb-path", str(database)]
    )
    assert result.exit_code == 1
    assert "cannot tell traces, observations or scores apart" in result.output
    with closing(duckdb.connect(str(database))) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    assert tables == []


def test_a_langfuse_table_without_a_column_stops_the_run_naming_it(
    export: tuple[langfuse_agent.LangfuseAgent, dict], tmp_path: Path, dbt_scratch: Path
) -> None:
    agent, _ = export
    database = tmp_path / "drift.duckdb"
    _load(agent.write(tmp_path / "export"), "duckdb", ["--duckdb-path", str(database)])
    with closing(duckdb.connect(str(database))) as connection:
        connection.execute("alter table raw.langfuse_observations drop column usage_details")
    with pytest.raises(dbt_runner.DbtError) as failure:
        dbt_runner.run_dbt(
            ["seed", "--select", "conversation_event_types"], target="duckdb",
            duckdb_file=database, vars=VARS,
        )
    assert "lacks the column usage_details of the Langfuse export" in str(failure.value)
    # The path off, the Langfuse tables are not read at all.
    dbt_runner.run_dbt(
        ["seed", "--select", "conversation_event_types"], target="duckdb", duckdb_file=database
    )
