"""Shared fixtures: a throwaway PostgreSQL database per test module, dbt output
kept out of the project folder, and small simulated event sets."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from conversation_analytics.simulation.simulator import SimulationResult, run_simulation
from conversation_analytics.warehouse import loader

SIMULATION_START = date(2026, 10, 5)
SIMULATION_DAYS = 28


def _postgres_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when the run promised a server (CA_REQUIRE_POSTGRES=1)."""
    if os.environ.get("CA_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"CA_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def postgres_conninfo(request: pytest.FixtureRequest) -> Iterator[str]:
    """Conninfo of a fresh database, created for the test module on the server
    named by the PG* variables and dropped afterwards.

    Skips when PGHOST/PGPORT are not set or the server cannot be reached,
    unless CA_REQUIRE_POSTGRES=1, in which case the tests fail and say why.
    """
    if not (os.environ.get("PGHOST") or os.environ.get("PGPORT")):
        _postgres_unavailable(
            "PGHOST/PGPORT are not set: no PostgreSQL server to test against "
            "(scripts/run-tests.sh starts one)"
        )
    admin_info = loader.postgres_conninfo()
    try:
        admin = psycopg.connect(admin_info, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _postgres_unavailable(
            f"PostgreSQL at {loader.describe_conninfo(admin_info)} is unreachable: {first_line}"
        )
    module = re.sub(r"[^a-z0-9_]", "_", request.module.__name__.rsplit(".", 1)[-1].lower())
    name = f"ca_{module}_{uuid.uuid4().hex[:8]}"[-63:]
    with admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        try:
            yield make_conninfo(admin_info, dbname=name)
        finally:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def dbt_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dbt's target/ and logs/ in a temporary folder for the whole session, so
    tests never collide with a dbt run in the project folder."""
    folder = tmp_path_factory.mktemp("dbt")
    saved = {key: os.environ.get(key) for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH")}
    os.environ["DBT_TARGET_PATH"] = str(folder / "target")
    os.environ["DBT_LOG_PATH"] = str(folder / "logs")
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def faulty_simulation() -> SimulationResult:
    """600 conversations with every fault kind (read-only: do not mutate)."""
    return run_simulation(600, SIMULATION_START, SIMULATION_DAYS, seed=11, faults=True)


@pytest.fixture(scope="session")
def clean_simulation() -> SimulationResult:
    """2,000 conversations without faults (read-only: do not mutate)."""
    return run_simulation(2000, SIMULATION_START, SIMULATION_DAYS, seed=5, faults=False)
