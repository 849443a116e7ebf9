"""selectors.yml parses, and its named selections for scheduled runs hold
what README ("Running on a schedule") says: hourly is everything but the
whole-table checks and the unit tests, nightly is everything, freshness is the raw source."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversation_analytics.warehouse import dbt_runner

REPO = Path(__file__).resolve().parents[2]
WHOLE_TABLE_CHECKS = {
    "assert_no_raw_row_is_lost",
    "assert_daily_metrics_cover_every_conversation",
    "warn_quarantine_share_jumps",
    "warn_late_arriving_events",
    "warn_first_event_is_not_started",
    "warn_events_after_terminal_event",
    "warn_more_than_one_terminal_event",
}


def _ls(*args: str) -> set[str]:
    outcome = dbt_runner.run_dbt(["ls", "--quiet", "--output", "name", *args], project_dir=REPO)
    return set(outcome.result)


@pytest.fixture(scope="module")
def selections(dbt_scratch: Path) -> dict[str, set[str]]:
    return {
        "hourly": _ls("--selector", "hourly"),
        "nightly": _ls("--selector", "nightly"),
        "freshness": _ls("--selector", "freshness"),
        "unit_tests": _ls("--resource-type", "unit_test"),
        # What `dbt build` acts on: every node but the source.
        "all": _ls() - {"conversation_events.conversation_events"},
    }


def test_nightly_is_everything(selections: dict[str, set[str]]) -> None:
    assert selections["nightly"] == selections["all"]
    assert selections["nightly"] >= WHOLE_TABLE_CHECKS


def test_hourly_is_everything_but_the_whole_table_checks(
    selections: dict[str, set[str]],
) -> None:
    assert selections["unit_tests"]
    assert selections["hourly"] == selections["all"] - WHOLE_TABLE_CHECKS - selections["unit_tests"]
    assert selections["hourly"] >= {"stg_conversation_events", "fct_conversations"}


def test_freshness_is_the_raw_source(selections: dict[str, set[str]]) -> None:
    assert selections["freshness"] == {"conversation_events.conversation_events"}
