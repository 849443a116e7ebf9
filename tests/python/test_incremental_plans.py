"""How PostgreSQL plans the statements an hourly run adds to dbt's own: each
lookup is a join, never a subquery run once per row. A `not in (select ...)`
is never turned into a join, and over a subquery larger than `work_mem` it
runs row by row: at 10M events the pre-hook of `fct_conversations` that
compared every stored conversation with the rollup that way ran for more
than ten minutes in one hourly run (docs/benchmark.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import dbt_runner, loader
from test_hostile_input import T0, Warehouse
from test_hourly_test_scope import _conversation

pytestmark = pytest.mark.postgres

# A statement dbt ran for a node, as its debug log writes it: the node's
# comment, the SQL, then the next timestamped log line.
_STATEMENT = re.compile(
    r"On model\.conversation_analytics\.(?P<node>\w+): /\*.*?\*/\s*(?P<sql>.*?)\n\x1b\[0m\d\d:",
    re.DOTALL,
)


def _hooks_run(log: str, node: str) -> list[str]:
    """The deletes dbt ran for `node` that are not its delete+insert's own."""
    return [
        match["sql"].strip()
        for match in _STATEMENT.finditer(log)
        if match["node"] == node
        and match["sql"].lstrip().lower().startswith("delete from")
        and "__dbt_tmp" not in match["sql"]
    ]


def _hourly_run(
    tmp_path: Path, postgres_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Warehouse, str]:
    """A full build of 20 conversations, then an hourly run of one new
    conversation and a copy that moves an event; its dbt debug log."""
    warehouse = Warehouse("postgres", tmp_path, postgres_conninfo)
    warehouse.load([event for n in range(20) for event in _conversation(f"c{n}", 90 + n)])
    warehouse.build("--full-refresh")
    # Statistics, as a warehouse has them once autovacuum has seen a table.
    warehouse.execute("analyze")
    # The hourly run logs to a folder of its own: the session's dbt.log is
    # rotated as it grows, so an offset into it is not reliable.
    logs = tmp_path / "hourly-logs"
    monkeypatch.setenv("DBT_LOG_PATH", str(logs))
    # A re-delivered copy moves c0's only message to c1, earlier than it was.
    moved = EventRecord("c1", "u", "user_message", T0 - timedelta(minutes=95),
                        {"turn": 1}, id="c0-m")
    loader.load_events(
        [*_conversation("new", 5), moved], "postgres", conninfo=postgres_conninfo
    )
    warehouse.build("--selector", "hourly")
    return warehouse, (logs / "dbt.log").read_text(encoding="utf-8", errors="replace")


def test_the_pre_hooks_of_an_hourly_run_are_planned_as_joins(
    tmp_path: Path, dbt_scratch: Path, postgres_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, log = _hourly_run(tmp_path, postgres_conninfo, monkeypatch)

    hooks = {
        node: _hooks_run(log, node)
        for node in ("fct_conversations", "int_events_rolled_up_to_conversations")
    }
    assert all(hooks.values()), hooks
    plans = {}
    # The smallest work_mem, as at scale: a subquery's hash table never
    # fits, so a per-row subquery shows as a plain SubPlan.
    with psycopg.connect(postgres_conninfo, options="-c work_mem=64kB") as connection:
        for statements in hooks.values():
            for statement in statements:
                rows = connection.execute(f"explain {statement}").fetchall()
                plans[statement] = "\n".join(str(row[0]) for row in rows)
    assert len(plans) >= 2 and all(plans.values()), plans
    per_row = {statement: plan for statement, plan in plans.items() if "SubPlan" in plan}
    assert not per_row, per_row


# The estimated rows of a plan node, and the condition on staged_batch the
# node (an index or sequential scan of staging) applies.
_NEW_ROWS_NODE = re.compile(
    r"rows=(?P<rows>\d+) width=\d+\)\n\s+(?:Index Cond|Filter): \(+\w*\.?staged_batch > "
)


def test_an_hourly_rollup_is_planned_for_the_new_rows_only(
    tmp_path: Path, dbt_scratch: Path, postgres_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rollup's query looks up the staged rows past its watermark. With
    the watermark as a scalar subquery the planner cannot know it, takes a
    third of staging as new, and plans the rest of the query for that: at
    1M events a merge join over all of staging by conversation, and JIT
    compilation. As a number, the statistics give the estimate."""
    warehouse, log = _hourly_run(tmp_path, postgres_conninfo, monkeypatch)
    queries = [
        match["sql"]
        for match in _STATEMENT.finditer(log)
        if match["node"] == "int_events_rolled_up_to_conversations"
        and "create temporary table" in match["sql"]
    ]
    assert len(queries) == 1, queries
    select = re.search(r"\bas\s*\((?P<select>.*)\);?\s*$", queries[0], re.DOTALL)
    assert select, queries[0]
    ((staged,),) = warehouse.execute(
        "select count(*) from " + warehouse.relation("staging", "stg_conversation_events")
    )
    plan = "\n".join(str(row[0]) for row in warehouse.execute(f"explain {select['select']}"))
    estimates = [int(match["rows"]) for match in _NEW_ROWS_NODE.finditer(plan)]
    assert estimates, plan
    # The new rows are one short conversation and a copy: a few of staging's.
    assert max(estimates) <= staged // 10, (staged, estimates, plan)


def test_the_models_of_an_hourly_run_are_not_jit_compiled(
    tmp_path: Path, dbt_scratch: Path, postgres_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner's estimates for the incremental queries pass the JIT
    thresholds, and compiling cost more than running: at 1M events 4.0 s of
    agent_performance_weekly's 4.1 s. Each model's session turns it off
    before its query (CA_PG_JIT, default off)."""
    _, log = _hourly_run(tmp_path, postgres_conninfo, monkeypatch)
    for node in ("agent_performance_weekly", "int_events_rolled_up_to_conversations"):
        statements = [
            " ".join(match["sql"].split())
            for match in _STATEMENT.finditer(log)
            if match["node"] == node
        ]
        jit_off = [n for n, sql in enumerate(statements) if "set jit = off;" in sql]
        query = [n for n, sql in enumerate(statements) if "create temporary table" in sql]
        assert jit_off and query and jit_off[0] < query[0], (node, statements[:3])


def test_a_jit_setting_other_than_on_or_off_stops_the_run_with_one_line(
    tmp_path: Path, dbt_scratch: Path, postgres_conninfo: str
) -> None:
    warehouse = Warehouse("postgres", tmp_path, postgres_conninfo)
    warehouse.load(_conversation("c", 5))
    with (
        dbt_runner.environment({"CA_PG_JIT": "maybe; drop table x"}),
        pytest.raises(
            dbt_runner.DbtError, match="CA_PG_JIT is maybe; drop table x: expected on or off"
        ),
    ):
        warehouse.build("--select", "stg_conversation_events")
