"""Private user ids (README, "Privacy"): with pseudonymize_user_ids on, no
mart holds a raw user id, only its HMAC-SHA256 under the key in
CA_USER_ID_HMAC_KEY; without the key the run stops with one line; and
erasing one user removes their conversations from raw and every model."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics import cli
from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import dbt_runner
from conversation_analytics.warehouse.dbt_runner import DbtError
from test_hostile_input import T0, Warehouse

# RFC 4231's test case 2: HMAC-SHA256 of its message under the key "Jefe".
KEY = "Jefe"
RFC_MESSAGE = "what do ya want for nothing?"
RFC_HMAC = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
ON = {"pseudonymize_user_ids": True}

# Awkward ids on purpose: a quote, non-ASCII, one padded with spaces (the
# contract trims it), one that looks like SQL.
USERS = ["alice", "o'brien-ü", "  padded  ", "x' or '1'='1", RFC_MESSAGE]


def _events() -> list[EventRecord]:
    events = []
    for number, user in enumerate(USERS):
        for conversation in range(2):
            conversation_id = f"c{number}-{conversation}"
            started = T0 - timedelta(days=conversation, minutes=number)
            events += [
                EventRecord(conversation_id, user, "started", started, {"agent_id": "a"}),
                EventRecord(conversation_id, user, "user_message", started + timedelta(seconds=5),
                            {"turn": 1}),
                # The agent's answer carries no user id; it is still the user's conversation.
                EventRecord(conversation_id, None, "agent_response",
                            started + timedelta(seconds=9), {"model": "m"}),
                EventRecord(conversation_id, user, "completed", started + timedelta(seconds=20),
                            {}),
            ]
    # A quarantined row of alice's (no timestamp).
    events.append(EventRecord("c0-0", "alice", "user_message", None, {}))  # type: ignore[arg-type]
    return events


def _pseudonym(user_id: str, key: str = KEY) -> str:
    return hmac.new(key.encode(), user_id.strip().encode(), hashlib.sha256).hexdigest()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, dbt_scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Warehouse]:
    monkeypatch.setenv("CA_USER_ID_HMAC_KEY", KEY)
    conninfo = request.getfixturevalue("postgres_conninfo") if request.param == "postgres" else None
    yield Warehouse(request.param, tmp_path, conninfo)


def _text_values(warehouse: Warehouse, layers: list[str]) -> dict[str, set[str]]:
    """Every text value of every relation in the layers' schemas, by relation."""
    types = "('VARCHAR')" if warehouse.target == "duckdb" else "('text', 'character varying')"
    schemas = ", ".join(f"'{_schema(warehouse, layer)}'" for layer in layers)
    columns = warehouse.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in ({schemas}) and data_type in {types}"
    )
    values: dict[str, set[str]] = {}
    for schema, table, column in columns:
        rows = warehouse.execute(f'select distinct "{column}" from "{schema}"."{table}"')
        values.setdefault(f"{schema}.{table}", set()).update(
            str(value) for (value,) in rows if value is not None
        )
    return values


def _schema(warehouse: Warehouse, layer: str) -> str:
    return "raw" if layer == "raw" else dbt_runner.layer_schema(warehouse.target, layer)


def _user_ids_in_marts(warehouse: Warehouse) -> dict[str, str]:
    rows = warehouse.execute(
        f"select conversation_id, user_id from {warehouse.relation('marts', 'fct_conversations')}"
    )
    return {str(conversation_id): str(user_id) for conversation_id, user_id in rows}


def test_no_raw_user_id_reaches_a_mart(warehouse: Warehouse) -> None:
    warehouse.load(_events())
    warehouse.build(vars=ON)

    assert _user_ids_in_marts(warehouse) == {
        f"c{number}-{conversation}": _pseudonym(user)
        for number, user in enumerate(USERS) for conversation in range(2)
    }
    assert _user_ids_in_marts(warehouse)["c4-0"] == RFC_HMAC
    raw_ids = {user.strip() for user in USERS}
    for relation, values in _text_values(warehouse, ["marts", "semantic"]).items():
        leaked = {value for value in values if any(user in value for user in raw_ids)}
        assert not leaked, f"{relation} holds raw user ids {leaked}"


def test_turning_it_on_or_changing_the_key_rebuilds_stored_rows(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.load(_events())
    warehouse.build("--full-refresh")
    assert _user_ids_in_marts(warehouse)["c0-0"] == "alice"
    # An incremental run with nothing new: the stored rows change all the same.
    warehouse.build(vars=ON)
    assert set(_user_ids_in_marts(warehouse).values()) == {_pseudonym(user) for user in USERS}
    monkeypatch.setenv("CA_USER_ID_HMAC_KEY", "another kéy")
    warehouse.build(vars=ON)
    assert set(_user_ids_in_marts(warehouse).values()) == {
        _pseudonym(user, "another kéy") for user in USERS
    }


@pytest.mark.parametrize(
    ("key", "said"),
    [("", "CA_USER_ID_HMAC_KEY is not set"), ("k" * 65, "holds 65 bytes")],
    ids=["missing", "too-long"],
)
def test_a_missing_key_stops_the_run_with_one_line(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, key: str, said: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    warehouse.load(_events())
    monkeypatch.setenv("CA_USER_ID_HMAC_KEY", key)
    with pytest.raises(DbtError):
        warehouse.build("--full-refresh", vars=ON)
    output = capsys.readouterr()
    (line,) = [line for line in (output.out + output.err).splitlines() if said in line]
    assert "pseudonymize_user_ids" in line or "64 bytes" in line, line


def test_erasing_one_user_removes_them_from_raw_and_every_model(
    warehouse: Warehouse,
) -> None:
    warehouse.load(_events())
    warehouse.build("--full-refresh")
    before = _user_ids_in_marts(warehouse)
    assert {"c0-0", "c0-1"} <= before.keys()

    args = ["erase-user", "alice", "--target", warehouse.target]
    if warehouse.target == "duckdb":
        args += ["--duckdb-path", str(warehouse.path)]
    database = conninfo_to_dict(warehouse.conninfo)["dbname"] if warehouse.conninfo else None
    with dbt_runner.environment({"PGDATABASE": str(database)} if database else {}):
        result = CliRunner().invoke(cli.cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 conversations" in result.output

    layers = ["raw", "staging", "intermediate", "marts", "semantic", "test_failures"]
    for relation, values in _text_values(warehouse, layers).items():
        assert "alice" not in values, relation
        assert not {"c0-0", "c0-1"} & values, relation
    # Everyone else is untouched, and the daily mart counts them only.
    after = _user_ids_in_marts(warehouse)
    assert after == {key: value for key, value in before.items() if value != "alice"}
    (count,) = warehouse.execute(
        "select sum(total_conversations) from "
        + warehouse.relation("marts", "conversation_metrics_daily")
    )
    assert count[0] == len(after)
