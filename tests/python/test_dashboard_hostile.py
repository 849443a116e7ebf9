"""The dashboard with hostile values in the data: agent ids, tool names and
models holding `</script>`, `<!--`, `<script`, markup, `&` and the line and
paragraph separators. The page still parses: two script elements and no
stray `</script>`, the embedded JSON round-trips to the data, every value
shown is escaped, and in headless Chromium the page runs without errors and
shows the values as text."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conversation_analytics.presentation import dashboard
from conversation_analytics.presentation.dashboard.page import script_json
from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import dbt_runner, loader
from headless_chromium import file_url, open_page
from test_dashboard import REPO, chromium  # noqa: F401 (a fixture)

HOSTILE_AGENT = '</script><script>document.title="owned"</script>'
HOSTILE_TOOL = "<!--<script>"
HOSTILE_MODEL = "m</SCRIPT ><img src=x onerror=alert(1)>&amp;\u2028\u2029\"'"
HOSTILE = (HOSTILE_AGENT, HOSTILE_TOOL, HOSTILE_MODEL)


@dataclass
class Hostile:
    page: Path
    text: str
    data: dashboard.DashboardData


@pytest.fixture(scope="module")
def hostile(dbt_scratch: Path, tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    folder = tmp_path_factory.mktemp("hostile-dashboard")
    database = folder / "hostile.duckdb"
    simulation = run_simulation(150, date(2026, 10, 5), 14, seed=17, faults=False)
    agent = tool = model = None
    for event in simulation.events:
        metadata = event.metadata if isinstance(event.metadata, dict) else {}
        agent = agent or metadata.get("agent_id")
        tool = tool or metadata.get("tool_name")
        model = model or metadata.get("model")
        replaced = {"agent_id": (agent, HOSTILE_AGENT), "tool_name": (tool, HOSTILE_TOOL),
                    "model": (model, HOSTILE_MODEL)}
        for key, (plain, hostile_value) in replaced.items():
            if key in metadata and metadata[key] == plain:
                metadata[key] = hostile_value
    loader.load_events(simulation.events, "duckdb", replace=True, duckdb_path=database)
    dbt_runner.run_dbt(["build", "--quiet"], project_dir=REPO, duckdb_file=database)
    data = dashboard.gather_dashboard("duckdb", duckdb_path=database)
    page = dashboard.write_dashboard("duckdb", folder / "dashboard.html", duckdb_path=database)
    return Hostile(page=page, text=page.read_text(encoding="utf-8"), data=data)


class _Scripts(HTMLParser):
    """The script elements of a page, as an HTML parser splits them."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def test_the_hostile_values_reach_the_dashboard(hostile: Hostile) -> None:
    assert HOSTILE_AGENT in {a.agent_id for a in hostile.data.agents}
    assert HOSTILE_TOOL in {t.tool_name for t in hostile.data.tools}
    assert HOSTILE_MODEL in {m.model for m in hostile.data.models}


def test_embedded_json_round_trips_and_nothing_closes_the_script(hostile: Hostile) -> None:
    parser = _Scripts()
    parser.feed(hostile.text)
    parser.close()
    # The data and the sorting script: no value opened or closed another.
    assert [attrs.get("id") for attrs, _ in parser.scripts] == ["dashboard-data", None]
    assert hostile.text.count("</script>") == 2
    assert hostile.text.lower().count("<script") == 2
    assert "<!--" not in hostile.text
    (payload,) = [text for attrs, text in parser.scripts if attrs.get("id") == "dashboard-data"]
    for unsafe in ("<", ">", "&", "\u2028", "\u2029"):
        assert unsafe not in payload
    expected = json.loads(json.dumps(asdict(hostile.data), default=lambda v: v.isoformat()))
    assert json.loads(payload) == expected


def test_every_hostile_value_is_shown_escaped(hostile: Hostile) -> None:
    for value in HOSTILE:
        assert value not in hostile.text
        assert html.escape(value, quote=True) in hostile.text
    assert "<img" not in hostile.text


def test_script_json_escapes_what_a_script_element_cannot_hold() -> None:
    value = {"a": "</script><!--<script>&\u2028\u2029", "<k>": [1, "é"]}
    text = script_json(value)
    assert json.loads(text) == value
    assert not set("<>&\u2028\u2029") & set(text)
    assert "\\u003c/script\\u003e" in text


def test_hostile_page_runs_in_chromium_and_shows_the_values_as_text(
    hostile: Hostile, chromium: str  # noqa: F811
) -> None:
    with open_page(file_url(hostile.page), executable=chromium) as (browser, report):
        ready = browser.evaluate("document.documentElement.getAttribute('data-dashboard-ready')")
        scripts = browser.evaluate("document.scripts.length")
        title = browser.evaluate("document.title")
        embedded = browser.evaluate(
            "JSON.parse(document.getElementById('dashboard-data').textContent)"
        )
        shown = browser.evaluate(
            "Array.from(document.querySelectorAll('td.name')).map(e => e.textContent)"
        )
        images = browser.evaluate("document.images.length")
    assert ready == "true"
    assert scripts == 2 and images == 0
    assert title == "Conversation analytics dashboard"
    assert report.console_errors == [] and report.exceptions == []
    assert report.network_requests() == []
    assert HOSTILE_AGENT in {a["agent_id"] for a in embedded["agents"]}
    assert {HOSTILE_AGENT, HOSTILE_TOOL, HOSTILE_MODEL} <= set(shown)
