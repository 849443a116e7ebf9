"""Apache Spark builds the same marts as DuckDB from the same events.

The messy stream of `mart_io` (simulated faults plus hand-made edge cases),
with text metadata and a pinned as-of time, and the scripted agent's
conversations as OpenTelemetry spans and as a Langfuse export (both
mappings enabled), are loaded into Spark through the loader's Spark target
and built on the Spark Thrift Server of
the CA_SPARK_* variables (the loopback cluster scripts/run-tests.sh starts),
with `dbt build`: every model, seed, data test and unit test must pass on
Spark, and every mart, the staged events and the quarantine must equal
DuckDB's build of the same stream row for row (floats to 1e-9). The
report, the alerts and the dashboard's data read from Spark's marts equal
what they read from DuckDB's.
"""

from __future__ import annotations

import dataclasses
import math
import re
import uuid
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import langfuse_agent
import mart_io
import otel_agent
from conversation_analytics.cli import cli
from conversation_analytics.contract import EventRecord
from conversation_analytics.presentation.dashboard import gather_dashboard
from conversation_analytics.presentation.report import build_report
from conversation_analytics.warehouse import dbt_runner
from mart_io import MART_GRAINS, Snapshot

pytestmark = pytest.mark.spark

# Spark's raw table holds metadata as JSON text: DuckDB's build reads text too.
METADATA_TYPE = "text"


@pytest.fixture(scope="module")
def spark_schema() -> Iterator[str]:
    """A fresh schema name on the cluster; its databases are dropped afterwards."""
    mart_io.require_spark()
    schema = f"ca_spark_{uuid.uuid4().hex[:8]}"
    yield schema
    mart_io.drop_spark_schemas(schema)


# Both trace mappings on, beside the event table.
VARS = {
    "as_of": mart_io.PINNED_AS_OF.isoformat(sep=" "),
    "otel_spans_enabled": True,
    "langfuse_enabled": True,
}


@dataclasses.dataclass(frozen=True)
class Traces:
    """The scripted agent's conversations as OTLP JSON spans and as a
    Langfuse export, and the conversation ids each played."""

    spans: Path
    langfuse: Path
    played: dict[str, set[str]]


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> Traces:
    """The spans' conversation ids get a prefix, so the two sources'
    conversations stay apart."""
    folder = tmp_path_factory.mktemp("traces")
    spans = folder / "spans.json"
    otel_played, _ = otel_agent.play(spans)
    spans.write_text(spans.read_text().replace('"conv-', '"otel-conv-'))
    langfuse_played, agent = langfuse_agent.play()
    return Traces(spans, agent.write(folder / "langfuse"), {
        "otel": {f"otel-{cid}" for cid in otel_played},
        "langfuse": set(langfuse_played),
    })


@pytest.fixture(scope="module")
def stream() -> list[EventRecord]:
    """The messy stream, as both builds load it."""
    events, _ = mart_io.messy_events(
        mart_io.STREAM_CONVERSATIONS, mart_io.STREAM_SEED,
        as_of=mart_io.PINNED_AS_OF, metadata_type=METADATA_TYPE,
    )
    return events


@pytest.fixture(scope="module")
def duckdb_build(
    tmp_path_factory: pytest.TempPathFactory,
    stream: list[EventRecord],
    traces: Traces,
    dbt_scratch: Path,
) -> tuple[Path, Snapshot]:
    """DuckDB's build of the stream and the traces: its file and what it holds."""
    path = tmp_path_factory.mktemp("spark") / "pair.duckdb"
    snapshot = mart_io.build_duckdb(
        stream, path, metadata_type=METADATA_TYPE, vars=VARS,
        also_load=lambda *where: load_traces(traces, *where),
    )
    return path, snapshot


