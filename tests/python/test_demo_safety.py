"""The demo replaces only the raw table it wrote itself: a DuckDB file that
holds a team's own events is refused unless --replace says otherwise."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from conversation_analytics.cli import cli
from conversation_analytics.warehouse import loader


def _raw_count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute("select count(*) from raw.conversation_events").fetchone()
    assert row is not None
    return int(row[0])


def test_demo_refuses_a_raw_table_it_did_not_write(tmp_path: Path) -> None:
    path = tmp_path / "team.duckdb"
    loaded = CliRunner().invoke(
        cli, ["load", "--conversations", "7", "--duckdb-path", str(path)]
    )
    assert loaded.exit_code == 0, loaded.output
    before = _raw_count(path)

    result = CliRunner().invoke(
        cli, ["demo", "--conversations", "20", "--duckdb-path", str(path)]
    )

    assert result.exit_code == 1, result.output
    assert "which the demo did not write: pass --replace" in result.output
    assert "Traceback" not in result.output
    assert _raw_count(path) == before


def test_a_table_the_demo_marked_is_its_own(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    assert loader.duckdb_raw_table_comment(path) is None
    loader.load_events([], "duckdb", duckdb_path=path)
    assert loader.duckdb_raw_table_comment(path) == ""
    loader.mark_duckdb_raw_table(loader.DEMO_TABLE_COMMENT, path)
    assert loader.duckdb_raw_table_comment(path) == loader.DEMO_TABLE_COMMENT
