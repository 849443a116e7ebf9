"""The marts built from a scripted agent's traces, compared with what the
script played (otel_agent.Played): shared by the OpenTelemetry and the
Langfuse ingestion tests, which feed the same conversations through
different formats and must build the same marts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict

import mart_io
from conversation_analytics.warehouse import dbt_runner
from otel_agent import Played


def build(
    target: str,
    database: Path,
    conninfo: str | None,
    dbt_vars: dict[str, Any],
    raw_schema: str = "raw",
    schema: str = "otel",
) -> mart_io.Snapshot:
    """`dbt build` with `dbt_vars`, on DuckDB into `database`, on
    PostgreSQL into `<schema>_*` of the conninfo's database; the marts read
    back."""
    if target == "duckdb":
        dbt_runner.run_dbt(["build"], target="duckdb", duckdb_file=database, vars=dbt_vars)
        return mart_io.read_duckdb(database)
    assert conninfo is not None
    env = {"PGDATABASE": str(conninfo_to_dict(conninfo)["dbname"]), "CA_PG_SCHEMA": schema}
    with dbt_runner.environment(env):
        dbt_runner.run_dbt(
            ["build"], target="postgres", vars={**dbt_vars, "raw_schema": raw_schema}
        )
    return mart_io.read_postgres(conninfo, schema, raw_schema)


def assert_conversations_played(snapshot: mart_io.Snapshot, played: dict[str, Played]) -> None:
    """fct_conversations says, for each played conversation, its outcome,
    turns, responses, tool calls, agent, channel, user, handoff and
    feedback."""
    rows = {r["conversation_id"]: r for r in snapshot["fct_conversations"].rows}
    for cid, p in played.items():
        row = rows[cid]
        assert (row["outcome"], row["user_turns"], row["agent_responses"], row["tool_calls"]) == (
            p.outcome, p.turns, p.agent_responses, len(p.tools)
        ), cid
        assert (row["agent_id"], row["channel"], row["user_id"]) == (
            p.agent_id, p.channel, p.user_id
        ), cid
        assert row["had_handoff"] == p.had_handoff, cid
        assert row["positive_feedback_count"] == p.ratings.count("positive"), cid
        assert row["negative_feedback_count"] == p.ratings.count("negative"), cid


def assert_tools_played(snapshot: mart_io.Snapshot, played: dict[str, Played]) -> None:
    """tool_usage counts each played tool's calls and failed calls."""
    expected: dict[str, Counter] = defaultdict(Counter)
    for p in played.values():
        for name, failed in p.tools:
            expected[name]["calls"] += 1
            expected[name]["errors"] += failed
    got = {
        r["tool_name"]: {"calls": r["total_calls"], "errors": r["error_calls"]}
        for r in snapshot["tool_usage"].rows
    }
    assert got == {name: dict(c) | {"errors": c["errors"]} for name, c in expected.items()}


def assert_responses_played(
    snapshot: mart_io.Snapshot, played: dict[str, Played], model: str
) -> None:
    """model_performance holds the played responses under `model`: their
    count, tokens and latencies."""
    by_model = {r["model"]: r for r in snapshot["model_performance"].rows}
    answered = by_model[model]
    assert answered["agent_responses"] == sum(p.agent_responses for p in played.values())
    assert answered["input_tokens"] == sum(p.input_tokens for p in played.values())
    assert answered["output_tokens"] == sum(p.output_tokens for p in played.values())
    latencies = [ms for p in played.values() for ms in p.latencies_ms]
    assert float(answered["sum_latency_ms"]) == pytest.approx(sum(latencies))
    assert answered["timed_responses"] == len(latencies)
