"""docs/extending.md's worked example, read from the guide itself and applied
to a copy of the project: it touches at most three files, a plain `dbt build`
on a database built before it equals a full refresh (the new key's column
included, on conversations built before the key existed), and the new metric
answers through MetricFlow.

The guide marks each block of the example with an HTML comment naming the
file, where the block goes (`before=` or `after=` a line, searched from the
first line equal to `within=`), so the test applies exactly what a reader
copies.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

import mart_io
from conversation_analytics.contract import EventRecord
from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import loader
from test_semantic_layer import REPO, copy_project, executable, run_tool

GUIDE = REPO / "docs" / "extending.md"
TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
TIERS = ("free", "pro", "enterprise")
REBUILT = (
    "the definitions changed since its last build: the metadata keys, so it is rebuilt in full"
)
MARKER = re.compile(
    r"<!-- extending-example (?P<attributes>.*?) -->\n```[a-z]*\n(?P<block>.*?)```",
    re.DOTALL,
)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Edit:
    """One block of the guide's example and where it goes."""

    file: str
    block: str
    anchor: str
    before: bool
    within: str | None


def guide_edits(text: str) -> list[Edit]:
    edits = []
    for match in MARKER.finditer(text):
        attributes = dict(ATTRIBUTE.findall(match["attributes"]))
        assert ("before" in attributes) != ("after" in attributes), attributes
        edits.append(
            Edit(
                file=attributes["file"],
                block=match["block"],
                anchor=attributes.get("before", attributes.get("after", "")),
                before="before" in attributes,
                within=attributes.get("within"),
            )
        )
    return edits


def apply_edit(folder: Path, edit: Edit) -> None:
    path = folder / edit.file
    lines = path.read_text().splitlines(keepends=True)
    start = 0
    if edit.within is not None:
        starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == edit.within]
        assert starts, f"{edit.file}: no line {edit.within!r} (docs/extending.md is stale)"
        start = starts[0]
    found = [i for i in range(start, len(lines)) if lines[i].rstrip("\n") == edit.anchor]
    assert found, f"{edit.file}: no line {edit.anchor!r} (docs/extending.md is stale)"
    at = found[0] if edit.before else found[0] + 1
    lines[at:at] = [edit.block]
    path.write_text("".join(lines))


def tier_of(conversation_id: str) -> str:
    """The customer tier the example's tracker sends (a stable hash)."""
    return TIERS[zlib.crc32(conversation_id.encode()) % len(TIERS)]


def with_customer_tiers(events: list[EventRecord]) -> tuple[list[EventRecord], set[str]]:
    """The events, with `customer_tier` on every started event whose metadata
    is an object (its case varied, as trackers do), and the conversations sent one."""
    out, sent = [], set()
    for event in events:
        is_started = isinstance(event.event_type, str) and (
            event.event_type.strip().lower() == "started"
        )
        if is_started and isinstance(event.metadata, dict) and event.conversation_id:
            cid = event.conversation_id.strip()
            sent.add(cid)
            tier = tier_of(cid)
            tier = tier.upper() if zlib.crc32(str(event.id).encode()) % 2 else tier
            event = replace(event, metadata={**event.metadata, "customer_tier": tier})
        out.append(event)
    return out, sent


class Project:
    """A copy of the project built on one target by dbt in a subprocess (so
    that `mf` can open the DuckDB file afterwards)."""

    def __init__(self, folder: Path, target: str, conninfo: str | None) -> None:
        self.folder, self.target, self.conninfo = folder, target, conninfo
        self.database = folder.parent / "guide.duckdb"
        self.env = copy_project(folder, target, self.database)
        if conninfo is not None:
            self.env.update(
                PGDATABASE=str(conninfo_to_dict(conninfo)["dbname"]), CA_PG_SCHEMA="analytics"
            )

    def load(self, events: list[EventRecord], *, replace: bool) -> None:
        loader.load_events(
            events,
            self.target,  # type: ignore[arg-type]
            replace=replace,
            duckdb_path=self.database,
            conninfo=self.conninfo,
        )

    def dbt(self, *args: str) -> str:
        return run_tool(
            "dbt",
            [*args, "--project-dir", str(self.folder), "--target-path",
             str(self.folder / "target")],
            cwd=self.folder,
            env=self.env,
        ).stdout

    def rows(self, query: str) -> mart_io.Table:
        if self.target == "duckdb":
            with closing(duckdb.connect(str(self.database), read_only=True)) as connection:
                return mart_io._table(connection.execute(query))
        assert self.conninfo is not None
        with closing(psycopg.connect(self.conninfo)) as connection, connection.cursor() as cursor:
            cursor.execute(query)
            return mart_io._table(cursor)

    def relation(self, model: str) -> str:
        manifest = json.loads((self.folder / "target" / "manifest.json").read_text())
        return manifest["nodes"][f"model.conversation_analytics.{model}"]["relation_name"]


@pytest.fixture(scope="module")
def edits() -> list[Edit]:
    return guide_edits(GUIDE.read_text())


