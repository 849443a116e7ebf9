"""One whitespace rule on every warehouse: ids, conversation ids and event
types padded with any Unicode whitespace character stage the same on
DuckDB and on PostgreSQL, and an all-whitespace id is quarantined as
missing_id (docs/event-contract.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conversation_analytics.contract import EventRecord
from spec_reference import WHITESPACE, clean_text
from test_hostile_input import T0, Warehouse

# Every character of the rule, named for the test ids.
CHARACTERS = {f"U+{ord(character):04X}": character for character in WHITESPACE}


def test_the_rule_covers_every_character_the_contract_names() -> None:
    named = {0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF}
    assert {ord(character) for character in WHITESPACE} == named
    for character in WHITESPACE:
        assert clean_text(f"{character}a{character}b{character}{character}") == f"a{character}b"
        assert clean_text(character * 3) is None


def _padded_events() -> list[EventRecord]:
    events = []
    for index, character in enumerate(CHARACTERS.values()):
        pad = character * (1 + index % 2)
        events.append(
            EventRecord(
                f"{pad}c{index}{character}", f"{character}u{index}{pad}",
                f"{pad}Started{character}", T0, {"agent_id": "a"}, id=f"{character}e{index}{pad}",
            )
        )
        events.append(
            EventRecord(f"blank-{index}", None, "started", T0, {}, id=pad + character)
        )
    return events


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, dbt_scratch: Path
) -> Iterator[Warehouse]:
    conninfo = request.getfixturevalue("postgres_conninfo") if request.param == "postgres" else None
    yield Warehouse(request.param, tmp_path, conninfo)


def test_padded_ids_and_types_stage_trimmed_and_blank_ids_are_missing(
    warehouse: Warehouse,
) -> None:
    events = _padded_events()
    warehouse.load(events)
    warehouse.build(
        "--select", "conversation_event_types", "+stg_conversation_events",
        "+conversation_events_rejected",
    )

    staged = warehouse.execute(
        "select event_id, conversation_id, user_id, event_type from "
        + warehouse.relation("staging", "stg_conversation_events")
    )
    expected = {
        (f"e{index}", f"c{index}", f"u{index}", "started") for index in range(len(CHARACTERS))
    }
    assert set(staged) == expected
    # The Python reference reads the same rows the same way.
    assert {
        (clean_text(e.id), clean_text(e.conversation_id), clean_text(e.user_id),
         str(clean_text(e.event_type)).lower())
        for e in events if clean_text(e.id)
    } == expected

    rejected = warehouse.execute(
        "select conversation_id, event_id, rejection_reason from "
        + warehouse.relation("staging", "conversation_events_rejected")
    )
    assert sorted(rejected) == sorted(
        (f"blank-{index}", None, "missing_id") for index in range(len(CHARACTERS))
    )
