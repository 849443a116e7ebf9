"""The project as a dbt package (README, "Use it as a dbt package").

A host dbt project in a temporary folder installs it with a `local:` entry in
its packages.yml (offline: `dbt deps` links the folder), reads its events from
a raw table of its own name (`host_raw.agent_events`), overrides
`satisfaction_score` by dispatch and `inactivity_timeout_minutes` by var, has
vars of its own (some named like ours), re-materialises one mart that an
incremental mart reads and disables another, adds a seed and a model that
joins a mart to it. `dbt build` passes, the marts show the overrides, and a
second `dbt build` after more events passes incrementally, where the package's
own override of dbt's `should_full_refresh` applies to its models.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation.simulator import AGENT_IDS, SimulationResult
from conversation_analytics.warehouse import loader

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")

HOST_SCORE = 0.42  # what the host's satisfaction_score gives every conversation
HOST_TIMEOUT_MINUTES = 100_000  # longer than the simulation: nothing times out
REBUILT = "int_tool_calls_rolled_up_to_conversations"
TEAMS = {agent_id: ("money" if "billing" in agent_id else "care") for agent_id in AGENT_IDS}


def _write_host(folder: Path, profile: dict[str, Any]) -> None:
    """The host project: the files the README's section shows, and a seed
    and a model of its own."""
    (folder / "packages.yml").write_text(
        yaml.safe_dump({"packages": [{"local": str(ROOT)}]})
    )
    (folder / "dbt_project.yml").write_text(
        f"""
name: host_analytics
version: "1.0.0"
config-version: 2
profile: host_analytics

# The judgement macros are looked up in this project first.
dispatch:
  - macro_namespace: conversation_analytics
    search_order: [host_analytics, conversation_analytics]

vars:
  # The host's own var, global (check_vars has no business with it).
  host_region: emea
  # A global var reaches every package, this one too.
  inactivity_timeout_minutes: {HOST_TIMEOUT_MINUTES}
  conversation_analytics:
    raw_schema: host_raw
    raw_table: agent_events

models:
  conversation_analytics:
    marts:
      # Read by the incremental agent_alert_history.
      agent_performance_weekly:
        +materialized: view
      conversation_summary_by_satisfaction_band:
        +enabled: false

# The package's exposures (its own dashboard and report) read the mart
# disabled above.
exposures:
  conversation_analytics:
    +enabled: false
"""
    )
    (folder / "profiles.yml").write_text(yaml.safe_dump({"host_analytics": profile}))
    (folder / "macros").mkdir()
    (folder / "macros" / "satisfaction_score.sql").write_text(
        """
{% macro default__satisfaction_score(
    positive_feedback_count, negative_feedback_count, was_completed, had_handoff, user_turns
) -%}
    cast(""" + str(HOST_SCORE) + """ as {{ conversation_analytics.type_double() }})
{%- endmacro %}
"""
    )
    (folder / "seeds").mkdir()
    (folder / "seeds" / "agent_teams.csv").write_text(
        "agent_id,team\n" + "".join(f"{agent},{team}\n" for agent, team in TEAMS.items())
    )
    (folder / "models").mkdir()
    (folder / "models" / "team_satisfaction.sql").write_text(
        """
select
    teams.team,
    count(*) as conversations,
    avg(conversations.satisfaction_score) as avg_satisfaction_score
from {{ ref('conversation_analytics', 'fct_conversations') }} as conversations
inner join {{ ref('agent_teams') }} as teams
    on conversations.agent_id = teams.agent_id