def load_traces(traces: Traces, target: str, raw_schema: str, where: list[str]) -> None:
    """Load the spans and the Langfuse export with the command line."""
    for input_format, path in (("otlp-json", traces.spans), ("langfuse", traces.langfuse)):
        result = CliRunner().invoke(cli, [
            "load", "--format", input_format, str(path), "--target", target,
            "--raw-schema", raw_schema, *where,
        ])
        assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pair(
    duckdb_build: tuple[Path, Snapshot],
    stream: list[EventRecord],
    traces: Traces,
    spark_schema: str,
) -> tuple[Snapshot, Snapshot]:
    spark_snapshot = mart_io.build_spark(
        stream, schema=spark_schema, vars=VARS,
        also_load=lambda *where: load_traces(traces, *where),
    )
    return duckdb_build[1], spark_snapshot


@pytest.mark.parametrize("source", ["otel", "langfuse"])
def test_trace_conversations_are_built_on_spark(
    pair: tuple[Snapshot, Snapshot], traces: Traces, source: str
) -> None:
    """Each mapping gave Spark's build the conversations the agent played;
    the equality of every mart and of the quarantine below covers the rest."""
    spark_rows = pair[1]["fct_conversations"].rows
    assert traces.played[source] <= {r["conversation_id"] for r in spark_rows}


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


# --- Python reads Spark's marts as it reads DuckDB's -----------------------------------

# Where and when a reading, or the build it reads, was made, not what it
# read: the target and schema, when the page was made, and when a build
# first fired an alert (each build is its own first firing).
PROVENANCE = ("target", "schema", "generated_at", "first_fired_at")
FIRST_FIRED = re.compile(r"first fired \d{4}-\d\d-\d\d \d\d:\d\d UTC")


