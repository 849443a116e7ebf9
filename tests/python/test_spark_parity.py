"""Apache Spark builds the same marts as DuckDB from the same events.

The messy stream of `mart_io` (simulated faults plus hand-made edge cases),
with text metadata and a pinned as-of time, is loaded into Spark through the
loader's Spark target and built with `dbt run` on the Spark Thrift Server of
the CA_SPARK_* variables (the loopback cluster scripts/run-tests.sh starts),
with `dbt build`: every model, seed, data test and unit test must pass on
Spark, and every mart, the staged events and the quarantine must equal
DuckDB's build of the same stream row for row (floats to 1e-9).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import mart_io
from mart_io import MART_GRAINS, BuildCase, Snapshot

pytestmark = pytest.mark.spark

CASE = BuildCase("duckdb", "text", True)
LAYERS = ("staging", "intermediate", "marts", "semantic", "reference", "test_failures")


@pytest.fixture(scope="module")
def spark_schema() -> Iterator[str]:
    """A fresh schema name on the cluster; its databases are dropped afterwards."""
    mart_io.require_spark()
    from conversation_analytics.warehouse import spark

    schema = f"ca_spark_{uuid.uuid4().hex[:8]}"
    yield schema
    connection = spark.connect_spark()
    try:
        cursor = connection.cursor()
        for database in (f"raw_{schema}", *(f"{schema}_{layer}" for layer in LAYERS)):
            cursor.execute(f"drop database if exists `{database}` cascade")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, spark_schema: str, dbt_scratch: Path):
    duckdb_build = mart_io.build_case(CASE, tmp_path_factory.mktemp("spark"), None)
    spark_snapshot = mart_io.build_spark(
        duckdb_build.events,
        schema=spark_schema,
        vars={"as_of": mart_io.PINNED_AS_OF.isoformat(sep=" ")},
    )
    return duckdb_build.snapshot, spark_snapshot


@pytest.mark.parametrize("mart", MART_GRAINS)
def test_mart_is_identical_on_spark(pair: tuple[Snapshot, Snapshot], mart: str) -> None:
    duckdb_table, spark_table = (snapshot[mart] for snapshot in pair)
    # The same columns; their order is the contract's where one is enforced
    # (DuckDB) and the query's on Spark.
    assert sorted(duckdb_table.columns) == sorted(spark_table.columns)
    assert duckdb_table.rows, f"{mart} is empty: nothing was compared"
    problems = mart_io.compare_rows(
        mart,
        duckdb_table.rows,
        spark_table.rows,
        MART_GRAINS[mart],
        mart_io.data_columns(duckdb_table.columns),
    )
    assert not problems, "\n".join(problems)


def test_staged_events_are_identical_on_spark(pair: tuple[Snapshot, Snapshot]) -> None:
    duckdb_table, spark_table = (snapshot["stg_conversation_events"] for snapshot in pair)
    assert len(duckdb_table.rows) == len(spark_table.rows) > 0
    assert sorted(duckdb_table.columns) == sorted(spark_table.columns)
    problems = mart_io.compare_rows(
        "stg_conversation_events",
        duckdb_table.rows,
        spark_table.rows,
        ("event_id",),
        mart_io.data_columns(duckdb_table.columns),
    )
    assert not problems, "\n".join(problems)


def test_rejected_rows_are_identical_on_spark(pair: tuple[Snapshot, Snapshot]) -> None:
    duckdb_table, spark_table = (snapshot["conversation_events_rejected"] for snapshot in pair)
    assert len(duckdb_table.rows) == len(spark_table.rows) > 0
    problems = mart_io.compare_bags(
        "conversation_events_rejected",
        duckdb_table.rows,
        spark_table.rows,
        mart_io.data_columns(duckdb_table.columns),
    )
    assert not problems, "\n".join(problems)


def test_raw_rows_are_the_same_count_on_spark(pair: tuple[Snapshot, Snapshot]) -> None:
    duckdb_snapshot, spark_snapshot = pair
    assert duckdb_snapshot.raw_row_count == spark_snapshot.raw_row_count > 0
