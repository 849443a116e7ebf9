"""The dbt vars: a misspelt var fails the run and names itself, instead of
being ignored while the default stays in force."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conversation_analytics.warehouse.dbt_runner import ensure_profiles_dir

ROOT = Path(__file__).resolve().parents[2]


def _as_vars(pair: str) -> str:
    key, value = pair.split("=")
    return f"{{{key}: {value}}}"


def _known_vars() -> list[str]:
    text = (ROOT / "macros" / "hooks" / "known_vars.sql").read_text()
    return re.findall(r"'([a-z_]+)':", text)


def test_known_vars_are_the_vars_dbt_project_declares() -> None:
    declared = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    assert sorted(_known_vars()) == sorted(declared)


def test_every_var_the_project_reads_is_a_known_var() -> None:
    """A var read anywhere (models, macros, tests, analyses) but missing from
    known_vars would make check_vars refuse it."""
    read: set[str] = set()
    for folder in ("models", "macros", "tests", "analyses"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".sql", ".yml"):
                read |= set(re.findall(r"var\(\s*['\"]([a-z_]+)['\"]", path.read_text()))
    assert sorted(read - set(_known_vars())) == []


def test_every_known_var_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in _known_vars() if f"`{name}`" not in readme]
    assert not missing, f"README's vars table lacks {missing}"


def _seed(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dbt seed` of one small seed, as a scheduler would run dbt: the
    on-run-start hooks run before any node."""
    env = {**os.environ, "CA_DUCKDB_PATH": str(tmp_path / "vars.duckdb")}
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), "seed", "--select", "conversation_event_types", "--target", "duckdb",
         "--project-dir", str(ROOT), "--profiles-dir", str(ensure_profiles_dir(ROOT)), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("given", "named", "hint"),
    [
        ("inactivity_timout_minutes=45", "inactivity_timout_minutes", "inactivity_timeout_minutes"),
        ("satisfaction_neutral=0.6", "satisfaction_neutral", "satisfaction_neutral_score"),
        ("timeout_minutes=45", "timeout_minutes", None),
    ],
)
def test_a_misspelt_var_fails_the_run_and_names_itself(
    tmp_path: Path, given: str, named: str, hint: str | None, dbt_scratch: Path
) -> None:
    result = _seed(tmp_path, "--vars", _as_vars(given))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"unknown var {named}" in output
    said = output.split(f"unknown var {named}", 1)[1].splitlines()[0]
    if hint:
        assert said.startswith(f" (did you mean {hint}?)"), said
    else:
        assert "did you mean" not in said, said


def test_a_known_var_is_accepted(tmp_path: Path, dbt_scratch: Path) -> None:
    result = _seed(tmp_path, "--vars", _as_vars("inactivity_timeout_minutes=45"))
    assert result.returncode == 0, result.stdout + result.stderr
