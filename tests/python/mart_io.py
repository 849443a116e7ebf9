"""Load events, build the project, read its marts back, compare row for row.

Shared by the whole-pipeline tests (`test_marts_match_spec.py`,
`test_duckdb_postgres_parity.py`): one build per call, read into plain
dicts, so a test compares Python values and never SQL.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import dbt_runner, loader
from edge_events import disputed_events, messy_events
from spec_reference import Close, Reference, Rounded, Vars, compute

# Every mart and its grain (the order its rows are compared in).
MART_GRAINS: dict[str, tuple[str, ...]] = {
    "fct_conversations": ("conversation_id",),
    "conversation_metrics_daily": ("started_date", "agent_id", "channel"),
    "conversation_drop_off": ("started_date", "agent_id", "channel", "abandon_turn"),
    "agent_performance_weekly": ("week_start", "agent_id"),
    "tool_usage": ("started_date", "tool_name"),
    "model_performance": ("week_start", "model"),
    "conversation_summary": ("window_days",),
    "abandon_turns_top": ("window_days", "abandon_rank"),
    "conversation_summary_by_agent": ("window_days", "agent_id"),
    "conversation_summary_by_day": ("window_days", "started_date"),
    "conversation_summary_by_turn": ("window_days", "turn"),
    "conversation_summary_by_satisfaction_signal": ("window_days", "satisfaction_signal"),
    "conversation_summary_by_satisfaction_band": ("window_days", "satisfaction_band"),
    "conversation_summary_by_tool": ("window_days", "tool_name"),
    "conversation_summary_by_model": ("window_days", "model"),
}
STAGING_RELATIONS = ("stg_conversation_events", "conversation_events_rejected")

FLOAT_TOLERANCE = 1e-9

# Columns that record the build, not the data: the staging batch a row was
# computed in, the ingestion bookkeeping of staging. No two builds share them.
RUN_METADATA_COLUMNS = frozenset(
    {
        "staged_batch",
        "loaded_at",
        "replaced_conversation_id",
        "replaced_event_at",
    }
)


def data_columns(columns: Iterable[str]) -> list[str]:
    """`columns` without the run metadata."""
    return [c for c in columns if c not in RUN_METADATA_COLUMNS]


@dataclass
class Table:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


@dataclass
class Snapshot:
    """What one build produced: every mart and the two staging relations."""

    target: str
    tables: dict[str, Table]
    raw_row_count: int

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


# --- reading -----------------------------------------------------------------------


def _table(cursor: Any) -> Table:
    columns = tuple(d[0] for d in cursor.description)
    return Table(columns, [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])


def read_duckdb(path: str | Path, raw_schema: str = "raw") -> Snapshot:
    """Every mart and staging relation of the DuckDB file at `path`."""
    tables = {}
    with closing(duckdb.connect(str(path))) as connection:
        for name in (*MART_GRAINS, *STAGING_RELATIONS):
            layer = "marts" if name in MART_GRAINS else "staging"
            schema = dbt_runner.layer_schema("duckdb", layer)
            tables[name] = _table(connection.execute(f'select * from "{schema}"."{name}"'))
        (raw_rows,) = connection.execute(
            f'select count(*) from "{raw_schema}".conversation_events'
        ).fetchone()
    return Snapshot("duckdb", tables, raw_rows)


def read_postgres(conninfo: str, schema: str, raw_schema: str = "raw") -> Snapshot:
    """Every mart and staging relation built into `<schema>_<layer>`."""
    tables = {}
    with closing(psycopg.connect(conninfo)) as connection, connection.cursor() as cursor:
        for name in (*MART_GRAINS, *STAGING_RELATIONS):
            layer = "marts" if name in MART_GRAINS else "staging"
            cursor.execute(f'select * from "{schema}_{layer}"."{name}"')
            tables[name] = _table(cursor)
        cursor.execute(f'select count(*) from "{raw_schema}".conversation_events')
        (raw_rows,) = cursor.fetchone()  # type: ignore[misc]
    return Snapshot("postgres", tables, raw_rows)


def require_spark() -> None:
    """Skip the test when no Spark Thrift Server answers at CA_SPARK_HOST/PORT,
    or fail it when CA_REQUIRE_SPARK=1 (scripts/run-tests.sh sets it when it
    started the loopback cluster)."""
    import pytest

    from conversation_analytics.warehouse import spark

    def unavailable(reason: str) -> None:
        if os.environ.get("CA_REQUIRE_SPARK") == "1":
            pytest.fail(f"CA_REQUIRE_SPARK=1 but {reason}", pytrace=False)
        pytest.skip(reason)

    if not os.environ.get("CA_SPARK_PORT"):
        unavailable(
            "CA_SPARK_PORT is not set: no Spark Thrift Server to test against "
            "(scripts/run-tests.sh starts a loopback cluster)"
        )
    try:
        spark.connect_spark().close()
    except spark.SparkLoadError as exc:
        unavailable(str(exc))


# The schemas a dbt build on Spark writes, after its prefix (`<schema>_<layer>`).
SPARK_LAYERS = ("staging", "intermediate", "marts", "semantic", "reference", "test_failures")


def drop_spark_schemas(schema: str) -> None:
    """Drop `raw_<schema>` and every `<schema>_<layer>` database a build
    wrote on the Spark Thrift Server of the CA_SPARK_* variables."""
    from conversation_analytics.warehouse import spark

    connection = spark.connect_spark()
    try:
        cursor = connection.cursor()
        for database in (f"raw_{schema}", *(f"{schema}_{layer}" for layer in SPARK_LAYERS)):
            cursor.execute(f"drop database if exists `{database}` cascade")
    finally:
        connection.close()


def read_spark(schema: str, raw_schema: str) -> Snapshot:
    """Every mart and staging relation built into `<schema>_<layer>` on the
    Spark Thrift Server of the CA_SPARK_* variables."""
    from conversation_analytics.warehouse import spark

    tables = {}
    # Typed as psycopg types them (PyHive returns dates as text).
    with closing(spark.connect_spark_read()) as connection, connection.cursor() as cursor:
        for name in (*MART_GRAINS, *STAGING_RELATIONS):
            layer = "marts" if name in MART_GRAINS else "staging"
            cursor.execute(f"select * from `{schema}_{layer}`.`{name}`")
            tables[name] = _table(cursor)
        cursor.execute(f"select count(*) from `{raw_schema}`.conversation_events")
        (raw_rows,) = cursor.fetchone() or (0,)
    return Snapshot("spark", tables, raw_rows)



# --- building ------------------------------------------------------------------------

# The whole build: every model, seed, data test and dbt unit test, as a
# scheduled pipeline runs it, so a unit test that assumes a default var or
# a raw column type fails here too.
BUILD_ARGS = ["build"]


AlsoLoad = Callable[[str, str, list[str]], None]
"""Loads more raw tables: (target, raw schema, the command line's options
naming the database)."""


def _dbt_vars(raw_schema: str, vars: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"raw_schema": raw_schema, **(vars or {})}


def build_duckdb(
    events: Sequence[EventRecord],
    path: Path,
    *,
    metadata_type: str = "json",
    timestamp_type: str = "timestamptz",
    vars: Mapping[str, Any] | None = None,
    also_load: AlsoLoad | None = None,
) -> Snapshot:
    """Load `events` into a new DuckDB file, `dbt build`, read the result.
    `also_load(target, raw_schema, where)` loads more raw tables before
    the build (`where`: the command line's options naming the database)."""
    loader.load_events(
        events,
        "duckdb",
        duckdb_path=path,
        replace=True,
        metadata_type=metadata_type,  # type: ignore[arg-type]
        timestamp_type=timestamp_type,  # type: ignore[arg-type]
    )
    if also_load is not None:
        also_load("duckdb", "raw", ["--duckdb-path", str(path)])
    dbt_runner.run_dbt(BUILD_ARGS, target="duckdb", duckdb_file=path, vars=_dbt_vars("raw", vars))
    return read_duckdb(path)


def build_postgres(
    events: Sequence[EventRecord],
    conninfo: str,
    *,
    schema: str,
    metadata_type: str = "json",
    timestamp_type: str = "timestamptz",
    vars: Mapping[str, Any] | None = None,
) -> Snapshot:
    """Load `events` into `raw_<schema>.conversation_events` of the database
    `conninfo` names, `dbt build` into `<schema>_*`, read the result. Each
    schema is its own build, so one database can hold several."""
    raw_schema = f"raw_{schema}"
    loader.load_events(
        events,
        "postgres",
        conninfo=conninfo,
        raw_schema=raw_schema,
        replace=True,
        metadata_type=metadata_type,  # type: ignore[arg-type]
        timestamp_type=timestamp_type,  # type: ignore[arg-type]
    )
    database = conninfo_to_dict(conninfo)["dbname"]
    with dbt_runner.environment({"PGDATABASE": str(database), "CA_PG_SCHEMA": schema}):
        dbt_runner.run_dbt(BUILD_ARGS, target="postgres", vars=_dbt_vars(raw_schema, vars))
    return read_postgres(conninfo, schema, raw_schema)


def build_spark(
    events: Sequence[EventRecord],
    *,
    schema: str,
    vars: Mapping[str, Any] | None = None,
    args: Sequence[str] = BUILD_ARGS,
    also_load: AlsoLoad | None = None,
) -> Snapshot:
    """Load `events` into `raw_<schema>.conversation_events` on Spark (and
    `also_load`, as build_duckdb), run dbt (`args`) into `<schema>_*`, read
    the result."""
    raw_schema = f"raw_{schema}"
    loader.load_events(events, "spark", raw_schema=raw_schema, replace=True)
    if also_load is not None:
        also_load("spark", raw_schema, [])
    with dbt_runner.environment({"CA_SPARK_SCHEMA": schema}):
        dbt_runner.run_dbt(list(args), target="spark", vars=_dbt_vars(raw_schema, vars))
    return read_spark(schema, raw_schema)


# --- the builds the tests share ----------------------------------------------------

# The messy stream: simulated conversations with every fault kind, plus the
# hand-made edge cases. PINNED_AS_OF (UTC) is mid-stream: builds that pin it
# with var('as_of') see conversations after it and windows that end before
# the data does.
STREAM_CONVERSATIONS = 400
STREAM_SEED = 20261005
PINNED_AS_OF = datetime(2026, 10, 25, 12, 0, 0)

# Every definition var moved off its default, the way a team tunes them. The
# alert threshold and minimum are both relaxed, so the stream's planted
# alert still fires; the satisfaction rules shift their turn limits, so
# conversations change rule.
TUNED_VARS = Vars(
    inactivity_timeout_minutes=45,
    rephrase_similarity_threshold=0.9,
    satisfaction_quick_resolution_max_turns=2,
    satisfaction_quick_resolution_signal=0.9,
    satisfaction_handoff_signal=0.25,
    satisfaction_long_conversation_min_turns=4,
    satisfaction_long_conversation_base=0.75,
    satisfaction_turn_penalty=0.05,
    satisfaction_neutral_score=0.55,
    completion_drop_alert_points=3,
    alert_min_conversations=10,
    alert_rule="points",
    alert_significance_level=0.2,
    confidence_level=0.9,
)
# The Vars fields that are dbt vars of the same name (the rest describe the
# stream, not the build).
_DEFINITION_VARS = (
    "inactivity_timeout_minutes",
    "rephrase_similarity_threshold",
    "satisfaction_quick_resolution_max_turns",
    "satisfaction_quick_resolution_signal",
    "satisfaction_handoff_signal",
    "satisfaction_long_conversation_min_turns",
    "satisfaction_long_conversation_base",
    "satisfaction_turn_penalty",
    "satisfaction_neutral_score",
    "completion_drop_alert_points",
    "alert_min_conversations",
    "alert_rule",
    "alert_significance_level",
    "confidence_level",
)


def dbt_vars_of(settings: Vars) -> dict[str, Any]:
    """The dbt vars that build what `settings` describes."""
    values: dict[str, Any] = {name: getattr(settings, name) for name in _DEFINITION_VARS}
    if settings.as_of is not None:
        values["as_of"] = settings.as_of.isoformat(sep=" ")
    return values


@dataclass(frozen=True)
class BuildCase:
    """One build of the messy stream: a target, a metadata column type,
    whether var('as_of') is pinned (else the latest staged event rules), the
    raw timestamp column type, and whether every definition var is tuned
    (TUNED_VARS) or left at its default."""

    target: str
    metadata_type: str
    pinned_as_of: bool
    timestamp_type: str = "timestamptz"
    tuned_vars: bool = False

    @property
    def _variant(self) -> str:
        naive = "-naive-timestamp" if self.timestamp_type == "timestamp" else ""
        return naive + ("-tuned-vars" if self.tuned_vars else "")

    @property
    def id(self) -> str:
        as_of = "pinned-as-of" if self.pinned_as_of else "latest-event-as-of"
        return f"{self.target}-{self.metadata_type}-{as_of}{self._variant}"

    @property
    def pg_schema(self) -> str:
        as_of = "pinned" if self.pinned_as_of else "latest"
        return f"{self.metadata_type}_{as_of}{self._variant.replace('-', '_')}"


@dataclass
class Built:
    case: BuildCase
    events: list[EventRecord]
    as_of: datetime  # the as-of time the stream was made for (UTC)
    reference: Reference
    snapshot: Snapshot
    duckdb_path: Path | None = None  # the DuckDB file of a DuckDB build


# Builds are memoised for the session: both whole-pipeline modules compare the
# same builds (against the reference, and against each other), so each runs
# once however the tests are selected.
_BUILDS: dict[object, Any] = {}


def _memoised(key: object, build: Callable[[], Any]) -> Any:
    """`build()` once per session for `key`; a failure is remembered too, so a
    broken build fails every test that needs it without running again."""
    if key not in _BUILDS:
        try:
            _BUILDS[key] = build()
        except Exception as exc:  # re-raised below, for every caller
            _BUILDS[key] = exc
    result = _BUILDS[key]
    if isinstance(result, Exception):
        raise result
    return result


def build_case(case: BuildCase, workdir: Path, conninfo: str | None) -> Built:
    """Build the messy stream as `case` says (memoised), with its reference."""

    def build() -> Built:
        as_of = PINNED_AS_OF if case.pinned_as_of else None
        events, stream_as_of = messy_events(
            STREAM_CONVERSATIONS, STREAM_SEED, as_of=as_of, metadata_type=case.metadata_type
        )
        settings = replace(TUNED_VARS if case.tuned_vars else Vars(), as_of=as_of)
        # Default builds pass only as_of, as a user who tunes nothing does.
        vars = dbt_vars_of(settings) if case.tuned_vars else (
            {"as_of": as_of.isoformat(sep=" ")} if as_of else None
        )
        column_types = {"metadata_type": case.metadata_type, "timestamp_type": case.timestamp_type}
        path = None
        if case.target == "duckdb":
            path = workdir / f"{case.id}.duckdb"
            snapshot = build_duckdb(events, path, **column_types, vars=vars)
        else:
            assert conninfo is not None, "a PostgreSQL build needs a database"
            snapshot = build_postgres(
                events, conninfo, schema=case.pg_schema, **column_types, vars=vars
            )
        reference = compute(events, settings)
        return Built(case, events, stream_as_of, reference, snapshot, path)

    return _memoised(case, build)


def build_disputed(target: str, workdir: Path, conninfo: str | None) -> Snapshot:
    """`edge_events.disputed_events()` with text metadata, built on `target`
    (memoised)."""

    def build() -> Snapshot:
        events = disputed_events()
        if target == "duckdb":
            return build_duckdb(events, workdir / "disputed.duckdb", metadata_type="text")
        assert conninfo is not None, "a PostgreSQL build needs a database"
        return build_postgres(events, conninfo, schema="disputed", metadata_type="text")

    return _memoised(("disputed", target), build)


def rows_of(snapshot: Snapshot, relation: str, **where: Any) -> list[dict[str, Any]]:
    """The rows of `relation` whose columns equal `where`."""
    return [
        row
        for row in snapshot[relation].rows
        if all(row[column] == value for column, value in where.items())
    ]


# --- comparing -------------------------------------------------------------------------


def _number(value: Any) -> float:
    return float(value) if isinstance(value, Decimal | int | float) else math.nan


def values_match(expected: Any, actual: Any, tolerance: float = FLOAT_TOLERANCE) -> bool:
    """Equal, floats to `tolerance` (relative, or absolute near zero); a
    `Rounded` expectation also accepts its neighbour at a rounding boundary."""
    if isinstance(expected, Close):
        return actual is not None and expected.matches(_number(actual))
    if isinstance(expected, Rounded):
        return actual is not None and any(
            math.isclose(_number(actual), c, rel_tol=tolerance, abs_tol=tolerance)
            for c in expected.candidates()
        )
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, float | Decimal) or isinstance(actual, float | Decimal):
        return math.isclose(
            _number(expected), _number(actual), rel_tol=tolerance, abs_tol=tolerance
        )
    return type(expected) is type(actual) and expected == actual


