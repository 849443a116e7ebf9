"""The dashboard: one self-contained HTML page, checked in Debian's headless
Chromium (no console error, no network request, charts that draw) and
against the marts (the headline numbers shown are the marts' columns).

Chromium comes from scripts/install-chromium.sh (the test setup runs it).
Set CA_SKIP_BROWSER_TESTS=1 to skip the browser tests on a machine without it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict

from conversation_analytics.presentation import dashboard
from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import dbt_runner, loader
from headless_chromium import Browser, PageReport, decode_png, file_url, find_chromium, open_page

REPO = Path(__file__).resolve().parents[2]
MARTS = dbt_runner.layer_schema("duckdb", "marts")
WHITE = (255, 255, 255)


@dataclass
class Built:
    database: Path
    page: Path
    data: dashboard.DashboardData

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with closing(loader.connect_duckdb(self.database, must_exist=True)) as connection:
            return connection.execute(query).fetchall()


@pytest.fixture(scope="module")
def built(dbt_scratch: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("dashboard")
    database = folder / "dashboard.duckdb"
    simulation = run_simulation(700, date(2026, 10, 5), 28, seed=31, faults=True)
    loader.load_events(simulation.events, "duckdb", replace=True, duckdb_path=database)
    # The plain alert rule: on 700 conversations the simulator's one-week
    # fall is not significant, and the league test needs an alert to show.
    dbt_runner.run_dbt(["seed", "--quiet"], project_dir=REPO, duckdb_file=database)
    dbt_runner.run_dbt(
        ["run", "--quiet", "--vars", "{alert_rule: points}"], project_dir=REPO,
        duckdb_file=database,
    )
    data = dashboard.gather_dashboard("duckdb", duckdb_path=database)
    page = dashboard.write_dashboard("duckdb", folder / "out" / "dashboard.html",
                                     duckdb_path=database)
    return Built(database=database, page=page, data=data)


@pytest.fixture(scope="module")
def chromium() -> str:
    if os.environ.get("CA_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("CA_SKIP_BROWSER_TESTS=1")
    found = find_chromium()
    if found is None:
        pytest.fail(
            "no Chromium on PATH: run scripts/install-chromium.sh (Debian's chromium "
            "package), or set CA_SKIP_BROWSER_TESTS=1",
            pytrace=False,
        )
    return found


@dataclass
class Loaded:
    report: PageReport
    metrics: dict[str, str]
    ready: str | None
    charts: list[dict[str, Any]]
    chart_images: list[tuple[str, int, float]]
    page_image: tuple[int, float]
    league_alert_cells: int
    daily_points: int


@pytest.fixture(scope="module")
def loaded(built: Built, chromium: str) -> Iterator[Loaded]:
    with open_page(file_url(built.page), executable=chromium) as (browser, report):
        loaded = _inspect(browser, report)
    yield loaded


def _inspect(browser: Browser, report: PageReport) -> Loaded:
    metrics = dict(
        browser.evaluate(
            "Array.from(document.querySelectorAll('#headline [data-metric]'))"
            ".map(e => [e.dataset.metric, e.textContent])"
        )
    )
    charts = browser.evaluate(
        "Array.from(document.querySelectorAll('svg.chart')).map(e => {"
        " const r = e.getBoundingClientRect();"
        " return {label: e.getAttribute('aria-label'), x: r.x + window.scrollX,"
        " y: r.y + window.scrollY, width: r.width, height: r.height,"
        " marks: e.querySelectorAll('rect.bar, polyline.series, circle').length}; })"
    )
    images = []
    for chart in charts:
        if chart["width"] < 1 or chart["height"] < 1:
            images.append((chart["label"], 0, 0.0))
            continue
        clip = {k: chart[k] for k in ("x", "y", "width", "height")}
        image = decode_png(browser.screenshot(clip))
        images.append((chart["label"], image.distinct_colors(), image.share_unlike(WHITE)))
    whole = decode_png(browser.screenshot())
    return Loaded(
        report=report,
        metrics=metrics,
        ready=browser.evaluate("document.documentElement.getAttribute('data-dashboard-ready')"),
        charts=charts,
        chart_images=images,
        page_image=(whole.distinct_colors(), whole.share_unlike(WHITE)),
        league_alert_cells=browser.evaluate(
            "document.querySelectorAll('#league-table td.alert').length"
        ),
        daily_points=browser.evaluate("document.querySelectorAll('#daily-rates circle').length"),
    )


# --- the page on its own ------------------------------------------------------------------


def test_page_is_one_self_contained_file(built: Built) -> None:
    text = built.page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no external script, stylesheet, image, font or frame.
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+rel=\"stylesheet\"", text)
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    assert not re.search(r"url\((?!data:)", text)
    assert "@import" not in text
    assert "default-src 'none'" in text  # and a CSP that would block it anyway
    embedded = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', text, re.S
    )
    assert embedded is not None
    assert json.loads(embedded.group(1))["headline"]["total_conversations"] > 0


def test_dashboard_data_reads_the_window_of_the_marts(built: Built) -> None:
    """The default window is the longest the marts hold; its sections add up.
    (test_presentation_reads_marts.py compares every figure with its column.)"""
    data = built.data
    (longest,) = built.sql(f"select max(window_days) from {MARTS}.conversation_summary")[0]
    assert data.window.days == longest
    (total, completion, handoff) = built.sql(
        "select total_conversations, completion_rate, handoff_rate "
        f"from {MARTS}.conversation_summary where window_days = {longest}"
    )[0]
    assert (data.headline.total_conversations, data.headline.completion_rate) == (
        total,
        completion,
    )
    assert data.headline.handoff_rate == handoff
    assert sum(d.total_conversations for d in data.daily) == total
    # The drop-off curve starts with everyone and only falls.
    shares = [t.still_going_share for t in data.turns]
    assert shares[0] == 100.0
    assert all(a >= b for a, b in zip(shares, shares[1:], strict=False))
    assert sum(b.conversations for b in data.satisfaction_bins) == total
    assert sum(g.conversations for g in data.coverage) == total
    # With the default vars, a conversation with no signal scores exactly 0.5.
    (no_signal,) = [g for g in data.coverage if g.key == "none"]
    assert no_signal.conversations > 0
    assert no_signal.avg_satisfaction_score == 0.5
    alerts = built.sql(
        f"select week_start, agent_id from {MARTS}.agent_performance_weekly "
        f"where completion_rate_alert and week_start >= cast('{data.weeks[0]}' as date)"
    )
    assert {(w, a) for w, a, _ in data.alerts} == set(alerts)
    (calls,) = built.sql(
        f"select sum(total_calls) from {MARTS}.conversation_summary_by_tool "
        f"where window_days = {longest}"
    )[0]
    assert sum(t.total_calls for t in data.tools) == calls


def test_write_dashboard_says_what_to_do_without_marts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    with closing(loader.connect_duckdb(empty)):
        pass
    with pytest.raises(dashboard.DashboardError, match="conversation-analytics build"):
        dashboard.write_dashboard("duckdb", tmp_path / "x.html", duckdb_path=empty)


# --- acceptance: in headless Chromium -------------------------------------------------------


def test_page_loads_without_console_errors_or_network_requests(loaded: Loaded) -> None:
    assert loaded.ready == "true"  # the inline script ran to its end
    assert loaded.report.console_errors == []
    assert loaded.report.exceptions == []
    assert loaded.report.log_errors == []
    assert loaded.report.network_requests() == []
    # The page itself, from disk (and Chromium's own data: icons, such as the
    # date inputs' calendar).
    assert [u for u in loaded.report.requests if not u.startswith("data:")] == [
        loaded.report.url
    ]


def test_charts_render(loaded: Loaded, built: Built) -> None:
    labels = [chart["label"] for chart in loaded.charts]
    for expected in (
        "Daily rates, percent, with intervals",
        "Share of conversations still going at each turn",
        "Share of conversations abandoned at each turn",
        "Satisfaction score distribution",
        "Explicit vs implicit coverage",
        "Completion rate of conversations using each tool",
        "Completion rate of conversations each model answered in",
    ):
        assert expected in labels
    for chart in loaded.charts:
        assert chart["width"] > 100 and chart["height"] > 30, chart
        assert chart["marks"] > 0, chart
    for label, colors, inked in loaded.chart_images:
        # Not blank: several colours, and a fair part of the box drawn on.
        assert colors >= 4, (label, colors)
        assert inked > 0.02, (label, inked)
    page_colors, page_inked = loaded.page_image
    assert page_colors > 50 and page_inked > 0.2
    # Three series, one point per day with conversations.
    assert loaded.daily_points == 3 * len(built.data.explore.dates)


def test_headline_numbers_shown_equal_the_marts(loaded: Loaded, built: Built) -> None:
    """With no filter set, the headline is the days the window touches,
    whole days: conversation_metrics_daily summed (test_dashboard_explore.py
    checks each filter)."""
    dates = built.data.explore.dates
    (row,) = built.sql(
        "select sum(total_conversations), floor(1000 * cast(sum(completed_conversations) "
        "as double) / sum(total_conversations) + 0.5 + 1e-7) / 10 "
        f"from {MARTS}.conversation_metrics_daily "
        f"where started_date between date '{dates[0]}' and date '{dates[-1]}'"
    )
    total, completion = row
    assert loaded.metrics["total_conversations"] == f"{total:,}"
    assert loaded.metrics["completion_rate"] == f"{completion:.1f} %"
    assert set(loaded.metrics) == {
        "total_conversations", "completion_rate", "abandonment_rate", "handoff_rate",
        "avg_turns", "avg_satisfaction_score", "rephrase_rate",
    }
    assert "–" not in loaded.metrics.values()


def test_league_table_highlights_the_alerts_of_the_weeks_shown(
    loaded: Loaded, built: Built
) -> None:
    weeks = built.data.weeks
    alerts = built.sql(
        f"select count(*) from {MARTS}.agent_performance_weekly where completion_rate_alert "
        f"and week_start >= cast('{weeks[0].isoformat()}' as date)"
    )[0][0]
    assert loaded.league_alert_cells == alerts
    # The simulator degrades one agent for a week: the page must show it.
    assert alerts >= 1


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_dashboard_on_postgres_shows_what_duckdb_shows(
    postgres_conninfo: str, dbt_scratch: Path, tmp_path: Path
) -> None:
    """The page's queries are portable: the same events give the same figures."""
    events = run_simulation(150, date(2026, 10, 5), 14, seed=37, faults=True).events
    database = tmp_path / "parity.duckdb"
    loader.load_events(events, "duckdb", replace=True, duckdb_path=database)
    loader.load_events(events, "postgres", replace=True, conninfo=postgres_conninfo)
    settings = conninfo_to_dict(postgres_conninfo)
    env = {
        "PGHOST": str(settings.get("host", "")),
        "PGPORT": str(settings.get("port", "")),
        "PGUSER": str(settings.get("user", "")),
        "PGDATABASE": str(settings["dbname"]),
    }
    with dbt_runner.environment(env):
        for command in ("seed", "run"):
            dbt_runner.run_dbt([command, "--quiet"], target="postgres", project_dir=REPO)
            dbt_runner.run_dbt([command, "--quiet"], project_dir=REPO, duckdb_file=database)
        on_postgres = dashboard.gather_dashboard("postgres", conninfo=postgres_conninfo)
    on_duckdb = dashboard.gather_dashboard("duckdb", duckdb_path=database)
    ignore = {"target", "schema", "generated_at"}
    left, right = asdict(on_postgres), asdict(on_duckdb)
    assert {k: v for k, v in left.items() if k not in ignore} == {
        k: v for k, v in right.items() if k not in ignore
    }
    assert on_postgres.headline.total_conversations > 0
    page = dashboard.write_dashboard("postgres", tmp_path / "pg.html", conninfo=postgres_conninfo)
    assert "Agent league table" in page.read_text(encoding="utf-8")
