"""The dashboard as a page to explore, in headless Chromium: each filter
(dates, agent, channel, model) shows the marts' figures for its slice, the
intervals are the marts' Wilson intervals, the drill-down lists the right
conversations, `unknown` agents and channels stand apart, and the page
lays out at 1400 and 400 px without widening the page.

The expected figures are queried from the marts: the additive columns of
the slice summed in SQL and divided with the macros' formulas (the
percentage and round_half_away macros spelled out), or, for a slice a mart
row holds, that row's own columns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conversation_analytics.presentation import dashboard
from conversation_analytics.presentation.dashboard.data import DRILL_SHOWN
from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import dbt_runner, loader
from headless_chromium import Browser, PageReport, decode_png, file_url, open_page
from test_dashboard import MARTS, REPO, WHITE, Built, chromium  # noqa: F401 (a fixture)

RATES = ("completion_rate", "abandonment_rate", "handoff_rate")
SHARES = {
    "completed": "completed_share",
    "abandoned": "ended_abandoned_share",
    "handed off": "ended_handed_off_share",
    "timed out": "timed_out_share",
    "in progress": "in_progress_share",
}
SLICE_COLUMNS = (
    "total_conversations", "completed_conversations", "abandoned_conversations",
    "handoff_conversations", "sum_user_turns", "sum_satisfaction_score", "sum_rephrase_count",
)


def _round(expr: str, digits: int) -> str:
    """The round_half_away macro, in SQL."""
    scale = 10**digits
    return f"(sign({expr}) * floor(abs({expr}) * {scale} + 0.5 + 1e-7) / {scale})"


def _pct(numerator: str, denominator: str) -> str:
    """The percentage macro, in SQL."""
    return f"(100 * cast({numerator} as double) / nullif({denominator}, 0))"


@dataclass
class Page:
    browser: Browser
    url: str
    built: Built

    def show(self, drill_kind: str = "", **filters: str) -> dict[str, Any]:
        """Set the filters (the others to their defaults) and read the
        headline: {metric: value, metric_ci: (low, high)}."""
        values = {f"filter-{key}": value for key, value in filters.items()}
        values["drill-kind"] = drill_kind
        shown = self.browser.evaluate(
            "(function (values) {"
            " document.getElementById('filters').reset();"
            " document.getElementById('drill-kind').value = values['drill-kind'] || '';"
            " Object.keys(values).forEach(function (id) {"
            "   if (id !== 'drill-kind') { document.getElementById(id).value = values[id]; } });"
            " window.dashboardExplore.update();"
            " var out = {};"
            " document.querySelectorAll('#headline [data-metric]').forEach(function (e) {"
            "   out[e.dataset.metric] = e.dataset.value; });"
            " document.querySelectorAll('#headline [data-ci]').forEach(function (e) {"
            "   out[e.dataset.ci + '_ci'] = [e.dataset.low, e.dataset.high]; });"
            f" return out; }})({json.dumps(values)})"
        )
        return {
            key: (
                tuple(float(v) if v else None for v in value)
                if isinstance(value, list)
                else None if value == "" else float(value)
            )
            for key, value in shown.items()
        }

    def drill(self, kind: str = "", **filters: str) -> list[str]:
        self.show(kind, **filters)
        return self.browser.evaluate(
            "Array.from(document.querySelectorAll('#drill-body tr'))"
            ".map(function (r) { return r.dataset.conversation; })"
        )

    def report(self) -> PageReport:
        return PageReport.of_events(self.url, self.browser.events)


@pytest.fixture(scope="module")
def explored(dbt_scratch: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Four weeks of conversations from a Wednesday: the 28-day window
    touches five calendar weeks, the widest league table."""
    folder = tmp_path_factory.mktemp("dashboard-explore")
    database = folder / "explore.duckdb"
    simulation = run_simulation(700, date(2026, 10, 7), 28, seed=31, faults=True)
    loader.load_events(simulation.events, "duckdb", replace=True, duckdb_path=database)
    for command in ("seed", "run"):
        dbt_runner.run_dbt([command, "--quiet"], project_dir=REPO, duckdb_file=database)
    data = dashboard.gather_dashboard("duckdb", duckdb_path=database)
    page = dashboard.write_dashboard("duckdb", folder / "dashboard.html", duckdb_path=database)
    assert len(data.weeks) == 5
    return Built(database=database, page=page, data=data)