group by teams.team
"""
    )


class Host:
    """The host project on one warehouse: a DuckDB file, or a schema in the
    test database on PostgreSQL."""

    def __init__(self, folder: Path, target: str, conninfo: str | None) -> None:
        self.folder = folder
        self.target = target
        self.conninfo = conninfo
        self.duckdb_path = folder / "warehouse.duckdb"
        if target == "duckdb":
            output: dict[str, Any] = {
                "type": "duckdb", "path": str(self.duckdb_path), "schema": "host", "threads": 4,
            }
        else:
            parts = conninfo_to_dict(conninfo or "")
            output = {
                "type": "postgres",
                "host": str(parts.get("host") or "localhost"),
                "port": int(parts.get("port") or 5432),
                "user": str(parts.get("user") or "postgres"),
                "password": str(parts.get("password") or ""),
                "dbname": str(parts["dbname"]),
                "schema": "host",
                "threads": 4,
            }
        _write_host(folder, {"target": target, "outputs": {target: output}})

    def dbt(self, *args: str) -> str:
        """Run dbt in the host folder; its output, after asserting success."""
        env = {
            **os.environ,
            "DBT_TARGET_PATH": str(self.folder / "target"),
            "DBT_LOG_PATH": str(self.folder / "logs"),
        }
        env.pop("DBT_PROFILES_DIR", None)
        result = subprocess.run(
            [str(DBT), *args, "--project-dir", str(self.folder), "--profiles-dir",
             str(self.folder)],
            cwd=self.folder, env=env, capture_output=True, text=True, timeout=600,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{output[-6000:]}"
        return output

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        if self.target == "duckdb":
            with closing(loader.connect_duckdb(self.duckdb_path)) as connection:
                return connection.execute(statement).fetchall()
        with closing(loader.connect_postgres(self.conninfo)) as connection:
            rows = connection.execute(statement).fetchall()
            connection.commit()
            return rows

    def execute(self, *statements: str) -> None:
        if self.target == "duckdb":
            with closing(loader.connect_duckdb(self.duckdb_path)) as connection:
                for statement in statements:
                    connection.execute(statement)
            return
        with closing(loader.connect_postgres(self.conninfo)) as connection:
            for statement in statements:
                connection.execute(statement)
            connection.commit()

    def load(self, events: Sequence[EventRecord]) -> None:
        """Append events to host_raw.agent_events, through the project's
        loader (which writes `<schema>.conversation_events`)."""
        loader.load_events(
            events,
            self.target,  # type: ignore[arg-type]
            raw_schema="host_raw",
            duckdb_path=self.duckdb_path if self.target == "duckdb" else None,
            conninfo=self.conninfo,
        )
        exists = self.query(
            "select count(*) from information_schema.tables "
            "where table_schema = 'host_raw' and table_name = 'agent_events'"
        )[0][0]
        if exists:
            self.execute(
                "insert into host_raw.agent_events select * from host_raw.conversation_events",
                "drop table host_raw.conversation_events",
            )
        else:
            self.execute("alter table host_raw.conversation_events rename to agent_events")


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_a_host_project_builds_the_package_with_its_overrides(
    target: str,
    tmp_path: Path,
    faulty_simulation: SimulationResult,
    request: pytest.FixtureRequest,
) -> None:
    conninfo = request.getfixturevalue("postgres_conninfo") if target == "postgres" else None
    host = Host(tmp_path, target, conninfo)
    events = faulty_simulation.events
    first, later = events[: len(events) * 3 // 4], events[len(events) * 3 // 4 :]
    host.load(first)

    host.dbt("deps")
    assert (tmp_path / "dbt_packages" / "conversation_analytics" / "dbt_project.yml").is_file()
    # Vars of the host's own on the command line, two of them named like
    # ours, are not refused by the package's check_vars.
    host_vars = "{host_run: nightly, alert_channel: ops, days_back: 3}"
    host.dbt("build", "--vars", host_vars)

    built = host.query("select count(*) from host_marts.fct_conversations")[0][0]
    assert built > 0
    # The host's satisfaction_score, everywhere downstream.
    scores = host.query("select distinct satisfaction_score from host_marts.fct_conversations")
    assert [round(score, 9) for (score,) in scores] == [HOST_SCORE]
    daily = host.query(
        "select min(avg_satisfaction_score), max(avg_satisfaction_score) "
        "from host_marts.conversation_metrics_daily"
    )[0]
    assert [round(float(value), 3) for value in daily] == [HOST_SCORE, HOST_SCORE]
    # The host's timeout: conversations that would time out after 30
    # minutes are still in progress.
    assert faulty_simulation.outcome_counts["timed_out"] > 0
    outcomes = dict(
        host.query("select outcome, count(*) from host_marts.fct_conversations group by 1")
    )
    assert "timed_out" not in outcomes and outcomes["in_progress"] > 0
    # The host's model joins a mart to the host's seed.
    teams = host.query(
        "select team, conversations, avg_satisfaction_score from host.team_satisfaction"
    )
    assert {team for team, _, _ in teams} == set(TEAMS.values())
    assert all(round(float(score), 9) == HOST_SCORE for _, _, score in teams)
    # What the host re-materialised and disabled.
    kinds = dict(
        host.query(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'host_marts'"
        )
    )
    assert kinds["agent_performance_weekly"] == "VIEW"
    assert kinds["agent_alert_history"] == "BASE TABLE"
    assert "conversation_summary_by_satisfaction_band" not in kinds

    # More events, then an incremental build. One model's record of the
    # definition vars it was built with is made stale first: the package's
    # should_full_refresh (dbt's own, overridden) applies to its models in the
    # host, so that model alone is rebuilt in full.
    host.load(later)
    host.execute(
        "update host_staging.ca_definition_state set fingerprint = 'stale' "
        f"where model_name = '{REBUILT}'"
    )
    output = host.dbt("build", "--vars", host_vars)
    said = [line for line in output.splitlines() if line.endswith(", so it is rebuilt in full")]
    assert len(said) == 1
    assert f'."{REBUILT}": the definitions changed since its last build:' in said[0]
    total = host.query("select count(*) from host_marts.fct_conversations")[0][0]
    assert total > built
    assert total == host.query(
        "select count(distinct conversation_id) from host_staging.stg_conversation_events"
    )[0][0]
    scores = host.query("select distinct satisfaction_score from host_marts.fct_conversations")
    assert [round(score, 9) for (score,) in scores] == [HOST_SCORE]
