"""An agent installs the tracker without the pipeline: `pip install
'conversation-analytics[duckdb]'` into a fresh virtual environment brings
the tracker and DuckDB, and no dbt, no sqlfluff, no command line.

One venv, one pip install from a copy of this project (a built wheel, not
an editable install, so nothing reaches back into the source tree). pip
needs PyPI for the build backend and DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs inside the tracker-only venv: records through both trackers into
# DuckDB and JSON lines, reads both back, prints what it read.
RECORD_AND_READ = """
import asyncio
import json
import sys
from pathlib import Path

import duckdb

import conversation_analytics
from conversation_analytics.tracker import (
    ConversationTracker,
    DuckDBStore,
    JsonLinesStore,
    SyncConversationTracker,
)

folder = Path(sys.argv[1])
database = folder / "events.duckdb"
jsonl_dir = folder / "jsonl"

with SyncConversationTracker(DuckDBStore(database)) as tracker:
    tracker.started("c-1", "u-1", channel="web", agent_id="support")
    tracker.user_message("c-1", "u-1", text="How do I reset my password?")
    tracker.completed("c-1", "u-1")


async def to_jsonl():
    async with ConversationTracker(JsonLinesStore(jsonl_dir)) as tracker:
        await tracker.started("c-2", "u-2", channel="api", agent_id="billing")
        await tracker.abandoned("c-2", "u-2")


asyncio.run(to_jsonl())

with duckdb.connect(str(database), read_only=True) as con:
    in_duckdb = con.execute(
        "select conversation_id, event_type from raw.conversation_events"
    ).fetchall()
in_jsonl = [
    json.loads(line)
    for path in sorted(jsonl_dir.glob("*.jsonl"))
    for line in path.read_text().splitlines()
]
print(json.dumps({
    "module": conversation_analytics.__file__,
    "duckdb": sorted(list(row) for row in in_duckdb),
    "jsonl": sorted([row["conversation_id"], row["event_type"]] for row in in_jsonl),
}))
"""


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def test_the_duckdb_extra_installs_the_tracker_without_the_pipeline(tmp_path: Path) -> None:
    # A copy of what the build reads, so the build writes nothing here.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src",
        project / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{project}[duckdb]"],
        env,
        tmp_path,
    )
    seconds = time.perf_counter() - started
    print(f"venv + pip install '.[duckdb]': {seconds:.1f} s")
    assert install.returncode == 0, install.stdout + install.stderr

    listed = _run([str(bin_dir / "python"), "-m", "pip", "list", "--format=json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    installed = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    assert "duckdb" in installed
    assert sorted(installed & {"dbt-core", "dbt-duckdb", "dbt-postgres", "sqlfluff", "click"}) == []

    script = tmp_path / "record_and_read.py"
    script.write_text(RECORD_AND_READ)
    ran = _run([str(bin_dir / "python"), str(script), str(tmp_path)], env, tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    shown = json.loads(ran.stdout)
    assert Path(shown["module"]).is_relative_to(venv)
    assert shown["duckdb"] == [["c-1", "completed"], ["c-1", "started"], ["c-1", "user_message"]]
    assert shown["jsonl"] == [["c-2", "abandoned"], ["c-2", "started"]]

    # The command line is not there, and says in one line how to get it.
    command = _run([str(bin_dir / "conversation-analytics"), "--help"], env, tmp_path)
    assert command.returncode == 1
    assert "Traceback" not in command.stderr
    assert command.stderr.strip().count("\n") == 0
    assert "pip install 'conversation-analytics[pipeline]'" in command.stderr
