"""Least privilege on PostgreSQL: a build needs no CREATE on the database once
its schemas exist, the BI role (var bi_reader_role) reads every mart and
semantic-layer table and nothing else, after an incremental run and after
--full-refresh, and a lock held by another session makes the build fail
within CA_PG_LOCK_TIMEOUT with one clear line instead of hanging, and a run
started while another holds the project lock stops with one line.

Few full builds (each takes the better part of a minute): the module's
tests share one database and run in order.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from conversation_analytics.cli import cli
from conversation_analytics.simulation.simulator import SimulationResult
from conversation_analytics.warehouse import dbt_runner, loader

pytestmark = pytest.mark.postgres

PROJECT = Path(__file__).resolve().parents[2]
LAYERS = ("", "_staging", "_intermediate", "_marts", "_semantic", "_reference", "_test_failures")


def _models(folder: str) -> list[str]:
    return sorted(path.stem for path in (PROJECT / "models" / folder).glob("*.sql"))


READABLE = [f"analytics_marts.{name}" for name in _models("marts")] + [
    f"analytics_semantic.{name}" for name in _models("semantic")
]
DENIED = [
    "analytics_staging.stg_conversation_events",
    "analytics_staging.conversation_events_rejected",
    "analytics_intermediate.int_conversations_scored",
    "analytics_intermediate.int_events_rolled_up_to_conversations",
    "raw.conversation_events",
]


@dataclass
class Roles:
    conninfo: str  # the database, as the superuser
    builder: str  # owns the project's schemas, no CREATE on the database
    reader: str  # bi_reader_role

    def env(self, **extra: str) -> dict[str, str | None]:
        return {
            "PGDATABASE": str(conninfo_to_dict(self.conninfo)["dbname"]),
            "PGUSER": self.builder,
            "CA_PG_SCHEMA": None,
            **extra,
        }

    def build(self, *args: str) -> None:
        with dbt_runner.environment(self.env()):
            dbt_runner.run_dbt(
                ["build", *args], target="postgres", vars={"bi_reader_role": self.reader}
            )


@pytest.fixture(scope="module")
def roles(
    postgres_conninfo: str, dbt_scratch: Path, faulty_simulation: SimulationResult
) -> Iterator[Roles]:
    suffix = uuid.uuid4().hex[:8]
    found = Roles(postgres_conninfo, f"ca_builder_{suffix}", f"ca_bi_{suffix}")
    half = len(faulty_simulation.events) // 2
    loader.load_events(
        faulty_simulation.events[:half], "postgres", conninfo=postgres_conninfo, replace=True
    )
    with psycopg.connect(postgres_conninfo, autocommit=True) as admin:
        for role in (found.builder, found.reader):
            admin.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
        # As documented in the README: the schemas exist, owned by the role
        # that builds; it reads the raw table.
        for layer in LAYERS:
            admin.execute(
                sql.SQL("create schema {} authorization {}").format(
                    sql.Identifier(f"analytics{layer}"), sql.Identifier(found.builder)
                )
            )
        for grant in (
            "grant usage on schema raw to {}",
            "grant select on raw.conversation_events to {}",
        ):
            admin.execute(sql.SQL(grant).format(sql.Identifier(found.builder)))
    try:
        yield found
    finally:
        with psycopg.connect(postgres_conninfo, autocommit=True) as admin:
            for role in (found.builder, found.reader):
                admin.execute(sql.SQL("drop owned by {} cascade").format(sql.Identifier(role)))
        # Roles belong to the cluster; the database goes with the fixture.
        with psycopg.connect(loader.postgres_conninfo(), autocommit=True) as admin:
            for role in (found.builder, found.reader):
                admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def _reads(roles: Roles) -> dict[str, bool]:
    """Each relation -> whether the BI role can select from it."""
    outcome = {}
    with psycopg.connect(make_conninfo(roles.conninfo, user=roles.reader), autocommit=True) as bi:
        for relation in READABLE + DENIED:
            try:
                bi.execute(f"select count(*) from {relation}").fetchone()
                outcome[relation] = True
            except psycopg.errors.InsufficientPrivilege:
                outcome[relation] = False
    return outcome


def _expected() -> dict[str, bool]:
    return {**dict.fromkeys(READABLE, True), **dict.fromkeys(DENIED, False)}


def test_a_role_without_create_on_the_database_builds_and_the_bi_role_reads_only_marts(
    roles: Roles, faulty_simulation: SimulationResult
) -> None:
    with psycopg.connect(roles.conninfo, autocommit=True) as admin:
        (can_create,) = admin.execute(
            "select has_database_privilege(%s, current_database(), 'CREATE')", [roles.builder]
        ).fetchone()
    assert can_create is False
    roles.build()
    assert _reads(roles) == _expected()

    # An incremental run over new events: the incremental marts keep their
    # grants, the rebuilt tables get them again.
    half = len(faulty_simulation.events) // 2
    loader.load_events(faulty_simulation.events[half:], "postgres", conninfo=roles.conninfo)
    roles.build()
    assert _reads(roles) == _expected()


def test_the_bi_role_reads_every_mart_after_a_full_refresh(roles: Roles) -> None:
    roles.build("--full-refresh")
    assert _reads(roles) == _expected()


def test_a_lock_held_by_another_session_fails_the_build_within_the_timeout(
    roles: Roles,
) -> None:
    with psycopg.connect(roles.conninfo) as holder:
        holder.execute("lock table analytics_marts.conversation_summary in access exclusive mode")
        began = time.monotonic()
        with dbt_runner.environment(roles.env(CA_PG_LOCK_TIMEOUT="2s", CA_TARGET="postgres")):
            result = CliRunner().invoke(cli, ["build", "--select", "conversation_summary"])
        elapsed = time.monotonic() - began
        holder.rollback()
    assert result.exit_code == 1, result.output
    assert "hint: another session" in result.output
    assert "CA_PG_LOCK_TIMEOUT" in result.output
    assert elapsed < 60


def test_a_timeout_that_is_not_a_duration_stops_the_run(roles: Roles) -> None:
    with (
        dbt_runner.environment(roles.env(CA_PG_LOCK_TIMEOUT="1s; drop table x")),
        pytest.raises(dbt_runner.DbtError, match="CA_PG_LOCK_TIMEOUT is 1s; drop table x"),
    ):
        dbt_runner.run_dbt(["build", "--select", "conversation_event_types"], target="postgres")


def test_a_run_while_another_holds_the_project_lock_stops_with_one_line(roles: Roles) -> None:
    lock = "analytics.ca_run_lock"
    with psycopg.connect(roles.conninfo, autocommit=True) as admin:
        # Every build so far released the lock it took.
        assert admin.execute(f"select count(*) from {lock}").fetchone() == (0,)
        admin.execute(f"insert into {lock} values (1, 'another-run', now() - interval '5 min')")
    with (
        dbt_runner.environment(roles.env()),
        pytest.raises(
            dbt_runner.DbtError,
            match=r"another dbt run holds the project lock since \d{4}-\d\d-\d\d "
            r"\d\d:\d\d:\d\d UTC \(invocation another-run\); retry later",
        ),
    ):
        dbt_runner.run_dbt(["build", "--select", "conversation_event_types"], target="postgres")
    with psycopg.connect(roles.conninfo, autocommit=True) as admin:
        assert admin.execute(f"select invocation_id from {lock}").fetchall() == [("another-run",)]
        # A lock older than CA_PG_RUN_LOCK_STALE_MINUTES was left by a run
        # that died: the next run takes it over and releases it at its end.
        admin.execute(f"update {lock} set started_at = now() - interval '2 hours'")
    with dbt_runner.environment(roles.env(CA_PG_RUN_LOCK_STALE_MINUTES="60")):
        dbt_runner.run_dbt(["build", "--select", "conversation_event_types"], target="postgres")
    with psycopg.connect(roles.conninfo, autocommit=True) as admin:
        assert admin.execute(f"select count(*) from {lock}").fetchone() == (0,)
