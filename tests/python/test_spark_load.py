"""The loader's Spark target: events reach `<raw_schema>.conversation_events`
on the Spark Thrift Server of the CA_SPARK_* variables through a Parquet file
written by DuckDB, row for row as the simulator made them: the contract's
column types, timestamps as UTC instants to the microsecond, the metadata as
the same JSON text (malformed text kept as it came), and `loaded_at` the load
time. A second load appends; `replace` starts over."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import mart_io
from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import loader
from edge_events import messy_events

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def raw_schema() -> Iterator[str]:
    mart_io.require_spark()
    from conversation_analytics.warehouse import spark

    name = f"raw_ca_load_{uuid.uuid4().hex[:8]}"
    yield name
    with closing(spark.connect_spark()) as connection:
        connection.cursor().execute(f"drop database if exists `{name}` cascade")


def _expected(event: EventRecord) -> tuple[Any, ...]:
    moment = event.timestamp
    if moment is not None:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return (
        event.id, event.conversation_id, event.user_id, event.event_type,
        moment, loader.metadata_for_text_column(event.metadata),
    )


def _read(raw_schema: str) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    from conversation_analytics.warehouse import spark

    with closing(spark.connect_spark()) as connection:
        cursor = connection.cursor()
        cursor.execute(f"describe `{raw_schema}`.conversation_events")
        columns = [(str(name), str(kind)) for name, kind, *_ in cursor.fetchall()]
        cursor.execute(f"select * from `{raw_schema}`.conversation_events")
        rows = cursor.fetchall()
    return columns, rows


def test_loaded_rows_equal_the_simulated_rows(raw_schema: str) -> None:
    from conversation_analytics.warehouse import spark

    events, _ = messy_events(60, 20261201)
    before = datetime.now(UTC).replace(microsecond=0)
    written = loader.load_events(events, "spark", raw_schema=raw_schema, replace=True)
    after = datetime.now(UTC)
    assert written == len(events) > 0
    columns, rows = _read(raw_schema)
    assert columns == list(spark.RAW_SPARK_COLUMNS)
    # PyHive gives timestamps naive, in the session's time zone: UTC.
    loaded = Counter(
        (*row[:4], row[4] and row[4].replace(tzinfo=UTC), row[5]) for row in rows
    )
    assert loaded == Counter(_expected(event) for event in events)
    assert any(event.timestamp and event.timestamp.microsecond for event in events)
    assert any(event.metadata for event in events)
    load_times = {row[6] for row in rows}
    assert len(load_times) == 1
    (load_time,) = load_times
    assert before <= load_time.replace(tzinfo=UTC) <= after


def test_a_second_load_appends_and_replace_starts_over(raw_schema: str) -> None:
    events, _ = messy_events(5, 20261202)
    first = loader.load_events(events, "spark", raw_schema=raw_schema, replace=True)
    loader.load_events(events[:7], "spark", raw_schema=raw_schema)
    _, rows = _read(raw_schema)
    assert len(rows) == first + 7
    assert len({row[6] for row in rows}) == 2


# Text a mart's value may hold, bound into a read of the marts on Spark
# (the dashboard binds conversation ids): Spark reads a backslash in a
# literal as an escape, a quote ends it, and `%s` or `?` must not bind twice.
HOSTILE_TEXT = (
    "it's", "back\\slash", "\\'", "ends with \\", "line\nbreak", "tab\there",
    "%s and ?", "ünï 😀", "'; drop table x; --",
)


def test_values_bound_into_a_read_come_back_as_they_were() -> None:
    mart_io.require_spark()
    from conversation_analytics.warehouse import spark

    plus_two = timezone(timedelta(hours=2))
    values: list[tuple[Any, Any]] = [(text, text) for text in HOSTILE_TEXT] + [
        (0, 0), (-7, -7), (2.5, 2.5), (Decimal("12.345"), Decimal("12.345")),
        (True, True), (None, None), (date(2026, 1, 2), date(2026, 1, 2)),
        (datetime(2026, 1, 2, 3, 4, 5, 678901), datetime(2026, 1, 2, 3, 4, 5, 678901)),
        # An instant is read in UTC, as the marts' timestamps are.
        (datetime(2026, 1, 2, 5, 4, 5, tzinfo=plus_two), datetime(2026, 1, 2, 3, 4, 5)),
    ]
    with closing(spark.connect_spark_read()) as connection, connection.cursor() as cursor:
        for value, expected in values:
            rows = cursor.execute("select %s, %s", [value, "after"]).fetchall()
            assert rows == [(expected, "after")], value
