"""The generated .dbt/profiles.yml: written when absent, brought up to date
while nobody has edited it, and never overwritten once someone has."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from conversation_analytics.warehouse.dbt_runner import (
    EARLIER_EXAMPLES,
    PROFILE_MARKER,
    ensure_profiles_dir,
)

REPO = Path(__file__).resolve().parents[2]

EXAMPLE = "conversation_analytics:\n  target: duckdb\n"
NEWER = "conversation_analytics:\n  target: duckdb\n  # a new setting\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    (tmp_path / "profiles.example.yml").write_text(EXAMPLE)
    return tmp_path


def _profile(project: Path) -> str:
    return (project / ".dbt" / "profiles.yml").read_text()


def test_an_absent_profile_is_written_from_the_example_with_a_marker(project: Path) -> None:
    assert ensure_profiles_dir(project) == project / ".dbt"
    text = _profile(project)
    assert text.startswith(PROFILE_MARKER) and text.endswith(EXAMPLE)


def test_an_unedited_generated_profile_follows_a_changed_example(project: Path) -> None:
    ensure_profiles_dir(project)
    (project / "profiles.example.yml").write_text(NEWER)
    ensure_profiles_dir(project)
    assert _profile(project).endswith(NEWER)


def test_a_plain_copy_of_the_example_is_taken_over(project: Path) -> None:
    (project / ".dbt").mkdir()
    (project / ".dbt" / "profiles.yml").write_text(EXAMPLE)
    ensure_profiles_dir(project)
    assert _profile(project).startswith(PROFILE_MARKER)


def test_a_plain_copy_of_an_earlier_release_s_example_is_taken_over(project: Path) -> None:
    earlier = subprocess.run(
        ["git", "-C", str(REPO), "show", "391a991:profiles.example.yml"],
        check=True, capture_output=True,
    ).stdout
    assert hashlib.sha256(earlier).hexdigest() in EARLIER_EXAMPLES
    (project / ".dbt").mkdir()
    (project / ".dbt" / "profiles.yml").write_bytes(earlier)
    ensure_profiles_dir(project)
    assert _profile(project).startswith(PROFILE_MARKER) and _profile(project).endswith(EXAMPLE)


@pytest.mark.parametrize("edit", ["body", "marker", "no-marker"])
def test_an_edited_profile_is_never_overwritten(project: Path, edit: str) -> None:
    ensure_profiles_dir(project)
    profile = project / ".dbt" / "profiles.yml"
    generated = profile.read_text()
    edited = {
        "body": generated.replace("target: duckdb", "target: postgres"),
        "marker": generated.replace("sha256 ", "sha256 0"),
        "no-marker": "my_profile:\n  target: prod\n",
    }[edit]
    profile.write_text(edited)
    (project / "profiles.example.yml").write_text(NEWER)
    ensure_profiles_dir(project)
    ensure_profiles_dir(project)
    assert profile.read_text() == edited


def test_a_profiles_dir_from_the_environment_is_used_as_it_is(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "profiles.yml").write_text("mine: {}\n")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(own))
    assert ensure_profiles_dir(project) == own
    assert (own / "profiles.yml").read_text() == "mine: {}\n"
