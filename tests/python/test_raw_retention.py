"""Raw retention: `dbt run-operation apply_raw_retention` deletes the raw rows
loaded more than `raw_retention_days` days ago that the pipeline has seen,
and staging becomes the record of their events.

On DuckDB and PostgreSQL, over loads spread across days: after retention,
an incremental `dbt build`, a `dbt build --full-refresh` and a build with a
changed definition var are green (the reconciliation included), staging and
every mart equal one build over every event that never lost a raw row, and a
row loaded before the cutoff that staging had not read yet is kept and then
staged. Without the var, the same warehouse fails the old reconciliation,
and a full refresh silently loses the history: the finding this fixes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

import mart_io
from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import dbt_runner, loader

RETENTION_DAYS = 7
RETENTION = {"raw_retention_days": RETENTION_DAYS}
# Where each load is moved back to, in days before now: three loads staged
# long ago, then one loaded before the cutoff that staging has not read yet.
STAGED_LOADS_DAYS_AGO = (10.0, 9.0, 8.0)
UNSTAGED_LOAD_DAYS_AGO = 7.5
RECONCILIATION = "assert_no_raw_row_is_lost"
STAGING = "stg_conversation_events"
COMPARED = {STAGING: ("event_id",), **mart_io.MART_GRAINS}


# --- the events ------------------------------------------------------------------------


def daily_loads() -> list[list[EventRecord]]:
    """A messy simulated stream (copies, late rows, bad rows) whose events
    happened weeks ago, dealt into five loads in time order."""
    start = date.today() - timedelta(days=40)
    events = run_simulation(150, start, 10, seed=23, faults=True).events
    ordered = sorted(events, key=lambda e: (e.timestamp is None, e.timestamp or datetime.min))
    size = -(-len(ordered) // 5)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


# --- one warehouse location ------------------------------------------------------------


class Warehouse:
    """A DuckDB file, or a schema prefix in a PostgreSQL database."""

    def __init__(self, target: str, name: str, where: Path | str) -> None:
        self.target = target
        self.name = name
        self.where = where

    @property
    def raw_schema(self) -> str:
        return "raw" if self.target == "duckdb" else f"raw_{self.name}"

    @property
    def raw_table(self) -> str:
        return f'"{self.raw_schema}"."conversation_events"'

    @property
    def staging_table(self) -> str:
        if self.target == "duckdb":
            return f'"{dbt_runner.layer_schema("duckdb", "staging")}"."{STAGING}"'
        return f'"{self.name}_staging"."{STAGING}"'

    def load(self, events: Sequence[EventRecord], *, replace_table: bool = False) -> None:
        loader.load_events(
            events,
            self.target,  # type: ignore[arg-type]
            raw_schema=self.raw_schema,
            replace=replace_table,
            duckdb_path=self.where if self.target == "duckdb" else None,
            conninfo=str(self.where) if self.target == "postgres" else None,
        )

    @contextmanager
    def _environment(self) -> Iterator[None]:
        if self.target == "duckdb":
            yield
            return
        database = conninfo_to_dict(str(self.where))["dbname"]
        with dbt_runner.environment({"PGDATABASE": str(database), "CA_PG_SCHEMA": self.name}):
            yield

    def dbt(
        self, *args: str, vars: Mapping[str, Any] | None = None, check: bool = True
    ) -> dbt_runner.DbtResult:
        with self._environment():
            return dbt_runner.run_dbt(
                list(args),
                target=self.target,
                duckdb_file=self.where if self.target == "duckdb" else None,
                vars={"raw_schema": self.raw_schema, **(vars or {})},
                check=check,
            )

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (`?` placeholders) and commit; its rows, if any."""
        if self.target == "duckdb":
            with closing(duckdb.connect(str(self.where))) as connection:
                cursor = connection.execute(statement, list(params))
                return cursor.fetchall() if cursor.description else []
        with psycopg.connect(str(self.where)) as connection:
            cursor = connection.execute(statement.replace("?", "%s"), list(params))
            return cursor.fetchall() if cursor.description else []

    def loads(self) -> dict[datetime, int]:
        """Raw rows per `loaded_at` (one value per load)."""
        return dict(self.query(f"select loaded_at, count(*) from {self.raw_table} group by 1"))

    def staged_ids(self) -> set[str]:
        return {row[0] for row in self.query(f"select event_id from {self.staging_table}")}

    def move_load(self, loaded_at: datetime, to: datetime, *, staged: bool) -> None:
        """Move one load back in time, in raw and (when it was staged) in
        staging, as if it had landed then."""
        self.query(
            f"update {self.raw_table} set loaded_at = ? where loaded_at = ?", [to, loaded_at]
        )
        if staged:
            self.query(
                f"update {self.staging_table} set loaded_at = ? where loaded_at = ?",
                [_naive_utc(to), _naive_utc(loaded_at)],
            )

    def snapshot(self) -> mart_io.Snapshot:
        if self.target == "duckdb":
            return mart_io.read_duckdb(self.where, self.raw_schema)
        return mart_io.read_postgres(str(self.where), self.name, self.raw_schema)


