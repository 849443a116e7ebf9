"""What a scheduled run's log says when a definition var changed: one line per
incremental model rebuilt in full, naming the var with the value the model
was built with and the value now in force, or saying that nothing records
its last build (a project upgraded from a release before the record). dbt
asks should_full_refresh several times per model, while compiling and while
running it; the line is written once."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from conversation_analytics.warehouse import dbt_runner
from test_hostile_input import Warehouse, _normal_events
from test_raw_retention import LogTail

STAGING = "stg_conversation_events"
ROLLUP = "int_events_rolled_up_to_conversations"
# The relation's last part, then what the line says about it.
REBUILT_LINE = re.compile(r'"(?P<model>\w+)": (?P<says>.*, so it is rebuilt in full)\s*$')


def _rebuilt(warehouse: Warehouse, scratch: Path, vars: dict[str, Any] | None) -> Counter:
    log = LogTail(scratch)
    dbt_runner.run_dbt(
        ["run", "--select", "conversation_event_types", f"+{ROLLUP}"],
        target="duckdb",
        duckdb_file=warehouse.path,
        vars=vars,
    )
    found = (REBUILT_LINE.search(line) for line in log.read().splitlines())
    return Counter((match["model"], match["says"]) for match in found if match)


def test_a_rebuild_for_changed_definitions_is_logged_once_per_model_and_says_why(
    tmp_path: Path, dbt_scratch: Path
) -> None:
    warehouse = Warehouse("duckdb", tmp_path, None)
    warehouse.load(_normal_events())
    assert _rebuilt(warehouse, dbt_scratch, None) == Counter()

    # A changed var: each incremental model it reaches, once, with both values.
    changed = (
        "the definitions changed since its last build:"
        " rephrase_similarity_threshold (0.85, now 0.9), so it is rebuilt in full"
    )
    tuned = {"rephrase_similarity_threshold": 0.9}
    lines = _rebuilt(warehouse, dbt_scratch, tuned)
    assert {STAGING, ROLLUP} <= {model for model, _ in lines}
    assert set(lines.values()) == {1}
    assert {says for _, says in lines} == {changed}

    # Recorded now: the same vars rebuild nothing.
    assert _rebuilt(warehouse, dbt_scratch, tuned) == Counter()

    # A model with no record (built by a release before the record existed).
    warehouse.execute(
        "delete from analytics_staging.ca_definition_state "
        f"where model_name = '{ROLLUP}'"
    )
    unrecorded = (
        "nothing records the definitions of its last build (built by an earlier release),"
        " so it is rebuilt in full"
    )
    assert _rebuilt(warehouse, dbt_scratch, tuned) == Counter({(ROLLUP, unrecorded): 1})
