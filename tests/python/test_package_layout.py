"""The Python package is laid out by audience, and the tracker that agents
import stands alone: no dbt, no database driver, no command line, and none
of the package's other rooms comes with it; installed, it needs nothing but
its store's driver."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "conversation_analytics"

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


# The stores that import a driver, the extra that installs it, and the
# requirement that provides each module they import.
STORE_EXTRAS = {"duckdb_store.py": "duckdb", "postgres_store.py": "postgres", "otel.py": "otel"}
PROVIDED_BY = {
    "duckdb": "duckdb",
    "psycopg": "psycopg",
    "psycopg_pool": "psycopg[binary,pool]",
    "opentelemetry": "opentelemetry-sdk",
}


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of what a module imports anywhere in it, minus the
    standard library and this package."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__", "conversation_analytics"}


def test_the_tracker_installs_with_rapidfuzz_and_its_store_driver() -> None:
    """The core install is the tracker: it needs the standard library and
    RapidFuzz (its message similarity), and each driver store's imports (and
    the span processor's) come with that store's extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [req.split(">")[0] for req in project["dependencies"]] == ["rapidfuzz"]
    extras = project["optional-dependencies"]
    modules = [
        *sorted((PACKAGE / "tracker").rglob("*.py")),
        PACKAGE / "__init__.py",
        PACKAGE / "contract.py",
        PACKAGE / "raw_table.py",
    ]
    unprovided = {}
    for path in modules:
        requirements = project["dependencies"] + (
            extras[STORE_EXTRAS[path.name]] if path.name in STORE_EXTRAS else []
        )
        missing = sorted(
            name
            for name in _third_party_imports(path)
            if not any(req.startswith(PROVIDED_BY.get(name, name)) for req in requirements)
        )
        if missing:
            unprovided[str(path.relative_to(PACKAGE))] = missing
    assert not unprovided


def test_the_command_without_the_pipeline_says_what_to_install() -> None:
    """The console script in a tracker-only install: one line, exit 1."""
    code = (
        "import sys; sys.modules['click'] = None; from conversation_analytics import main; main()"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr == (
        "Error: the command line needs the pipeline extra (click is not installed): "
        "pip install 'conversation-analytics[pipeline]'\n"
    )
