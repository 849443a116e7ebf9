"""The Python package is laid out by audience, and the tracker that agents
import stands alone: no dbt, no database driver, no command line, and none
of the package's other rooms comes with it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "conversation_analytics"

# Each room of the package, and the rooms it may import from.
ROOMS = {
    "tracker": {"contract", "raw_table", "tracker"},
    "warehouse": {"contract", "raw_table", "warehouse"},
    "simulation": {"contract", "raw_table", "warehouse", "simulation"},
    "presentation": {"contract", "raw_table", "warehouse", "presentation"},
    "benchmarks": {"contract", "raw_table", "warehouse", "simulation", "tracker", "benchmarks"},
}


def _imported_rooms(path: Path) -> set[str]:
    """The rooms of conversation_analytics that a module imports."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                package = path.relative_to(PACKAGE).parts[: -node.level]
                parts = [*package, *node.module.split(".")]
            elif node.module.startswith("conversation_analytics."):
                parts = node.module.split(".")[1:]
            else:
                continue
            rooms.add(parts[0].removesuffix(".py"))
    return rooms


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_each_room_imports_only_what_it_may(room: str) -> None:
    problems = {
        str(path.relative_to(PACKAGE)): sorted(_imported_rooms(path) - ROOMS[room])
        for path in sorted((PACKAGE / room).rglob("*.py"))
    }
    assert not {module: rooms for module, rooms in problems.items() if rooms}


def test_the_tracker_imports_nothing_but_itself() -> None:
    """An agent that imports the tracker (and writes JSON lines or to
    memory) loads no dbt, no database driver and no other room."""
    code = (
        "import sys; import conversation_analytics.tracker; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dbt', 'duckdb', 'psycopg', 'click') or m.startswith('conversation_analytics.') "
        "and m.split('.')[1] not in ('tracker', 'contract', 'raw_table'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def test_a_warehouse_store_loads_its_driver_when_first_used() -> None:
    code = (
        "import sys; from conversation_analytics.tracker import DuckDBStore; "
        "print('duckdb' in sys.modules, 'psycopg' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == ["True", "False"]
