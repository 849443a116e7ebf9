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
from conversation_analytics.warehouse import loader
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


def test_the_pre_hooks_of_an_hourly_run_are_planned_as_joins(
    tmp_path: Path, dbt_scratch: Path, postgres_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = Warehouse("postgres", tmp_path, postgres_conninfo)
    warehouse.load([event for n in range(20) for event in _conversation(f"c{n}", 90 + n)])
    warehouse.build("--full-refresh")
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
    log = (logs / "dbt.log").read_text(encoding="utf-8", errors="replace")

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