@pytest.fixture
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    target = request.param
    conninfo = request.getfixturevalue("postgres_conninfo") if target == "postgres" else None
    folder = tmp_path / "project"
    folder.mkdir()
    yield Project(folder, target, conninfo)


def test_the_guide_marks_the_example_in_at_most_three_files(
    edits: list[Edit], tmp_path: Path
) -> None:
    assert len(edits) >= 3, "docs/extending.md lost the blocks of its worked example"
    touched = sorted({edit.file for edit in edits})
    assert len(touched) <= 3, touched
    assert "macros/metadata/metadata_keys.sql" in touched
    # Applied to a copy, the blocks change exactly those files.
    for part in ("macros", "models"):
        shutil.copytree(REPO / part, tmp_path / part)
    for edit in edits:
        apply_edit(tmp_path, edit)
    changed = sorted(
        str(path.relative_to(tmp_path))
        for part in ("macros", "models")
        for path in (tmp_path / part).rglob("*")
        if path.is_file() and path.read_bytes() != (REPO / path.relative_to(tmp_path)).read_bytes()
    )
    assert changed == touched


@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_the_guide_example_builds_incrementally_and_answers_through_metricflow(
    project: Project, edits: list[Edit]
) -> None:
    simulation = run_simulation(240, date(2026, 10, 5), 14, seed=31, faults=True)
    events, sent = with_customer_tiers(simulation.events)
    half = len(events) // 2

    # A database built before the change, as an analyst's is.
    project.load(events[:half], replace=True)
    project.dbt("seed")
    project.dbt("run")

    for edit in edits:
        apply_edit(project.folder, edit)
    project.load(events[half:], replace=False)
    output = project.dbt("build")
    for model in ("stg_conversation_events", "int_events_rolled_up_to_conversations",
                  "fct_conversations"):
        assert f'{model}": {REBUILT}' in output, model

    fct = project.relation("fct_conversations")
    incremental = project.rows(f"select * from {fct}")
    tiers = {row["conversation_id"]: row["customer_tier"] for row in incremental.rows}
    # The tier the tracker sent, lowercased, on every conversation whose
    # started event reached staging, those built before the key included;
    # 'unknown' only where no event carried it.
    wrong = {cid: t for cid, t in tiers.items() if t != "unknown" and t != tier_of(cid)}
    assert wrong == {}
    assert {cid for cid, t in tiers.items() if t != "unknown"} <= sent
    unknown = sum(1 for t in tiers.values() if t == "unknown")
    assert unknown < 0.1 * len(tiers)
    staged = project.rows(
        f"select distinct conversation_id from {project.relation('stg_conversation_events')} "
        "where customer_tier is not null"
    )
    assert {row["conversation_id"] for row in staged.rows} == {
        cid for cid, t in tiers.items() if t != "unknown"
    }

    # The incremental build equals a full refresh, column for column.
    project.dbt("run", "--full-refresh")
    refreshed = project.rows(f"select * from {fct}")
    columns = mart_io.data_columns(incremental.columns)
    assert "customer_tier" in columns
    assert not mart_io.compare_rows(
        "fct_conversations", refreshed.rows, incremental.rows, ("conversation_id",), columns
    )

    # The new dimension and metric, through MetricFlow.
    out = project.folder / "mf-out.csv"
    run_tool(
        "mf",
        ["query", "--metrics", "conversations,enterprise_conversations",
         "--group-by", "conversation__customer_tier", "--csv", str(out), "--quiet"],
        cwd=project.folder,
        env=project.env,
    )
    with out.open(newline="") as handle:
        answered = {
            row["conversation__customer_tier"]: row for row in csv.DictReader(handle)
        }
    assert set(TIERS) <= answered.keys() <= {*TIERS, "unknown"}
    for tier, row in answered.items():
        ids = [cid for cid, t in tiers.items() if t == tier]
        assert int(row["conversations"]) == len(ids), tier
        expected = len(ids) if tier == "enterprise" else 0
        assert int(float(row["enterprise_conversations"])) == expected, tier


def test_under_raw_retention_a_new_key_stops_staging_with_one_line(
    tmp_path: Path, edits: list[Edit]
) -> None:
    """Staging under raw retention is never rebuilt from raw, so a new key
    cannot reach its stored events: the run says so in one line instead of
    failing on the missing column."""
    folder = tmp_path / "project"
    folder.mkdir()
    project = Project(folder, "duckdb", None)
    events, _ = with_customer_tiers(run_simulation(40, date(2026, 10, 5), 3, seed=5).events)
    project.load(events, replace=True)
    retention = ["--select", "+stg_conversation_events", "--vars", '{"raw_retention_days": 3650}']
    project.dbt("run", *retention)
    for edit in edits:
        apply_edit(project.folder, edit)
    completed = subprocess.run(
        [executable("dbt"), "run", *retention, "--project-dir", str(folder),
         "--target-path", str(folder / "target")],
        cwd=folder, env=project.env, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 1, completed.stdout[-3000:]
    said = [line for line in completed.stdout.splitlines() if "metadata keys" in line]
    assert said and "undo the change to the keys" in said[0], completed.stdout[-3000:]
    assert "Binder Error" not in completed.stdout