def _sort_key(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple((v is None, v if v is not None else 0) for v in values)


def compare_rows(
    name: str,
    expected: Sequence[Mapping[str, Any]],
    actual: Sequence[Mapping[str, Any]],
    grain: Sequence[str],
    columns: Sequence[str],
    limit: int = 25,
) -> list[str]:
    """Differences between two relations with a unique `grain`, compared row
    for row in grain order on `columns`; empty when they agree."""
    problems: list[str] = []
    for label, rows in (("expected", expected), ("actual", actual)):
        keys = Counter(tuple(r[g] for g in grain) for r in rows)
        problems += [f"{name}: {label} has {n} rows for {key}" for key, n in keys.items() if n > 1]
    want = {tuple(r[g] for g in grain): r for r in expected}
    got = {tuple(r[g] for g in grain): r for r in actual}
    problems += [
        f"{name}: missing row {key}" for key in sorted(want.keys() - got.keys(), key=_sort_key)
    ]
    problems += [
        f"{name}: unexpected row {key}" for key in sorted(got.keys() - want.keys(), key=_sort_key)
    ]
    for key in sorted(want.keys() & got.keys(), key=_sort_key):
        for column in columns:
            if not values_match(want[key][column], got[key][column]):
                problems.append(
                    f"{name} {dict(zip(grain, key, strict=True))}: {column} "
                    f"expected {want[key][column]!r}, got {got[key][column]!r}"
                )
    if len(problems) > limit:
        problems = [*problems[:limit], f"... and {len(problems) - limit} more"]
    return problems


def allow_rounding_ties(
    rows: Sequence[Mapping[str, Any]],
    reference_rows: Sequence[Mapping[str, Any]],
    grain: Sequence[str],
) -> list[dict[str, Any]]:
    """`rows` as expectations, where each rounded value that the reference
    shows to be an exact tie (see `Rounded.candidates`) accepts either
    neighbour, since the double sums the models round depend on the engine's
    order of addition there. Every other value stays exact."""
    reference = {tuple(r[g] for g in grain): r for r in reference_rows}
    expected = []
    for row in rows:
        row = dict(row)
        for column, value in reference.get(tuple(row[g] for g in grain), {}).items():
            if (
                isinstance(value, Rounded)
                and len(value.candidates()) > 1
                and values_match(value, row[column])
            ):
                row[column] = value
        expected.append(row)
    return expected


def compare_bags(
    name: str,
    expected: Sequence[Mapping[str, Any]],
    actual: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    limit: int = 25,
) -> list[str]:
    """Differences between two multisets of rows (no float columns), on `columns`."""
    want = Counter(tuple(r[c] for c in columns) for r in expected)
    got = Counter(tuple(r[c] for c in columns) for r in actual)
    problems = [
        f"{name}: {n} missing {dict(zip(columns, row, strict=True))}"
        for row, n in (want - got).items()
    ] + [
        f"{name}: {n} unexpected {dict(zip(columns, row, strict=True))}"
        for row, n in (got - want).items()
    ]
    if len(problems) > limit:
        problems = [*problems[:limit], f"... and {len(problems) - limit} more"]
    return problems
