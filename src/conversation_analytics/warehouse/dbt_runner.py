"""Run this dbt project from Python: profiles, targets, vars.

The project ships `profiles.example.yml`; when `DBT_PROFILES_DIR` is not set,
it is copied to `<project>/.dbt/profiles.yml` so nobody has to copy a profile
by hand (and never over a profile someone edited). Connection settings come
from the environment (see the example).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGETS = ("duckdb", "postgres", "spark")
DEFAULT_DUCKDB_PATH = "conversation_analytics.duckdb"


class DbtError(RuntimeError):
    """dbt could not run, or reported failures."""


def find_project_dir(start: Path | None = None) -> Path:
    """The dbt project: `CA_PROJECT_DIR`, else the nearest folder holding
    `dbt_project.yml` above `start` (the working directory), else the one this
    package was installed from (an editable install of the repository)."""
    env = os.environ.get("CA_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt_project.yml").is_file():
            return folder
    source_checkout = Path(__file__).resolve().parents[3]
    if (source_checkout / "dbt_project.yml").is_file():
        return source_checkout
    raise DbtError(
        "no dbt_project.yml found: run from the project folder or set CA_PROJECT_DIR"
    )


# The first line of a generated profiles.yml: the hash of the rest, so a file
# nobody edited since it was written can be brought up to date, and any other
# file is left alone.
PROFILE_MARKER = "# Generated from profiles.example.yml by conversation_analytics, sha256 "


# sha256 of the profiles.example.yml of releases that copied it without the
# marker: a plain copy of one of them is an unmodified generated profile too.
EARLIER_EXAMPLES = frozenset({
    "24ef61b68b9357abef04d2402086216fe08f2ae1630a653740aafda00954fbc1",
    "d9e453f7064815240842592c812a17fbbf3fefaa3bb9b3661830fece2823f35d",
})


def _generated_profile(example: bytes) -> bytes:
    """profiles.yml as generated from the example's bytes: the marker line
    with the hash of the example, then the example."""
    digest = hashlib.sha256(example).hexdigest()
    note = "; edit this file and it is never overwritten again"
    return f"{PROFILE_MARKER}{digest}{note}\n".encode() + example


def _is_unmodified_generated(text: bytes, example: bytes) -> bool:
    """True when `text` is a generated profile nobody edited since (of this
    example or an earlier one), or a plain copy of the current example or
    of an earlier release's."""
    if text == example or hashlib.sha256(text).hexdigest() in EARLIER_EXAMPLES:
        return True
    first, newline, rest = text.partition(b"\n")
    if not newline or not first.startswith(PROFILE_MARKER.encode()):
        return False
    digest = first[len(PROFILE_MARKER):].split(b";", 1)[0].strip()
    return digest == hashlib.sha256(rest).hexdigest().encode()


def ensure_profiles_dir(project_dir: Path) -> Path:
    """The folder holding profiles.yml, creating it from the example if needed.

    `DBT_PROFILES_DIR` holding a profiles.yml is used as it is. Otherwise
    `<project>/.dbt/profiles.yml` (or the one in `DBT_PROFILES_DIR`) is
    written when absent, or rewritten from a changed example when it is
    still the unmodified file an earlier run generated; a profile anyone
    edited is never overwritten."""
    env = os.environ.get("DBT_PROFILES_DIR")
    if env and (Path(env) / "profiles.yml").is_file():
        return Path(env)
    folder = Path(env) if env else project_dir / ".dbt"
    example = project_dir / "profiles.example.yml"
    if not example.is_file():
        raise DbtError(f"{example} is missing: cannot make a dbt profile")
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / "profiles.yml"
    wanted = _generated_profile(example.read_bytes())
    current = profile.read_bytes() if profile.is_file() else None
    if current is None or (
        current != wanted and _is_unmodified_generated(current, example.read_bytes())
    ):
        # Write beside it and rename into place: dbt runs started at the same
        # time never read a half-written profile.
        partial = folder / f".profiles.yml.{os.getpid()}.tmp"
        partial.write_bytes(wanted)
        partial.replace(profile)
    return folder


def duckdb_path() -> str:
    """The DuckDB file the duckdb target uses (`CA_DUCKDB_PATH`)."""
    return os.environ.get("CA_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)


def target_schema(target: str) -> str:
    """The schema dbt builds into before custom suffixes (see profiles.example.yml)."""
    if target == "duckdb":
        return "analytics"
    if target == "spark":
        return os.environ.get("CA_SPARK_SCHEMA", "analytics")
    return os.environ.get("CA_PG_SCHEMA", "analytics")


def layer_schema(target: str, layer: str) -> str:
    """Where a folder's models land: dbt's default `<target schema>_<custom>`."""
    return f"{target_schema(target)}_{layer}"


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or unset, for None) environment variables for the block."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def release_duckdb() -> None:
    """Close the DuckDB connection dbt-duckdb keeps open in this process after
    a run, so the file can be opened again with another configuration (the
    report's read-only connection) or by another process."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        environment_in_use = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment_in_use is not None:
        # Best effort: the next run opens afresh either way.
        with suppress(Exception):
            environment_in_use.close()


@dataclass
class DbtResult:
    success: bool
    command: list[str]
    result: Any


def run_dbt(
    args: list[str],
    *,
    target: str = "duckdb",
    project_dir: Path | None = None,
    vars: Mapping[str, Any] | None = None,
    duckdb_file: str | os.PathLike[str] | None = None,
    check: bool = True,
) -> DbtResult:
    """Run one dbt command in-process (`args` like `["build", "--select", "x"]`).

    Raises `DbtError` when `check` and dbt reports a failure.
    """
    from dbt.cli.main import dbtRunner

    if target not in TARGETS:
        raise DbtError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    project = project_dir or find_project_dir()
    profiles = ensure_profiles_dir(project)
    command = [
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(profiles),
        "--target",
        target,
    ]
    if vars:
        command += ["--vars", json.dumps(dict(vars), default=str)]
    env: dict[str, str | None] = {}
    if duckdb_file is not None:
        env["CA_DUCKDB_PATH"] = str(Path(duckdb_file).resolve())
    with environment(env):
        try:
            outcome = dbtRunner().invoke(command)
        finally:
            if target == "duckdb":
                release_duckdb()
    if check and not outcome.success:
        detail = f": {outcome.exception}" if outcome.exception else ""
        raise DbtError(f"dbt {' '.join(args)} failed on {target}{detail}")
    return DbtResult(success=outcome.success, command=command, result=outcome.result)
