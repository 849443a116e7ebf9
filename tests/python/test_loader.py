"""The loader: every raw row arrives, metadata is never lost, instants are kept."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation.simulator import SimulationResult
from conversation_analytics.warehouse.loader import (
    ConnectionFailed,
    LoadError,
    load_events,
    metadata_for_json_column,
    metadata_for_text_column,
    raw_table_exists,
)

Row = tuple[Any, ...]

# --- metadata conversion -------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "json_column", "text_column"),
    [
        (None, None, None),
        ({"turn": 3}, '{"turn":3}', '{"turn":3}'),
        ('{"turn": 3', '"{\\"turn\\": 3"', '{"turn": 3'),
        ('[["turn", 3]]', '[["turn", 3]]', '[["turn", 3]]'),
        ('"turn=3"', '"turn=3"', '"turn=3"'),
        ("", None, ""),
        ("   ", None, "   "),
        ("NaN", '"NaN"', "NaN"),
    ],
)
def test_metadata_conversion(
    metadata: dict[str, Any] | str | None, json_column: str | None, text_column: str | None
) -> None:
    assert metadata_for_json_column(metadata) == json_column
    assert metadata_for_text_column(metadata) == text_column


def _expected_metadata(event: EventRecord, metadata_type: str) -> Any:
    """What the table should hold, as Python: parsed JSON, or the exact text."""
    if metadata_type == "text":
        return metadata_for_text_column(event.metadata)
    text = metadata_for_json_column(event.metadata)
    return None if text is None else json.loads(text)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _expected_rows(events: list[EventRecord], metadata_type: str) -> Counter[Row]:
    return Counter(
        (
            e.id,
            e.conversation_id,
            e.user_id,
            e.event_type,
            None if e.timestamp is None else e.timestamp.astimezone(UTC),
            _canonical(_expected_metadata(e, metadata_type)),
        )
        for e in events
    )


def _loaded_rows(rows: list[Row], metadata_type: str, metadata_is_text: bool) -> Counter[Row]:
    """Rows read back; JSON metadata fetched as text is parsed first."""

    def metadata(value: Any) -> str:
        if metadata_type == "json" and metadata_is_text and value is not None:
            value = json.loads(value)
        return _canonical(value)

    return Counter(
        (i, c, u, t, None if ts is None else ts.astimezone(UTC), metadata(m))
        for i, c, u, t, ts, m in rows
    )


SELECT_ROWS = (
    'select id, conversation_id, user_id, event_type, "timestamp", metadata '
    "from raw.conversation_events"
)


# --- DuckDB -----------------------------------------------------------------------------


@pytest.mark.parametrize("metadata_type", ["json", "text"])
def test_duckdb_load_keeps_every_row_exactly(
    tmp_path: Path, faulty_simulation: SimulationResult, metadata_type: str
) -> None:
    events = faulty_simulation.events
    path = tmp_path / "events.duckdb"
    written = load_events(
        events, "duckdb", duckdb_path=path, metadata_type=metadata_type, batch_size=1000
    )
    assert written == len(events)
    with duckdb.connect(str(path)) as connection:
        rows = connection.execute(SELECT_ROWS).fetchall()
        column_type = connection.execute(
            "select data_type from information_schema.columns "
            "where table_schema = 'raw' and column_name = 'metadata'"
        ).fetchone()[0]
    assert column_type == ("JSON" if metadata_type == "json" else "VARCHAR")
    assert _loaded_rows(rows, metadata_type, metadata_is_text=True) == _expected_rows(
        events, metadata_type
    )


def test_duckdb_malformed_metadata_is_present_and_not_an_object(
    tmp_path: Path, faulty_simulation: SimulationResult
) -> None:
    path = tmp_path / "events.duckdb"
    load_events(faulty_simulation.events, "duckdb", duckdb_path=path)
    raw_strings = {e.metadata for e in faulty_simulation.events if isinstance(e.metadata, str)}
    with duckdb.connect(str(path)) as connection:
        kinds = dict(
            connection.execute(
                "select json_type(metadata), count(*) from raw.conversation_events "
                "where metadata is not null group by 1"
            ).fetchall()
        )
        strings = {
            value
            for (value,) in connection.execute(
                "select metadata ->> '$' from raw.conversation_events "
                "where json_type(metadata) = 'VARCHAR'"
            ).fetchall()
        }
    assert {"OBJECT", "ARRAY", "VARCHAR"} <= set(kinds)
    truncated = {s for s in raw_strings if not s.startswith(("[", '"'))}
    assert truncated and truncated <= strings


def test_duckdb_replace_and_append(tmp_path: Path, faulty_simulation: SimulationResult) -> None:
    events = faulty_simulation.events[:500]
    path = tmp_path / "events.duckdb"
    assert not raw_table_exists("duckdb", duckdb_path=path)
    load_events(events, "duckdb", duckdb_path=path)
    load_events(events, "duckdb", duckdb_path=path)
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("select count(*) from raw.conversation_events").fetchone() == (
            1000,
        )
    load_events(events, "duckdb", duckdb_path=path, replace=True, metadata_type="text")
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("select count(*) from raw.conversation_events").fetchone() == (
            500,
        )
    assert raw_table_exists("duckdb", duckdb_path=path)
    assert not raw_table_exists("duckdb", duckdb_path=path, raw_schema="elsewhere")


def test_duckdb_custom_schema_and_naive_timestamps(tmp_path: Path) -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5, 678000)
    aware = datetime(2026, 1, 2, 5, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2)))
    events = [
        EventRecord("c1", None, "started", naive, {"channel": "web"}, id="a"),
        EventRecord("c1", None, "completed", aware, None, id="b"),
    ]
    path = tmp_path / "events.duckdb"
    assert load_events(events, "duckdb", duckdb_path=path, raw_schema="landing") == 2
    with duckdb.connect(str(path)) as connection:
        stamps = connection.execute(
            'select "timestamp" from landing.conversation_events order by id'
        ).fetchall()
    assert stamps[0][0] == stamps[1][0] == naive.replace(tzinfo=UTC)


def test_duckdb_file_named_like_the_raw_schema(tmp_path: Path) -> None:
    """DuckDB names the database after the file: `raw.duckdb` holds a catalog
    `raw` beside the schema `raw`, which unqualified names cannot tell apart."""
    path = tmp_path / "raw.duckdb"
    events = [EventRecord("c1", "u1", "started", datetime.now(UTC), {}, id="a")]
    assert load_events(events, "duckdb", duckdb_path=path, replace=True) == 1
    assert load_events(events, "duckdb", duckdb_path=path) == 1
    assert raw_table_exists("duckdb", duckdb_path=path)
    with duckdb.connect(str(path)) as connection:
        count = connection.execute("select count(*) from raw.raw.conversation_events").fetchone()
    assert count == (2,)


def test_empty_load_creates_the_table(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    assert load_events([], "duckdb", duckdb_path=path) == 0
    assert raw_table_exists("duckdb", duckdb_path=path)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="batch size"):
        load_events([], "duckdb", duckdb_path=tmp_path / "x.duckdb", batch_size=0)
    with pytest.raises(LoadError, match="metadata type"):
        load_events([], "duckdb", duckdb_path=tmp_path / "x.duckdb", metadata_type="xml")  # type: ignore[arg-type]
    with pytest.raises(LoadError, match="unknown target"):
        load_events([], "mysql")  # type: ignore[arg-type]


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("metadata_type", ["json", "text"])
def test_postgres_load_keeps_every_row_exactly(
    postgres_conninfo: str, faulty_simulation: SimulationResult, metadata_type: str
) -> None:
    events = faulty_simulation.events
    written = load_events(
        events,
        "postgres",
        conninfo=postgres_conninfo,
        metadata_type=metadata_type,
        replace=True,
        batch_size=1500,
    )
    assert written == len(events)
    with psycopg.connect(postgres_conninfo) as connection:
        rows = connection.execute(SELECT_ROWS).fetchall()
        column_type = connection.execute(
            "select data_type from information_schema.columns "
            "where table_schema = 'raw' and column_name = 'metadata'"
        ).fetchone()[0]
    assert column_type == ("jsonb" if metadata_type == "json" else "text")
    assert len(rows) == len(events)
    assert _loaded_rows(rows, metadata_type, metadata_is_text=False) == _expected_rows(
        events, metadata_type
    )


@pytest.mark.postgres
def test_postgres_malformed_metadata_is_a_json_string(
    postgres_conninfo: str, faulty_simulation: SimulationResult
) -> None:
    load_events(faulty_simulation.events, "postgres", conninfo=postgres_conninfo, replace=True)
    truncated = {
        e.metadata
        for e in faulty_simulation.events
        if isinstance(e.metadata, str) and not e.metadata.startswith(("[", '"'))
    }
    with psycopg.connect(postgres_conninfo) as connection:
        kinds = dict(
            connection.execute(
                "select jsonb_typeof(metadata), count(*) from raw.conversation_events "
                "where metadata is not null group by 1"
            ).fetchall()
        )
        strings = {
            value
            for (value,) in connection.execute(
                "select metadata #>> '{}' from raw.conversation_events "
                "where jsonb_typeof(metadata) = 'string'"
            ).fetchall()
        }
    assert {"object", "array", "string"} <= set(kinds)
    assert truncated and truncated <= strings
    assert raw_table_exists("postgres", conninfo=postgres_conninfo)


@pytest.mark.postgres
def test_postgres_failed_load_leaves_the_table_as_it_was(
    postgres_conninfo: str, faulty_simulation: SimulationResult
) -> None:
    good = faulty_simulation.events[:100]
    load_events(good, "postgres", conninfo=postgres_conninfo, replace=True)
    bad = EventRecord("c", None, "started", datetime.now(UTC), "x\x00y", id="nul")
    with pytest.raises(LoadError, match="PostgreSQL"):
        load_events([*good, bad], "postgres", conninfo=postgres_conninfo, batch_size=50,
                    metadata_type="text")
    with psycopg.connect(postgres_conninfo) as connection:
        assert connection.execute("select count(*) from raw.conversation_events").fetchone() == (
            100,
        )


def test_unreachable_postgres_says_what_to_do() -> None:
    with pytest.raises(ConnectionFailed) as caught:
        load_events([], "postgres", conninfo="host=127.0.0.1 port=1 dbname=x user=x")
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "PGHOST" in message
    assert "\n" not in message


# --- a raw timestamp column without time zone ------------------------------------------

_STAMPED = [
    EventRecord("c1", None, "started", datetime(2026, 1, 2, 3, 4, 5, 678000), {}, id="a"),
    EventRecord(
        "c1",
        None,
        "completed",
        datetime(2026, 1, 2, 5, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2))),
        None,
        id="b",
    ),
    EventRecord("c1", None, "abandoned", None, None, id="c"),
]
_UTC_WALL_CLOCK = [datetime(2026, 1, 2, 3, 4, 5, 678000)] * 2 + [None]


def test_duckdb_naive_timestamp_column_holds_utc_wall_clock(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    load_events(_STAMPED, "duckdb", duckdb_path=path, timestamp_type="timestamp")
    with duckdb.connect(str(path)) as connection:
        (column_type,) = connection.execute(
            "select data_type from information_schema.columns "
            "where table_schema = 'raw' and column_name = 'timestamp'"
        ).fetchone()
        stamps = connection.execute(
            'select "timestamp" from raw.conversation_events order by id'
        ).fetchall()
    assert column_type == "TIMESTAMP"
    assert [row[0] for row in stamps] == _UTC_WALL_CLOCK


@pytest.mark.postgres
def test_postgres_naive_timestamp_column_holds_utc_wall_clock(postgres_conninfo: str) -> None:
    load_events(
        _STAMPED, "postgres", conninfo=postgres_conninfo, replace=True, timestamp_type="timestamp"
    )
    with psycopg.connect(postgres_conninfo) as connection:
        # The column has no zone: a session in another zone reads the same wall clock.
        connection.execute("set timezone = 'America/New_York'")
        (column_type,) = connection.execute(
            "select data_type from information_schema.columns "
            "where table_schema = 'raw' and column_name = 'timestamp'"
        ).fetchone()
        stamps = connection.execute(
            'select "timestamp" from raw.conversation_events order by id'
        ).fetchall()
    assert column_type == "timestamp without time zone"
    assert [row[0] for row in stamps] == _UTC_WALL_CLOCK


def test_unknown_timestamp_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="unknown timestamp type"):
        load_events([], "duckdb", duckdb_path=tmp_path / "x.duckdb", timestamp_type="date")  # type: ignore[arg-type]
