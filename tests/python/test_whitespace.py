"""One whitespace rule on every warehouse: ids, conversation ids and event
types padded with any Unicode whitespace character stage the same on
DuckDB and on PostgreSQL, and an all-whitespace id is quarantined as
missing_id (docs/event-contract.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conversation_analytics.contract import EventRecord
from conversation_analytics.warehouse import loader
from spec_reference import WHITESPACE, clean_text, parse_metadata
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


def _load_text_metadata(warehouse: Warehouse, events: list[EventRecord]) -> None:
    loader.load_events(
        events, warehouse.target, duckdb_path=warehouse.path, conninfo=warehouse.conninfo,
        replace=True, metadata_type="text",
    )  # type: ignore[arg-type]


def _stage(warehouse: Warehouse) -> None:
    warehouse.build(
        "--select", "conversation_event_types", "+stg_conversation_events",
        "+conversation_events_rejected", "--full-refresh",
    )


def test_text_metadata_padded_with_whitespace_parses_as_its_trimmed_text(
    warehouse: Warehouse,
) -> None:
    """A text metadata column is trimmed like every text field before it is
    parsed, as the contract's rule says: metadata wrapped in a no-break space
    or an ideographic space reads its keys, and two copies whose metadata
    differs only in that padding, which tie on every ordering key (the
    metadata's hash is of the trimmed text), stage the same event in either
    arrival order."""
    padded = {
        f"m{index}": f'{character}{{"agent_id": "A{index}", "turn": {index}}}{character * 2}'
        for index, character in enumerate(CHARACTERS.values())
    }
    events = [
        EventRecord(f"c-{event_id}", "u", "started", T0, text, id=event_id)
        for event_id, text in padded.items()
    ]
    staged_sql = (
        "select event_id, agent_id, turn, has_invalid_metadata from "
        + warehouse.relation("staging", "stg_conversation_events")
    )
    _load_text_metadata(warehouse, events)
    _stage(warehouse)
    staged = {row[0]: row[1:] for row in warehouse.execute(staged_sql)}
    expected = {}
    for event_id, text in padded.items():
        reference = parse_metadata(text)
        expected[event_id] = (
            reference.values["agent_id"], reference.values["turn"], reference.is_invalid
        )
    assert expected == {f"m{index}": (f"A{index}", index, False) for index in range(len(padded))}
    assert staged == expected

    # Copies of one id tied on every ordering key, in both arrival orders.
    plain = '{"agent_id": "plain", "turn": 1}'
    copies = [plain, "\u00a0" + plain + "\u3000"]
    for order in (copies, copies[::-1]):
        _load_text_metadata(
            warehouse, [EventRecord("c-tie", "u", "started", T0, text, id="tie") for text in order]
        )
        _stage(warehouse)
        assert warehouse.execute(staged_sql) == [("tie", "plain", 1, False)]