def differences(spark_value: Any, duckdb_value: Any, where: str = "") -> list[str]:
    """Where two readings differ: dataclasses field by field (PROVENANCE
    aside), sequences item by item, numbers to 1e-9."""
    if dataclasses.is_dataclass(duckdb_value) and not isinstance(duckdb_value, type):
        return [
            problem
            for field in dataclasses.fields(duckdb_value)
            if field.name not in PROVENANCE
            for problem in differences(
                getattr(spark_value, field.name), getattr(duckdb_value, field.name),
                f"{where}.{field.name}",
            )
        ]
    if isinstance(duckdb_value, list | tuple):
        if not isinstance(spark_value, list | tuple) or len(spark_value) != len(duckdb_value):
            return [f"{where}: {spark_value!r} on Spark, {duckdb_value!r} on DuckDB"]
        return [
            problem
            for i, (one, other) in enumerate(zip(spark_value, duckdb_value, strict=True))
            for problem in differences(one, other, f"{where}[{i}]")
        ]
    numbers = (int, float, Decimal)
    if (
        isinstance(duckdb_value, numbers) and isinstance(spark_value, numbers)
        and not isinstance(duckdb_value, bool)
    ):
        if math.isclose(float(spark_value), float(duckdb_value), rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif spark_value == duckdb_value:
        return []
    return [f"{where}: {spark_value!r} on Spark, {duckdb_value!r} on DuckDB"]


@pytest.fixture(scope="module")
def duckdb_file(pair: tuple[Snapshot, Snapshot], duckdb_build: tuple[Path, Snapshot]) -> Path:
    """The DuckDB file of the pair's DuckDB build."""
    return duckdb_build[0]


@pytest.mark.parametrize("days", [None, 7])
def test_the_report_and_the_dashboard_read_spark_as_duckdb(
    duckdb_file: Path, spark_schema: str, days: int | None
) -> None:
    report = build_report("duckdb", days=days, duckdb_path=duckdb_file)
    dashboard = gather_dashboard("duckdb", days=days, duckdb_path=duckdb_file)
    with dbt_runner.environment({"CA_SPARK_SCHEMA": spark_schema}):
        spark_report = build_report("spark", days=days)
        spark_dashboard = gather_dashboard("spark", days=days)
    # Something to compare: agents, abandon turns, alerts, drill-down rows.
    assert report.agents and report.abandon_turns and report.alerts
    assert dashboard.explore.drill and dashboard.tools and dashboard.models
    assert spark_report.schema == f"{spark_schema}_marts"
    problems = differences(spark_report, report, "report") + differences(
        spark_dashboard, dashboard, "dashboard"
    )
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("command", [["report"], ["alerts"], ["report", "--days", "7"]])
def test_the_command_line_prints_from_spark_what_it_prints_from_duckdb(
    duckdb_file: Path, spark_schema: str, command: list[str]
) -> None:
    runner = CliRunner()
    from_duckdb = runner.invoke(
        cli, [*command, "--target", "duckdb", "--duckdb-path", str(duckdb_file)]
    )
    with dbt_runner.environment({"CA_SPARK_SCHEMA": spark_schema}):
        from_spark = runner.invoke(cli, [*command, "--target", "spark"])
    # alerts exits 3 when alerts are open (the stream plants one).
    assert from_spark.exit_code == from_duckdb.exit_code in (0, 3), from_spark.output
    duckdb_header = f"duckdb {dbt_runner.layer_schema('duckdb', 'marts')}"
    spark_header = f"spark {spark_schema}_marts"
    expected = FIRST_FIRED.sub("first fired", from_duckdb.output).replace(
        duckdb_header, spark_header
    )
    assert FIRST_FIRED.sub("first fired", from_spark.output) == expected
    assert from_spark.output.strip()


def test_raw_retention_on_spark_stops_with_one_line_and_deletes_nothing(
    pair: tuple[Snapshot, Snapshot], spark_schema: str, dbt_scratch: Path
) -> None:
    """Spark's Parquet tables have no DELETE: apply_raw_retention says so in
    one line and leaves the raw table as it was (it failed on Spark's own
    error about v2 tables before)."""
    from conversation_analytics.warehouse import spark
    from test_raw_retention import LogTail

    def raw_rows() -> int:
        with closing(spark.connect_spark_read()) as connection, connection.cursor() as cursor:
            cursor.execute(f"select count(*) from `raw_{spark_schema}`.conversation_events")
            return int(cursor.fetchone()[0])

    before = raw_rows()
    log = LogTail(dbt_scratch)
    with dbt_runner.environment({"CA_SPARK_SCHEMA": spark_schema}):
        outcome = dbt_runner.run_dbt(
            ["run-operation", "apply_raw_retention"], target="spark", check=False,
            vars={"raw_schema": f"raw_{spark_schema}", **VARS, "raw_retention_days": 0},
        )
    assert not outcome.success
    assert "on Spark: its Parquet tables have no DELETE" in log.read()
    assert raw_rows() == before == pair[1].raw_row_count

def test_the_alert_record_keeps_its_first_firing_on_spark(
    pair: tuple[Snapshot, Snapshot], spark_schema: str
) -> None:
    """agent_alert_history is a record: a later run keeps when each alert
    first fired and moves only when it last fired. (Last in this module: it
    runs the model again.)"""
    from conversation_analytics.warehouse import spark

    def history() -> dict[tuple[Any, ...], tuple[Any, Any]]:
        with closing(spark.connect_spark_read()) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select agent_id, week_start, first_fired_at, last_fired_at"
                f" from `{spark_schema}_marts`.agent_alert_history"
            )
            return {(row[0], row[1]): (row[2], row[3]) for row in cursor.fetchall()}

    before = history()
    assert before, "the stream plants an alert"
    with dbt_runner.environment({"CA_SPARK_SCHEMA": spark_schema}):
        dbt_runner.run_dbt(
            ["run", "--select", "agent_alert_history"], target="spark",
            vars={"raw_schema": f"raw_{spark_schema}", **VARS},
        )
    after = history()
    assert after.keys() == before.keys()
    for key, (first_fired, last_fired) in after.items():
        assert first_fired == before[key][0], key
        assert last_fired > before[key][1], key
