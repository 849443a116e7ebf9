"""OpenTelemetry GenAI spans in (docs/opentelemetry.md): a scripted agent
instrumented with the OpenTelemetry SDK is exported as OTLP JSON, loaded with
`conversation-analytics load --format otlp-json`, built with
var('otel_spans_enabled'), and the marts must say what the script played:
outcomes, turns, tool calls and errors, tokens, latency, feedback. Spans the
mapping cannot place are quarantined with their own reason, and loading the
same spans twice changes nothing.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict

import mart_io
import otel_agent
import played_marts
from conversation_analytics.cli import cli
from conversation_analytics.warehouse import dbt_runner
from conversation_analytics.warehouse.otlp import iter_otlp_json

VARS = {"otel_spans_enabled": True, "as_of": otel_agent.AS_OF.isoformat(sep=" ")}
TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def _hex_request(spans: list[dict[str, Any]]) -> str:
    """A request line as the Collector writes it (hex ids, integer enums)."""
    return json.dumps(
        {"resourceSpans": [{"resource": {"attributes": []},
                            "scopeSpans": [{"scope": {"name": "hand"}, "spans": spans}]}]}
    )


def _attrs(**values: Any) -> list[dict[str, Any]]:
    out = []
    for key, value in values.items():
        typed = {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}
        out.append({"key": key.replace("__", "."), "value": typed})
    return out


def _ns(offset_minutes: float) -> str:
    return str(otel_agent._ns(otel_agent.STARTED + timedelta(minutes=offset_minutes)))


# Spans no correct instrumentation writes, each with the reason it gets.
BAD_SPANS = {
    "span_unknown_operation": {
        "traceId": "aa" * 16, "spanId": "01" * 8, "name": "summarize", "kind": 1,
        "startTimeUnixNano": _ns(50), "endTimeUnixNano": _ns(51),
        "attributes": _attrs(gen_ai__conversation__id="conv-bad", gen_ai__operation__name="sum"),
    },
    "span_missing_start_time": {
        "traceId": "aa" * 16, "spanId": "02" * 8, "name": "chat", "kind": 3,
        "attributes": _attrs(gen_ai__conversation__id="conv-bad", gen_ai__operation__name="chat"),
    },
    "span_missing_conversation_id": {
        "traceId": "aa" * 16, "spanId": "03" * 8, "name": "chat", "kind": 3,
        "startTimeUnixNano": _ns(52), "attributes": "not a list of attributes",
    },
}
# An outcome no contract names: its event is quarantined as an unknown type.
ODD_OUTCOME_SPAN = {
    "traceId": "bb" * 16, "spanId": "04" * 8, "name": "invoke_agent", "kind": 1,
    "startTimeUnixNano": _ns(60), "endTimeUnixNano": _ns(61), "status": {"code": 0},
    "attributes": _attrs(
        gen_ai__conversation__id="conv-odd", gen_ai__operation__name="invoke_agent",
        gen_ai__agent__id="support",
    ),
    "events": [{"timeUnixNano": _ns(61), "name": "conversation.outcome",
                "attributes": _attrs(outcome="escalated")}],
}


@pytest.fixture(scope="module")
def spans_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    path = tmp_path_factory.mktemp("otel") / "traces.json"
    played, _ = otel_agent.play(path)
    with path.open("a", encoding="utf-8") as out:
        out.write(_hex_request([*BAD_SPANS.values(), ODD_OUTCOME_SPAN]) + "\n")
    yield path, played


def test_both_encodings_of_ids_and_enums_read_alike(tmp_path: Path) -> None:
    """OTLP/JSON (hex ids, integer enums) and protobuf's JSON mapping (base64
    ids, enum names) give the same rows."""
    protobuf_json = tmp_path / "protobuf.json"
    otel_agent.play(protobuf_json)
    collector_json = tmp_path / "collector.json"
    with collector_json.open("w") as out:
        for line in protobuf_json.read_text().splitlines():
            request = json.loads(line)
            for resource in request["resourceSpans"]:
                for scope in resource["scopeSpans"]:
                    for span in scope["spans"]:
                        for key in ("traceId", "spanId", "parentSpanId"):
                            if key in span:
                                span[key] = base64.b64decode(span[key]).hex()
                        span["kind"] = 1
                        span["status"] = {"code": 2} if span.get("status") else {}
            out.write(json.dumps(request) + "\n")
    protobuf_rows = list(iter_otlp_json(protobuf_json))
    collector_rows = list(iter_otlp_json(collector_json))
    assert [(r.trace_id, r.span_id, r.parent_span_id, r.kind) for r in protobuf_rows] == [
        (r.trace_id, r.span_id, r.parent_span_id, r.kind) for r in collector_rows
    ]
    assert all(len(r.span_id or "") == 16 and len(r.trace_id or "") == 32 for r in protobuf_rows)
    assert {r.attributes["gen_ai.operation.name"] for r in protobuf_rows} == {
        "invoke_agent", "chat", "execute_tool"
    }
    # intValue is a string in OTLP JSON; it is loaded as a number.
    assert any(r.attributes.get("gen_ai.usage.input_tokens") == 120 for r in protobuf_rows)


def _load(path: Path, target: str, where: list[str]) -> None:
    result = CliRunner().invoke(
        cli, ["load", "--format", "otlp-json", str(path), "--target", target, *where]
    )
    assert result.exit_code == 0, result.output
    assert "spans from" in result.output


def _build(
    target: str,
    tmp_path: Path,
    conninfo: str | None,
    raw_schema: str = "raw",
    schema: str = "otel",
) -> mart_io.Snapshot:
    """`dbt build` with the spans enabled; on PostgreSQL into `<schema>_*`."""
    return played_marts.build(
        target, tmp_path / "otel.duckdb", conninfo, VARS, raw_schema, schema
    )


@pytest.fixture(scope="module", params=TARGETS)
def built(
    request: pytest.FixtureRequest,
    spans_file: tuple[Path, dict],
    tmp_path_factory: pytest.TempPathFactory,
    dbt_scratch: Path,
) -> tuple[mart_io.Snapshot, mart_io.Snapshot, dict]:
    """The spans loaded and built, then loaded again and built again."""
    target = request.param
    path, played = spans_file
    tmp_path = tmp_path_factory.mktemp(f"otel-{target}")
    conninfo = None
    if target == "duckdb":
        where = ["--duckdb-path", str(tmp_path / "otel.duckdb")]
        load = lambda: _load(path, target, where)  # noqa: E731
    else:
        conninfo = request.getfixturevalue("postgres_conninfo")
        env = {"PGDATABASE": str(conninfo_to_dict(conninfo)["dbname"])}

        def load() -> None:
            with dbt_runner.environment(env):
                _load(path, target, [])

    load()
    first = _build(target, tmp_path, conninfo)
    load()
    second = _build(target, tmp_path, conninfo)
    return first, second, played


def test_conversations_are_what_the_agent_played(built: tuple) -> None:
    snapshot, _, played = built
    rows = {r["conversation_id"]: r for r in snapshot["fct_conversations"].rows}
    assert set(rows) == {*played, "conv-odd"}
    played_marts.assert_conversations_played(snapshot, played)
    # Completed at the end of the last turn, which ended with the outcome.
    assert float(rows["conv-completed"]["duration_seconds"]) == pytest.approx(61.5)
    assert float(rows["conv-feedback"]["duration_seconds"]) == pytest.approx(0.8)
    # The odd outcome is quarantined; its conversation has a turn and no end.
    assert rows["conv-odd"]["outcome"] == "timed_out"


def test_tool_calls_and_errors(built: tuple) -> None:
    snapshot, _, played = built
    played_marts.assert_tools_played(snapshot, played)


def test_tokens_latency_and_models(built: tuple) -> None:
    snapshot, _, played = built
    by_model = {r["model"]: r for r in snapshot["model_performance"].rows}
    # The turn's model is the one that answered (the chat span's response
    # model), not the one the agent asked for.
    assert set(by_model) == {"gpt-4o-2024-08-06", "unknown"}  # conv-odd names no model
    played_marts.assert_responses_played(snapshot, played, "gpt-4o-2024-08-06")


def test_summary_counts_outcomes(built: tuple) -> None:
    snapshot, _, played = built
    outcomes = Counter(p.outcome for p in played.values())
    for row in snapshot["conversation_summary"].rows:
        assert row["total_conversations"] == len(played) + 1  # and conv-odd
        assert row["completed_conversations"] == outcomes["completed"]
        assert row["abandoned_conversations"] == outcomes["abandoned"]
        assert row["handoff_conversations"] == sum(p.had_handoff for p in played.values())
        # A handed-off conversation counts as handed off, not timed out.
        timed_out = sum(p.outcome == "timed_out" and not p.had_handoff for p in played.values())
        assert row["timed_out_conversations"] == timed_out + 1  # and conv-odd
        assert row["ended_handed_off_conversations"] == 1


def test_spans_the_mapping_cannot_place_are_quarantined_with_their_reason(built: tuple) -> None:
    snapshot, _, _ = built
    reasons = Counter(r["rejection_reason"] for r in snapshot["conversation_events_rejected"].rows)
    # The script's stray model call, and the hand-written bad spans.
    assert reasons == {
        "span_missing_conversation_id": 2,
        "span_unknown_operation": 1,
        "span_missing_start_time": 1,
        "unknown_event_type": 1,
    }
    stray = [
        r for r in snapshot["conversation_events_rejected"].rows
        if r["rejection_reason"] == "span_missing_conversation_id" and r["raw_event_type"]
    ]
    assert [r["raw_event_type"] for r in stray] == ["chat"]


def _sorted_rows(snapshot: mart_io.Snapshot, name: str, columns: list[str]) -> list[tuple]:
    data = [tuple(r[c] for c in columns) for r in snapshot[name].rows]
    return sorted(data, key=lambda row: [str(v) for v in row])


def test_loading_the_same_spans_again_changes_nothing(built: tuple) -> None:
    first, second, _ = built
    for name in mart_io.MART_GRAINS:
        columns = mart_io.data_columns(first[name].columns)
        assert _sorted_rows(first, name, columns) == _sorted_rows(second, name, columns), name
    staged = [r["event_id"] for r in second["stg_conversation_events"].rows]
    assert len(staged) == len(set(staged)) == len(first["stg_conversation_events"].rows)
    # The quarantine holds one row per raw span rejected, the second load's
    # too; an event of a span is rejected once, however often it came.
    def reasons(snapshot: mart_io.Snapshot) -> Counter:
        return Counter(r["rejection_reason"] for r in snapshot["conversation_events_rejected"].rows)

    doubled = {k: 2 * v if k.startswith("span_") else v for k, v in reasons(first).items()}
    assert reasons(second) == doubled


def test_a_line_that_is_not_a_request_stops_the_load_naming_it(tmp_path: Path) -> None:
    """Nothing of a file with a broken line is written, and the message says
    which line (exit 1, one line), instead of a traceback."""
    path = tmp_path / "broken.json"
    otel_agent.play(path)
    with path.open("a") as out:
        out.write('{"resourceSpans": [{"scopeSpans": [{"spans": ["not a span"]}]}]}\n')
    database = tmp_path / "broken.duckdb"
    result = CliRunner().invoke(
        cli, ["load", "--format", "otlp-json", str(path), "--duckdb-path", str(database)]
    )
    assert result.exit_code == 1
    lines = path.read_text().splitlines()
    assert f"{path}:{len(lines)}: a span is not an object" in result.output
    with closing(duckdb.connect(str(database))) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    assert tables == []


def test_spans_loaded_in_two_runs_build_what_one_run_builds(
    built: tuple, spans_file: tuple[Path, dict], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Children before parents, as batching exporters send them: the first
    run sees model calls and tool calls whose turn span has not landed yet,
    the second run the rest, incrementally. The marts equal one build over
    everything."""
    once, _, _ = built
    path, _ = spans_file
    lines = path.read_text().splitlines(keepends=True)
    halves = [tmp_path / "first.json", tmp_path / "second.json"]
    halves[0].write_text("".join(lines[:3]))
    halves[1].write_text("".join(lines[3:]))
    first = list(iter_otlp_json(halves[0]))
    later = {r.span_id for r in iter_otlp_json(halves[1])}
    # Some spans of the first run have their parent in the second.
    assert any(r.parent_span_id in later for r in first)
    conninfo = None
    env: dict[str, str | None] = {}
    if once.target == "duckdb":
        where = ["--duckdb-path", str(tmp_path / "otel.duckdb")]
    else:
        # Another raw schema and build schema in the module's database.
        conninfo = request.getfixturevalue("postgres_conninfo")
        where = ["--raw-schema", "raw_two_runs"]
        env = {"PGDATABASE": str(conninfo_to_dict(conninfo)["dbname"])}
    twice = None
    for half in halves:
        with dbt_runner.environment(env):
            _load(half, once.target, where)
        twice = _build(once.target, tmp_path, conninfo, "raw_two_runs", "otel_two_runs")
    assert twice is not None
    for name in ("fct_conversations", "tool_usage", "model_performance", "conversation_summary"):
        columns = mart_io.data_columns(once[name].columns)
        assert _sorted_rows(once, name, columns) == _sorted_rows(twice, name, columns), name


def test_a_span_table_without_a_column_stops_the_run_naming_it(
    spans_file: tuple[Path, dict], tmp_path: Path, dbt_scratch: Path
) -> None:
    path, _ = spans_file
    database = tmp_path / "drift.duckdb"
    _load(path, "duckdb", ["--duckdb-path", str(database)])
    with closing(duckdb.connect(str(database))) as connection:
        connection.execute("alter table raw.otel_spans drop column events")
    with pytest.raises(dbt_runner.DbtError) as failure:
        dbt_runner.run_dbt(
            ["seed", "--select", "conversation_event_types"], target="duckdb",
            duckdb_file=database, vars=VARS,
        )
    assert "lacks the column events of the span table" in str(failure.value)
    # The path off, the span table is not read at all.
    dbt_runner.run_dbt(
        ["seed", "--select", "conversation_event_types"], target="duckdb", duckdb_file=database
    )