def _naive_utc(moment: datetime) -> datetime:
    """How staging stores a time: UTC, without a time zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _failed(outcome: dbt_runner.DbtResult) -> list[str]:
    return sorted(r.node.name for r in outcome.result.results if str(r.status) in ("error", "fail"))


class LogTail:
    """The lines dbt logs to its file (DBT_LOG_PATH) from now on. dbt rotates
    that file once it is large (dbt.log becomes dbt.log.1, and so on up to
    dbt.log.5), as it does in a long test session: the file that was dbt.log
    is found again by its inode, and read on from where it stood."""

    def __init__(self, scratch: Path) -> None:
        self.path = scratch / "logs" / "dbt.log"
        stat = self.path.stat() if self.path.exists() else None
        self.inode = stat.st_ino if stat else None
        self.offset = stat.st_size if stat else 0

    def read(self) -> str:
        # Oldest first: the backups (dbt.log.5 ... dbt.log.1), then dbt.log.
        files = [self.path.with_name(f"dbt.log.{n}") for n in range(5, 0, -1)] + [self.path]
        inodes = [path.stat().st_ino if path.exists() else None for path in files]
        if self.inode in inodes:
            start = inodes.index(self.inode)
            parts = [self._read_from(files[start], self.offset)]
            parts += [self._read_from(path, 0) for path in files[start + 1 :]]
        else:
            parts = [self._read_from(path, 0) for path in files]
        return "".join(parts)

    @staticmethod
    def _read_from(path: Path, offset: int) -> str:
        if not path.exists():
            return ""
        with path.open(encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            return log.read()


def assert_same_history(got: mart_io.Snapshot, want: mart_io.Snapshot) -> None:
    """Staging and every mart agree row for row (bookkeeping columns aside)."""
    problems: list[str] = []
    for name, grain in COMPARED.items():
        assert want[name].rows, f"{name} is empty in the reference build"
        columns = mart_io.data_columns(want[name].columns)
        problems += mart_io.compare_rows(name, want[name].rows, got[name].rows, grain, columns)
    assert not problems, "retention changed the history:\n" + "\n".join(problems)


# --- the scenario ------------------------------------------------------------------------


def run_retention_scenario(warehouse: Warehouse, reference: Warehouse, scratch: Path) -> None:
    loads = daily_loads()
    history, unstaged, after = loads[:3], loads[3], loads[4]

    # The reference: every event, one build, no row ever deleted.
    reference.load([event for load in loads for event in load], replace_table=True)
    reference.dbt("build")
    want = reference.snapshot()

    # Three loads, built, then moved back to 10, 9 and 8 days ago.
    for number, load in enumerate(history):
        warehouse.load(load, replace_table=number == 0)
    warehouse.dbt("build")
    now = datetime.now(UTC)
    staged_loads = sorted(warehouse.loads())
    assert len(staged_loads) == len(history)
    for loaded_at, days_ago in zip(staged_loads, STAGED_LOADS_DAYS_AGO, strict=True):
        warehouse.move_load(loaded_at, now - timedelta(days=days_ago), staged=True)
    # A load that landed before the cutoff, after the last staging run:
    # staging will read it (it is past its watermark), so it must stay.
    warehouse.load(unstaged)
    unstaged_at = max(warehouse.loads())
    warehouse.move_load(unstaged_at, now - timedelta(days=UNSTAGED_LOAD_DAYS_AGO), staged=False)
    before = warehouse.loads()
    # Its valid events (the reference staged them).
    unstaged_ids = {e.id.strip() for e in unstaged if e.id} & {
        row["event_id"] for row in want[STAGING].rows
    }
    assert unstaged_ids - warehouse.staged_ids(), "the unstaged load is already staged"
    rejected_before = len(warehouse.snapshot()["conversation_events_rejected"].rows)

    log = LogTail(scratch)
    warehouse.dbt("run-operation", "apply_raw_retention", vars=RETENTION)
    deleted = sum(before.values()) - sum(warehouse.loads().values())
    assert deleted > 0
    assert f"apply_raw_retention: deleted {deleted} raw rows" in log.read()

    # The two oldest loads are gone, quarantined rows included. The last
    # staged load is as old, but it is within ingestion_lookback_minutes of
    # the latest loaded_at staged, which staging may still read: it stays.
    # So does the load staging has not read.
    def by_age(loads: Mapping[datetime, int]) -> dict[float, int]:
        return {(now - moment) / timedelta(days=1): rows for moment, rows in loads.items()}

    assert sorted(by_age(before)) == sorted([*STAGED_LOADS_DAYS_AGO, UNSTAGED_LOAD_DAYS_AGO])
    assert by_age(warehouse.loads()) == {
        age: rows for age, rows in by_age(before).items() if age in (8.0, UNSTAGED_LOAD_DAYS_AGO)
    }
    assert len(warehouse.snapshot()["conversation_events_rejected"].rows) < rejected_before

    # A new load, then the incremental build: green, and the history whole.
    warehouse.load(after)
    warehouse.dbt("build", vars=RETENTION)
    assert unstaged_ids <= warehouse.staged_ids()
    assert_same_history(warehouse.snapshot(), want)

    # --full-refresh rebuilds everything downstream of staging, not staging.
    warehouse.dbt("build", "--full-refresh", vars=RETENTION)
    assert_same_history(warehouse.snapshot(), want)

    # A changed definition var rebuilds the models downstream of staging;
    # staging keeps its rows, and the log says so.
    staged = warehouse.snapshot()[STAGING]
    log = LogTail(scratch)
    warehouse.dbt("build", vars={**RETENTION, "inactivity_timeout_minutes": 45})
    lines = log.read()
    assert (
        f'{STAGING}": the definitions changed since its last build:'
        " inactivity_timeout_minutes (30, now 45), but it is never rebuilt" in lines
    )
    assert (
        'int_events_rolled_up_to_conversations": the definitions changed since its last build:'
        " inactivity_timeout_minutes (30, now 45), so it is rebuilt in full" in lines
    )
    # Every column, the batch numbers included: not a row rewritten.
    assert not mart_io.compare_rows(
        STAGING, staged.rows, warehouse.snapshot()[STAGING].rows, ("event_id",), staged.columns
    )
    warehouse.dbt("build", vars=RETENTION)
    assert_same_history(warehouse.snapshot(), want)

    # The reconciliation under retention still catches a lost row: a valid
    # raw event missing from staging, then a recent staged event whose raw
    # rows are gone (a recent row is never deleted by retention).
    recent = [
        row[0]
        for row in warehouse.query(
            f"select event_id from {warehouse.staging_table} where loaded_at = "
            f"(select max(loaded_at) from {warehouse.staging_table}) "
            f"and event_id in (select id from {warehouse.raw_table}) order by 1 limit 2"
        )
    ]
    assert len(recent) == 2
    warehouse.query(f"delete from {warehouse.staging_table} where event_id = ?", [recent[0]])
    outcome = warehouse.dbt("test", "--select", RECONCILIATION, vars=RETENTION, check=False)
    assert _failed(outcome) == [RECONCILIATION]
    for event_id in recent:
        warehouse.query(f"delete from {warehouse.raw_table} where id = ?", [event_id])
    assert not set(recent) & {
        row[0] for row in warehouse.query(f"select id from {warehouse.raw_table}")
    }
    outcome = warehouse.dbt("test", "--select", RECONCILIATION, vars=RETENTION, check=False)
    assert _failed(outcome) == [RECONCILIATION]

    # The finding: without the var, the reconciliation fails on every run...
    outcome = warehouse.dbt("build", check=False)
    assert _failed(outcome) == [RECONCILIATION]
    # ...and a full refresh rebuilds staging from what raw still holds.
    warehouse.dbt("run", "--full-refresh", "--select", STAGING)
    assert len(warehouse.snapshot()[STAGING].rows) < len(want[STAGING].rows)


def test_duckdb_retention_keeps_the_history_and_the_build_green(
    tmp_path: Path, dbt_scratch: Path
) -> None:
    run_retention_scenario(
        Warehouse("duckdb", "retained", tmp_path / "retained.duckdb"),
        Warehouse("duckdb", "reference", tmp_path / "reference.duckdb"),
        dbt_scratch,
    )


@pytest.mark.postgres
def test_postgres_retention_keeps_the_history_and_the_build_green(
    postgres_conninfo: str, dbt_scratch: Path
) -> None:
    run_retention_scenario(
        Warehouse("postgres", "retained", postgres_conninfo),
        Warehouse("postgres", "reference", postgres_conninfo),
        dbt_scratch,
    )


# --- what the operation refuses ----------------------------------------------------------


@pytest.mark.parametrize(
    ("vars", "message"),
    [
        ({}, "apply_raw_retention: the var raw_retention_days is null"),
        ({"raw_retention_days": None}, "apply_raw_retention: the var raw_retention_days is null"),
        ({"raw_retention_days": -3}, "var raw_retention_days is -3: expected a whole number"),
    ],
    ids=["unset", "null", "negative"],
)
def test_retention_without_a_day_count_stops_with_one_line(
    tmp_path: Path, dbt_scratch: Path, vars: dict[str, Any], message: str
) -> None:
    warehouse = Warehouse("duckdb", "none", tmp_path / "none.duckdb")
    warehouse.load(daily_loads()[0], replace_table=True)
    log = LogTail(dbt_scratch)
    outcome = warehouse.dbt("run-operation", "apply_raw_retention", vars=vars, check=False)
    assert not outcome.success
    assert message in log.read()
    assert sum(warehouse.loads().values()) == len(daily_loads()[0])


def test_retention_needs_the_ingestion_time_column(tmp_path: Path, dbt_scratch: Path) -> None:
    path = tmp_path / "old.duckdb"
    events = daily_loads()[0]
    loader.load_events(events, "duckdb", duckdb_path=path, ingestion_column=False)
    log = LogTail(dbt_scratch)
    outcome = dbt_runner.run_dbt(
        ["run-operation", "apply_raw_retention"], duckdb_file=path, vars=RETENTION, check=False
    )
    assert not outcome.success
    assert "has no ingestion-time column loaded_at" in log.read()
    with closing(duckdb.connect(str(path))) as connection:
        assert connection.execute(
            'select count(*) from "raw"."conversation_events"'
        ).fetchone() == (len(events),)