@pytest.fixture(scope="module")
def page(explored: Built, chromium: str) -> Iterator[Page]:  # noqa: F811
    url = file_url(explored.page)
    with open_page(url, executable=chromium) as (browser, _):
        yield Page(browser, url, explored)


@pytest.fixture
def fresh(page: Page) -> Page:
    page.browser.set_viewport(1400)
    page.show()
    return page


def _expected(warehouse: Built, mart: str, where: str) -> dict[str, Any]:
    """The headline of the slice `where` of `mart`: its sums divided as the
    macro conversation_rate_aggregates divides."""
    sums = ", ".join(f"sum({c}) as {c}" for c in SLICE_COLUMNS)
    figures = {
        "total_conversations": "total_conversations",
        **{
            rate: _round(_pct(count, "total_conversations"), 1)
            for rate, count in zip(
                RATES,
                ("completed_conversations", "abandoned_conversations", "handoff_conversations"),
                strict=True,
            )
        },
        "avg_turns": _round(
            "cast(sum_user_turns as double) / nullif(total_conversations, 0)", 1
        ),
        "avg_satisfaction_score": _round(
            "sum_satisfaction_score / nullif(total_conversations, 0)", 3
        ),
        "rephrase_rate": _round(_pct("sum_rephrase_count", "sum_user_turns"), 1),
    }
    select = ", ".join(f"{expr} as {name}" for name, expr in figures.items())
    (row,) = warehouse.sql(
        f"with slice as (select {sums} from {MARTS}.{mart} where {where}) "
        f"select {select} from slice"
    )
    return {name: None if v is None else float(v) for name, v in zip(figures, row, strict=True)}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _slices(warehouse: Built) -> list[tuple[str, dict[str, str], str, str]]:
    """(name, filters, mart, where) for one filter at a time and a mix."""
    ex = warehouse.data.explore
    first, last = ex.dates[0], ex.dates[-1]
    middle = ex.dates[len(ex.dates) // 2]
    week_end = ex.dates[min(len(ex.dates) - 1, len(ex.dates) // 2 + 6)]
    agent = next(a for a in ex.agents if a != ex.unknown)
    (model,) = warehouse.sql(
        f"select model from {MARTS}.conversation_metrics_daily_by_model "
        "group by model order by sum(total_conversations) desc, model limit 1"
    )[0]
    days = f"started_date between date '{first}' and date '{last}'"
    daily, by_model = "conversation_metrics_daily", "conversation_metrics_daily_by_model"
    return [
        ("everything", {}, daily, days),
        ("one day", {"from": middle, "to": middle}, daily, f"started_date = date '{middle}'"),
        ("a week", {"from": middle, "to": week_end}, daily,
         f"started_date between date '{middle}' and date '{week_end}'"),
        ("agent", {"agent": agent}, daily, f"{days} and agent_id = {_quote(agent)}"),
        ("channel", {"channel": "web"}, daily, f"{days} and channel = 'web'"),
        ("model", {"model": model}, by_model, f"{days} and model = {_quote(model)}"),
        ("all four", {"from": middle, "to": last, "agent": agent, "channel": "web",
                      "model": model}, by_model,
         f"started_date between date '{middle}' and date '{last}' and agent_id = "
         f"{_quote(agent)} and channel = 'web' and model = {_quote(model)}"),
    ]


def test_each_filter_shows_the_marts_figures_for_its_slice(fresh: Page) -> None:
    everything = fresh.show()
    for name, filters, mart, where in _slices(fresh.built):
        expected = _expected(fresh.built, mart, where)
        shown = fresh.show(**filters)
        assert {k: shown[k] for k in expected} == expected, name
        if filters:
            # The filter narrowed the slice: the headline moved.
            assert shown["total_conversations"] < everything["total_conversations"], name
    report = fresh.report()
    assert report.console_errors == [] and report.exceptions == [] and report.log_errors == []
    assert report.network_requests() == []


def test_a_slice_a_mart_row_holds_shows_that_rows_columns(fresh: Page) -> None:
    """One started_date, agent and channel is one row of
    conversation_metrics_daily (and with a model, one row of
    conversation_metrics_daily_by_model): the page shows its columns,
    interval included."""
    ex = fresh.built.data.explore
    rows = fresh.built.sql(
        f"select started_date, agent_id, channel, {', '.join(RATES)}, avg_turns, "
        "avg_satisfaction_score, rephrase_rate, "
        + ", ".join(f"{r}_ci_low, {r}_ci_high" for r in RATES)
        + f" from {MARTS}.conversation_metrics_daily "
        f"where started_date between date '{ex.dates[0]}' and date '{ex.dates[-1]}' "
        "order by total_conversations desc, started_date, agent_id, channel limit 12"
    )
    for day, agent, channel, *columns in rows:
        shown = fresh.show(**{"from": day.isoformat(), "to": day.isoformat(), "agent": agent,
                              "channel": channel})
        rates, cis = columns[:6], columns[6:]
        assert [shown[k] for k in (*RATES, "avg_turns", "avg_satisfaction_score",
                                   "rephrase_rate")] == rates
        assert [v for r in RATES for v in shown[f"{r}_ci"]] == cis
    rows = fresh.built.sql(
        "select started_date, agent_id, channel, model, "
        + ", ".join(f"{r}, {r}_ci_low, {r}_ci_high" for r in RATES)
        + f" from {MARTS}.conversation_metrics_daily_by_model "
        "order by total_conversations desc, started_date, agent_id, channel, model limit 6"
    )
    for day, agent, channel, model, *columns in rows:
        shown = fresh.show(**{"from": day.isoformat(), "to": day.isoformat(), "agent": agent,
                              "channel": channel, "model": model})
        assert [v for r in RATES for v in (shown[r], *shown[f"{r}_ci"])] == columns


def test_the_pages_wilson_interval_equals_the_marts_ci_columns(fresh: Page) -> None:
    """The page's interval from summed counts, against every row of the
    daily mart and, through the filters, every complete week of the weekly
    mart."""
    columns = ", ".join(f"{r}, {r}_ci_low, {r}_ci_high" for r in RATES)
    rows = fresh.built.sql(
        f"select {', '.join(SLICE_COLUMNS)}, {columns} from {MARTS}.conversation_metrics_daily"
    )
    sums = [dict(zip(SLICE_COLUMNS, row[: len(SLICE_COLUMNS)], strict=True)) for row in rows]
    computed = fresh.browser.evaluate(
        f"{json.dumps(sums)}.map(function (s) {{ var f = window.dashboardExplore.figures(s);"
        " return [" + ", ".join(f"f.{r}, f.{r}_ci_low, f.{r}_ci_high" for r in RATES) + "]; })"
    )
    assert len(computed) == len(rows) > 100
    assert computed == [list(row[len(SLICE_COLUMNS):]) for row in rows]

    ex = fresh.built.data.explore
    first, last = date.fromisoformat(ex.dates[0]), date.fromisoformat(ex.dates[-1])
    weeks = fresh.built.sql(
        "select week_start, agent_id, completion_rate, completion_rate_ci_low, "
        f"completion_rate_ci_high from {MARTS}.agent_performance_weekly "
        f"where week_start >= date '{first}' and week_start + 6 <= date '{last}' "
        "order by week_start, agent_id"
    )
    assert weeks
    for week_start, agent, rate, low, high in weeks:
        shown = fresh.show(**{"from": week_start.isoformat(),
                              "to": (week_start + timedelta(days=6)).isoformat(),
                              "agent": agent})
        assert (shown["completion_rate"], shown["completion_rate_ci"]) == (rate, (low, high))


def test_the_drill_down_lists_the_worst_conversations_of_the_slice(fresh: Page) -> None:
    ex = fresh.built.data.explore
    agent = next(a for a in ex.agents if a != ex.unknown)
    middle = ex.dates[len(ex.dates) // 2]
    order = (
        "order by case when was_abandoned then 0 else 1 end, negative_feedback_count desc, "
        f"rephrase_count desc, conversation_id limit {DRILL_SHOWN}"
    )
    flagged = "(was_abandoned or negative_feedback_count > 0 or rephrase_count > 0)"
    days = f"started_date between date '{ex.dates[0]}' and date '{ex.dates[-1]}'"
    cases = [
        ("", {}, f"{days} and {flagged}"),
        ("", {"agent": agent}, f"{days} and agent_id = {_quote(agent)} and {flagged}"),
        ("negative", {"channel": "web"},
         f"{days} and channel = 'web' and negative_feedback_count > 0"),
        ("abandoned", {"from": middle, "to": ex.dates[-1], "agent": agent},
         f"started_date >= date '{middle}' and {days} and agent_id = {_quote(agent)} "
         "and was_abandoned"),
    ]
    # With a model: the conversations it answered in (the semantic layer's
    # conversation x model table).
    (model,) = fresh.built.sql(
        f"select model from {MARTS}.conversation_metrics_daily_by_model "
        "group by model order by sum(total_conversations), model limit 1"
    )[0]
    semantic = dbt_runner.layer_schema("duckdb", "semantic")
    cases.append(
        ("", {"model": model},
         f"{days} and {flagged} and conversation_id in (select conversation_id from "
         f"{semantic}.fct_conversation_models where model = {_quote(model)})")
    )
    for kind, filters, where in cases:
        expected = [
            row[0]
            for row in fresh.built.sql(
                f"select conversation_id from {MARTS}.fct_conversations where {where} {order}"
            )
        ]
        assert expected, (kind, filters)
        assert fresh.drill(kind, **filters) == expected, (kind, filters)
    # A figure opens the conversations behind it: abandonment, the abandoned.
    fresh.show(agent=agent)
    behind = fresh.browser.evaluate(
        "document.querySelector('#headline .kpi[data-drill=\"abandoned\"]').click();"
        "[document.getElementById('drill-kind').value,"
        " Array.from(document.querySelectorAll('#drill-body tr'))"
        "  .map(function (r) { return r.dataset.conversation; })]"
    )
    assert behind == ["abandoned", fresh.drill("abandoned", agent=agent)]
    assert behind[1] and len(behind[1]) <= DRILL_SHOWN
    # Ids only: no message text reaches the page.
    assert "content" not in ex.drill_columns and "message" not in " ".join(ex.drill_columns)


def test_unknown_agents_and_channels_stand_apart(fresh: Page) -> None:
    ex = fresh.built.data.explore
    assert ex.unknown in ex.agents and ex.unknown in ex.channels  # the faults make some
    apart = fresh.browser.evaluate(
        "({league: Array.from(document.querySelectorAll('#league-apart tr[data-agent]'))"
        "   .map(function (r) { return r.dataset.agent; }),"
        " ranked: Array.from(document.querySelectorAll('#league-table tbody:first-of-type tr'))"
        "   .map(function (r) { return [r.dataset.agent, r.cells[0].textContent]; }),"
        " channels: Array.from(document.querySelectorAll('#channels-apart tr[data-channel]'))"
        "   .map(function (r) { return r.dataset.channel; }),"
        " rankedChannels: Array.from(document.querySelectorAll('#channels-ranked tr'))"
        "   .map(function (r) { return [r.dataset.channel, r.cells[0].textContent]; })})"
    )
    assert apart["league"] == [ex.unknown]
    assert [a for a, _ in apart["ranked"]] == [
        a.agent_id for a in fresh.built.data.agents if a.agent_id != ex.unknown
    ]
    assert [rank for _, rank in apart["ranked"]] == [
        str(i) for i in range(1, len(apart["ranked"]) + 1)
    ]
    assert apart["channels"] == [ex.unknown]
    assert sorted(c for c, _ in apart["rankedChannels"]) == sorted(
        c for c in ex.channels if c != ex.unknown
    )


def test_outcome_mix_and_provisional_days(fresh: Page) -> None:
    warehouse = fresh.built
    ex = warehouse.data.explore
    open_days = sorted(
        row[0].isoformat()
        for row in warehouse.sql(
            f"select distinct started_date from {MARTS}.conversation_metrics_daily "
            f"where is_provisional and started_date >= date '{ex.dates[0]}'"
        )
    )
    assert ex.provisional == open_days
    share_columns = ", ".join(SHARES.values())
    (day, agent, channel, *shares) = warehouse.sql(
        f"select started_date, agent_id, channel, {share_columns} "
        f"from {MARTS}.conversation_metrics_daily where started_date >= date '{ex.dates[0]}' "
        "order by total_conversations desc, started_date, agent_id, channel limit 1"
    )[0]

    def mix() -> dict[str, float]:
        return {
            outcome: float(share)
            for outcome, share in fresh.browser.evaluate(
                "Array.from(document.querySelectorAll('#mix-body tr')).map(function (r) {"
                " return [r.dataset.outcome, r.cells[2].dataset.share]; })"
            )
        }

    def badges() -> list[bool]:
        return fresh.browser.evaluate(
            "['headline-provisional', 'mix-provisional'].map(function (id) {"
            " return !document.getElementById(id).hidden; })"
        )

    fresh.show(**{"from": day.isoformat(), "to": day.isoformat(), "agent": agent,
                  "channel": channel})
    assert mix() == dict(zip(SHARES, shares, strict=True))
    assert badges() == [day.isoformat() in open_days] * 2
    fresh.show()
    assert abs(sum(mix().values()) - 100) <= 0.3
    assert badges() == [bool(open_days)] * 2
    closed = next(d for d in ex.dates if d not in open_days)
    fresh.show(**{"from": closed, "to": closed})
    assert badges() == [False, False]


@pytest.mark.parametrize("width", [1400, 400])
def test_layout_fits_at_1400_and_400_px(page: Page, width: int, tmp_path: Path) -> None:
    page.browser.set_viewport(width)
    # No filter, and the charts redrawn for the width (the page does so on
    # resize, a moment later).
    page.browser.evaluate(
        "document.getElementById('filters') && document.getElementById('filters').reset();"
        "window.dashboardExplore && window.dashboardExplore.update()"
    )
    time.sleep(0.2)
    layout = page.browser.evaluate(
        "({page: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " sections: Array.from(document.querySelectorAll('section')).map(function (s) {"
        "   return [s.id, s.scrollWidth, s.clientWidth]; }),"
        " ticks: Array.from(document.querySelectorAll('svg .tick')).map(function (t) {"
        "   return t.getBoundingClientRect().height; }).filter(function (h) { return h > 0; })})"
    )
    assert layout["inner"] == width
    assert layout["page"] <= width
    if width >= 1400:
        # Every section fits: no table (the league's newest week) is cut off.
        assert [s for s in layout["sections"] if s[1] > s[2]] == []
    # Chart text stays legible: no chart is scaled down below its size.
    assert layout["ticks"] and min(layout["ticks"]) >= 10
    shot = page.browser.screenshot()
    (tmp_path / f"dashboard-{width}.png").write_bytes(shot)
    image = decode_png(shot)
    assert image.width == width
    assert image.distinct_colors() > 50 and image.share_unlike(WHITE) > 0.05
    page.browser.set_viewport(1400)
