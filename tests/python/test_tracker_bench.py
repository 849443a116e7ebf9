"""The tracker benchmark command: its table, its exit codes."""

from __future__ import annotations

import re
import socket

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics.benchmarks import tracker as bench


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_bench_prints_cost_and_throughput_for_each_store(capsys) -> None:
    assert bench.main(["--events", "3000", "--stores", "memory,duckdb,jsonl"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1]}
    for store in ("memory", "duckdb", "jsonl"):
        fields = rows[store].split()
        assert fields[1] == "3,000"
        assert float(fields[2]) > 0 and fields[3] == "us"  # median per call
        assert int(fields[7]) == 0  # nothing dropped
        assert {fields[8], fields[9]} <= {"met", "MISSED"}
    # The hot path's cost before (n-gram) and after (token-sort), same run.
    costs = re.findall(
        r"user_message\(text=\.\.\.\), (before|now) \((\w+) embedder\): median ([0-9.]+) us", out
    )
    assert [(label, name) for label, name, _ in costs] == [
        ("before", "ngram"),
        ("now", "token_sort"),
    ]
    assert all(float(median) > 0 for *_, median in costs)


def test_bench_reports_an_unreachable_postgres_on_its_row(capsys, monkeypatch) -> None:
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", closed_port())
    monkeypatch.setattr(bench, "DEFAULT_STORES", ("memory", "postgres"))
    # Not asked for explicitly: the row says why, the run still succeeds.
    assert bench.main(["--events", "500"]) == 0
    out = capsys.readouterr().out
    assert "postgres" in out and "unreachable through PG* variables" in out
    # Asked for: the same problem fails the run.
    assert bench.main(["--events", "500", "--stores", "postgres"]) == 1
    assert "unreachable" in capsys.readouterr().out


def test_bench_rejects_unknown_stores() -> None:
    with pytest.raises(SystemExit):
        bench.main(["--stores", "duckdb,oracle"])


def test_events_are_a_valid_mix_of_every_lifecycle_step() -> None:
    events = bench.make_events(2000)
    assert len(events) == 2000
    kinds = {kind for _, _, kind, _ in events}
    assert kinds == {"started", "user_message", "tool_called", "agent_response", "completed"}


def test_bench_refuses_an_existing_schema_and_leaves_it_intact(
    postgres_conninfo: str, capsys, monkeypatch
) -> None:
    """`--pg-schema raw` used to drop a warehouse's raw schema with cascade."""
    with psycopg.connect(postgres_conninfo, autocommit=True) as conn:
        conn.execute("create schema raw")
        conn.execute("create table raw.conversation_events (id text primary key)")
        conn.execute("insert into raw.conversation_events values ('kept')")
        conn.execute("create view raw.events_view as select * from raw.conversation_events")
    monkeypatch.setenv("PGDATABASE", conninfo_to_dict(postgres_conninfo)["dbname"])
    assert bench.main(["--events", "200", "--stores", "postgres", "--pg-schema", "raw"]) == 1
    assert "schema 'raw' already exists" in capsys.readouterr().out
    with psycopg.connect(postgres_conninfo) as conn:
        assert conn.execute("select id from raw.events_view").fetchall() == [("kept",)]
    # A schema of its own is created, written to and dropped.
    assert bench.main(["--events", "200", "--stores", "postgres", "--pg-schema", "own"]) == 0
    with psycopg.connect(postgres_conninfo) as conn:
        schemas = conn.execute("select nspname from pg_namespace where nspname in ('raw', 'own')")
        assert schemas.fetchall() == [("raw",)]
