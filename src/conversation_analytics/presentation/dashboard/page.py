"""The dashboard page: one HTML document, styles, charts and a few lines of
script inline, so it opens from disk, offline, and loads nothing."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from conversation_analytics import __version__
from conversation_analytics.presentation.dashboard.charts import (
    COLORS,
    bar_chart,
    hbar_chart,
    line_chart,
    stacked_bar,
)
from conversation_analytics.presentation.dashboard.charts import escape as _e
from conversation_analytics.presentation.dashboard.charts import nice_max as _nice_max
from conversation_analytics.presentation.dashboard.charts import number as _num
from conversation_analytics.presentation.dashboard.data import (
    MAX_TURNS_SHOWN,
    UNKNOWN,
    AgentRow,
    DashboardData,
)
from conversation_analytics.presentation.dashboard.explore import EXPLORE_SCRIPT
from conversation_analytics.presentation.report import describe_window

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1c2833; background: #f4f6f7; }
header { background: #1c2833; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d5d8dc; overflow-wrap: anywhere; }
main { padding: 20px 28px 40px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 18px;
       max-width: 1600px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px; min-width: 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
section h2 { margin: 0 0 10px; font-size: 17px; }
section h3 { font-size: 14px; }
section p.note { margin: 6px 0 0; color: #5d6d7e; font-size: 12px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(150px, 100%), 1fr));
        gap: 12px; }
.kpi { border: 1px solid #e5e8eb; border-radius: 6px; padding: 10px 12px; }
.kpi .label { color: #5d6d7e; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.kpi .value { font-size: 24px; font-weight: 600; }
.kpi .ci { color: #5d6d7e; font-size: 12px; }
.kpi[data-drill] { cursor: pointer; }
.kpi[data-drill]:hover, .kpi[data-drill]:focus { border-color: #2e86c1; outline: none; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(360px, 100%), 1fr));
       gap: 18px; }
.two > div { min-width: 0; overflow-x: auto; }
.legend span { display: inline-block; margin-right: 16px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 3px; margin-right: 5px;
            vertical-align: middle; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .tick { font-size: 11px; fill: #5d6d7e; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid #eaecee; text-align: right;
         white-space: nowrap; }
th { background: #f8f9f9; font-weight: 600; cursor: pointer; user-select: none; }
th:first-child, td:first-child, td.name, th.name { text-align: left; }
td.name { white-space: normal; overflow-wrap: anywhere; min-width: 8em; }
td.id { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
td.alert { background: #fadbd8; color: #922b21; font-weight: 600; }
td.week small { display: block; font-size: 11px; }
th.week { white-space: normal; min-width: 5.5em; }
tbody.apart td { color: #5d6d7e; background: #fbfcfc; }
tbody.apart tr.caption td { font-size: 12px; font-style: italic; }
.up { color: #1a7f4b; } .down { color: #c0392b; } .muted { color: #99a3a4; }
.provisional { color: #7d6608; }
.badge { display: inline-block; margin-left: 8px; padding: 1px 8px; border-radius: 10px;
         background: #fcf3cf; color: #7d6608; font-size: 12px; font-weight: 600; }
ul.alerts { margin: 0; padding-left: 18px; }
ul.alerts li { color: #922b21; }
#filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; }
#filters label { display: flex; flex-direction: column; gap: 2px; font-size: 12px;
                 color: #5d6d7e; max-width: 100%; }
#filters select, #filters input, #filters button, #drill-kind { font: inherit; max-width: 100%; }
.mix { display: flex; height: 28px; border-radius: 4px; overflow: hidden; margin: 6px 0; }
.mix span { display: block; height: 100%; }
footer { padding: 0 28px 30px; color: #5d6d7e; font-size: 12px; }
@media (max-width: 720px) {
  header { padding: 14px 12px; }
  main { padding: 12px 8px 24px; gap: 12px; }
  section { padding: 12px 10px; }
  footer { padding: 0 12px 24px; }
  /* Charts keep their size (and legible text) and scroll in their box. */
  svg.chart { max-width: none; }
}
"""

# Nothing may load from anywhere: inline styles and scripts only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)

# Sortable tables: click a header. Cells sort by data-sort (numbers) when set.
SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { return cell.textContent.trim().toLowerCase(); }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, column) {
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var descending = th.getAttribute("data-order") !== "desc";
        th.setAttribute("data-order", descending ? "desc" : "asc");
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""


def _change(change: float | None) -> str:
    if change is None:
        return '<span class="muted">new</span>'
    css = "up" if change > 0 else "down" if change < 0 else "muted"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    return f'<span class="{css}">{arrow} {abs(change):.1f}</span>'


def _cell(value: float | int | None, digits: int = 1, suffix: str = "") -> str:
    sort = "" if value is None else f' data-sort="{value}"'
    shown = f"{value:,}" if isinstance(value, int) else _num(value, digits, suffix)
    return f"<td{sort}>{_e(shown)}</td>"


def _options(values: list[str], everything: str) -> str:
    return f'<option value="">{_e(everything)}</option>' + "".join(
        f'<option value="{_e(v)}">{_e(v)}</option>' for v in values
    )


def _filters_section(data: DashboardData) -> str:
    ex = data.explore
    first, last = (ex.dates[0], ex.dates[-1]) if ex.dates else ("", "")
    bounds = f'min="{_e(first)}" max="{_e(last)}"'
    return (
        '<section id="explore"><h2>Explore</h2><form id="filters">'
        f'<label>From<input type="date" id="filter-from" {bounds} value="{_e(first)}"></label>'
        f'<label>To<input type="date" id="filter-to" {bounds} value="{_e(last)}"></label>'
        f'<label>Agent<select id="filter-agent">{_options(ex.agents, "All agents")}</select>'
        "</label>"
        f'<label>Channel<select id="filter-channel">{_options(ex.channels, "All channels")}'
        "</select></label>"
        f'<label>Model<select id="filter-model">{_options(ex.models, "All models")}</select>'
        "</label>"
        '<button type="button" id="filter-reset">Reset</button></form>'
        '<p class="note">The filters apply to the headline, the daily rates, the outcome mix, '
        "the channels and the drill-down: whole days by started_date (UTC), the sums of "
        "conversation_metrics_daily (every model) or conversation_metrics_daily_by_model "
        "(one model: a conversation counts once for each model that answered in it), divided "
        "as the marts divide. The sections below them show the trailing window of the "
        "header.</p></section>"
    )


def _kpi(key: str, label: str, ci: bool = False, drill: str | None = None) -> str:
    interval = f'<div class="ci" data-ci="{_e(key)}"></div>' if ci else ""
    # A figure with conversations behind it opens them in the drill-down.
    opens = (
        f' data-drill="{_e(drill)}" role="button" tabindex="0" '
        'title="The worst conversations behind this figure"'
        if drill is not None else ""
    )
    return (
        f'<div class="kpi"{opens}><div class="label">{_e(label)}</div>'
        f'<div class="value" data-metric="{_e(key)}" data-value="">–</div>{interval}</div>'
    )


def _headline(data: DashboardData) -> str:
    return (
        '<section id="headline"><h2>Headline'
        '<span class="badge" id="headline-provisional" hidden>provisional</span></h2>'
        '<div class="kpis">'
        + _kpi("total_conversations", "Conversations", drill="")
        + _kpi("completion_rate", "Completion rate", ci=True)
        + _kpi("abandonment_rate", "Abandonment rate", ci=True, drill="abandoned")
        + _kpi("handoff_rate", "Handoff rate", ci=True)
        + _kpi("avg_turns", "Avg turns")
        + _kpi("avg_satisfaction_score", "Avg satisfaction (0-1)", drill="negative")
        + _kpi("rephrase_rate", "Rephrase rate", drill="rephrased")
        + "</div>"
        '<p class="note">Rates: 100 x conversations with the event / conversations of the '
        "slice, with its Wilson score interval, computed from the slice's counts as the "
        "marts' ci columns are (var confidence_level, 95 % by default). "
        "Provisional: the days chosen include one whose conversations are still open, so "
        "its rates can still change. Click conversations, abandonment, satisfaction or "
        "rephrases for the worst conversations behind the figure.</p></section>"
    )


def _daily_section(data: DashboardData) -> str:
    legend = "".join(
        f'<span><i style="background:{COLORS[name]}"></i>{_e(name)} rate</span>'
        for name in ("completion", "abandonment", "handoff")
    )
    return (
        '<section id="daily-rates"><h2>Daily completion, abandonment and handoff rates</h2>'
        f'<div class="legend">{legend}</div><div id="daily-chart"></div>'
        '<p class="note">One point per started_date (UTC) of the slice; the shaded band is '
        "the rate's Wilson interval, wide where a day has few conversations. Hollow points "
        "and dates marked * are provisional: conversations of the day are still open.</p>"
        "</section>"
    )


def _mix_section() -> str:
    return (
        '<section id="outcome-mix"><h2>Outcome mix'
        '<span class="badge" id="mix-provisional" hidden>provisional</span></h2>'
        '<div class="mix" id="mix-bar"></div>'
        '<table id="mix-table"><thead><tr><th class="name">outcome</th><th>conversations</th>'
        '<th>share</th></tr></thead><tbody id="mix-body"></tbody></table>'
        '<p class="note" id="mix-missing" hidden>The marts of this build hold no outcome mix '
        "for this slice: build again with this version of the project.</p>"
        '<p class="note">Each conversation in exactly one, first match wins: completed, '
        "abandoned, handed off (neither completed nor abandoned), timed out, in progress; the "
        "shares add up to 100 % (give or take rounding).</p></section>"
    )


def _channels_section() -> str:
    return (
        '<section id="channels"><h2>Channels</h2>'
        '<table class="sortable" id="channels-table"><thead><tr><th>#</th>'
        '<th class="name">channel</th><th>conversations</th><th>completion</th>'
        "<th>abandonment</th><th>handoff</th></tr></thead>"
        '<tbody id="channels-ranked"></tbody><tbody class="apart" id="channels-apart"></tbody>'
        '</table><p class="note">The slice of the filters over every channel, ranked by '
        "completion rate; in brackets the rate's Wilson interval. Conversations whose events "
        "name no channel (unknown) are shown apart, not ranked.</p></section>"
    )


def _drill_section(data: DashboardData) -> str:
    ex = data.explore
    return (
        '<section id="drill-down"><h2>The worst conversations of the slice</h2>'
        '<label>Show <select id="drill-kind"><option value="">all flagged</option>'
        '<option value="abandoned">abandoned</option>'
        '<option value="negative">negative feedback</option>'
        '<option value="rephrased">rephrased</option></select></label> '
        '<span class="note" id="drill-count"></span>'
        '<table class="sortable" id="drill-table"><thead><tr><th>conversation_id</th>'
        '<th>started</th><th class="name">agent</th><th class="name">channel</th>'
        "<th>outcome</th><th>negative feedback</th><th>rephrases</th><th>user turns</th>"
        '</tr></thead><tbody id="drill-body"></tbody></table>'
        f'<p class="note">Worst first: abandoned, then the most negative feedback, then the '
        f"most rephrases (fct_conversations; ids only, no message text). The page holds the "
        f"worst {ex.drill_cap:,} conversations of the days it covers and lists the first "
        f"{ex.drill_shown} that match the filters; with a model, the conversations it "
        "answered in (fct_conversation_models).</p>"
        '<p class="note" id="drill-model" hidden>The model filter does not narrow this list: '
        "the semantic layer's fct_conversation_models, which says which models answered in "
        "a conversation, is not built.</p></section>"
    )


def _drop_off_section(data: DashboardData) -> str:
    if not data.turns:
        return '<section id="drop-off"><h2>Drop-off by turn</h2><p>No conversations.</p></section>'
    labels = [str(t.turn) for t in data.turns]
    survival = line_chart(
        labels,
        [("still going", COLORS["accent"], [t.still_going_share for t in data.turns])],
        label="Share of conversations still going at each turn",
        width=560,
    )
    leaving = bar_chart(
        labels,
        [t.abandoned_share for t in data.turns],
        color=COLORS["abandonment"],
        label="Share of conversations abandoned at each turn",
        suffix="%",
        width=560,
        height=260,
        digits=1,
    )
    return (
        '<section id="drop-off"><h2>Drop-off by turn</h2><div class="two">'
        "<div><h3>Still going at turn t (% of conversations with at least t user turns)</h3>"
        f"{survival}</div>"
        "<div><h3>Where they leave (% of conversations abandoned at turn t)</h3>"
        f"{leaving}</div></div>"
        '<p class="note">Shares of the conversations that started in the window '
        f"(conversation_summary_by_turn). Turns beyond {MAX_TURNS_SHOWN} are not drawn.</p>"
        "</section>"
    )


def _satisfaction_section(data: DashboardData) -> str:
    histogram = bar_chart(
        [f"{b.lower:.1f}" for b in data.satisfaction_bins],
        [float(b.conversations) for b in data.satisfaction_bins],
        color=COLORS["accent"],
        label="Satisfaction score distribution",
        width=560,
        height=240,
    )
    rows = "".join(
        f'<tr><td class="name">{_e(g.label)}</td>{_cell(g.conversations)}'
        f"{_cell(g.share, 1, ' %')}{_cell(g.avg_satisfaction_score, 3)}</tr>"
        for g in data.coverage
    )
    return (
        '<section id="satisfaction"><h2>Satisfaction</h2><div class="two">'
        "<div><h3>Distribution of satisfaction_score (conversations per 0.1 band)</h3>"
        f"{histogram}</div>"
        "<div><h3>What the score rests on</h3>"
        + stacked_bar(data.coverage, label="Explicit vs implicit coverage", width=560)
        + '<table class="sortable" id="coverage-table"><thead><tr><th class="name">signal</th>'
        "<th>conversations</th><th>share</th><th>avg score</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></div>"
        '<p class="note">Explicit: at least one positive or negative rating. Implicit only: '
        "no rating, but a quick resolution, a handoff or a long conversation. No signal: the "
        "neutral score (fct_conversations.satisfaction_signal, "
        "conversation_summary_by_satisfaction_signal).</p></section>"
    )


def _league_section(data: DashboardData) -> str:
    def week_head(w: date) -> str:
        open_week = w == data.provisional_week
        mark = ' <span class="provisional">(provisional)</span>' if open_week else ""
        return f'<th class="week">week of {w.strftime("%m-%d")}{mark}</th>'

    week_heads = "".join(week_head(w) for w in data.weeks)

    def row(rank: int | None, agent: AgentRow) -> str:
        m = agent.metrics
        cells = []
        for w in data.weeks:
            week = agent.weeks.get(w.isoformat())
            if week is None:
                cells.append('<td class="muted">–</td>')
                continue
            css = "week alert" if week.completion_rate_alert else "week"
            title = f"{week.total_conversations:,} conversations" + (
                " — ALERT: completion fell" if week.completion_rate_alert else ""
            ) + (" — provisional: the week is still open" if w == data.provisional_week else "")
            sort = "" if week.completion_rate is None else f' data-sort="{week.completion_rate}"'
            cells.append(
                f'<td class="{css}"{sort} title="{_e(title)}">'
                f'{_num(week.completion_rate, 1, " %")}'
                f"<small>{_change(week.completion_rate_change_points)}</small></td>"
            )
        shown_rank = "–" if rank is None else str(rank)
        sort_rank = "" if rank is None else f' data-sort="{rank}"'
        return (
            f'<tr data-agent="{_e(agent.agent_id)}"><td{sort_rank}>{shown_rank}</td>'
            f'<td class="name">{_e(agent.agent_id)}</td>'
            f"{_cell(m.total_conversations)}{_cell(m.completion_rate, 1, ' %')}"
            f"{_cell(m.abandonment_rate, 1, ' %')}{_cell(m.handoff_rate, 1, ' %')}"
            f"{_cell(m.avg_satisfaction_score, 3)}{''.join(cells)}</tr>"
        )

    named = [a for a in data.agents if a.agent_id != UNKNOWN]
    unknown = [a for a in data.agents if a.agent_id == UNKNOWN]
    ranked = "".join(row(rank, agent) for rank, agent in enumerate(named, start=1))
    apart = ""
    if unknown:
        apart = (
            '<tbody class="apart" id="league-apart"><tr class="caption">'
            f'<td colspan="{7 + len(data.weeks)}">Not ranked: events that name no agent</td>'
            "</tr>" + "".join(row(None, agent) for agent in unknown) + "</tbody>"
        )
    if data.alerts:
        items = "".join(
            f"<li><b>{_e(agent)}</b>, week of {week_start.isoformat()}: completion "
            f"{_num(w.previous_completion_rate)} % → {_num(w.completion_rate)} % "
            f"({_num(w.completion_rate_change_points)} points, "
            f"{w.total_conversations:,} conversations)</li>"
            for week_start, agent, w in data.alerts
        )
        alerts = f'<h3>Alerts</h3><ul class="alerts" id="alerts">{items}</ul>'
    else:
        alerts = '<p class="note" id="alerts">No completion-rate alerts in the weeks shown.</p>'
    return (
        '<section id="league"><h2>Agent league table</h2>'
        '<table class="sortable" id="league-table"><thead><tr><th>#</th>'
        '<th class="name">agent</th><th>conversations</th><th>completion</th>'
        f"<th>abandonment</th><th>handoff</th><th>satisfaction</th>{week_heads}</tr></thead>"
        f"<tbody>{ranked}</tbody>{apart}</table>{alerts}"
        '<p class="note">Ranked by completion rate over the window '
        "(conversation_summary_by_agent); conversations whose events name no agent (unknown) "
        "are shown apart, not ranked. Weekly cells: completion "
        "rate of the ISO week and the change from the week before, in points "
        "(agent_performance_weekly); red cells are alerts: a fall of at least the alert "
        "threshold with enough conversations in both weeks. A provisional week is still open: "
        "its rates can change.</p></section>"
    )


def _tools_models_section(data: DashboardData) -> str:
    tool_rows = "".join(
        f'<tr><td class="name">{_e(t.tool_name)}</td>{_cell(t.total_calls)}'
        f"{_cell(t.error_rate, 1, ' %')}{_cell(t.conversations_using_tool)}"
        f"{_cell(t.completion_rate, 1, ' %')}</tr>"
        for t in data.tools
    )
    model_rows = "".join(
        f'<tr><td class="name">{_e(m.model)}</td>{_cell(m.total_conversations)}'
        f"{_cell(m.completion_rate, 1, ' %')}{_cell(m.avg_satisfaction_score, 3)}"
        f"{_cell(m.agent_responses)}{_cell(m.output_tokens_per_response, 1)}"
        f"{_cell(m.avg_latency_ms, 1)}</tr>"
        for m in data.models
    )
    tool_chart = hbar_chart(
        [(t.tool_name, t.completion_rate) for t in data.tools],
        color=COLORS["completion"],
        label="Completion rate of conversations using each tool",
    )
    error_chart = hbar_chart(
        [(t.tool_name, t.error_rate) for t in data.tools],
        color=COLORS["abandonment"],
        label="Error rate of each tool",
        maximum=_nice_max(max([t.error_rate or 0 for t in data.tools] + [1])),
    )
    model_chart = hbar_chart(
        [(m.model, m.completion_rate) for m in data.models],
        color=COLORS["completion"],
        label="Completion rate of conversations each model answered in",
    )
    return (
        '<section id="tools"><h2>Tools</h2><div class="two">'
        f"<div><h3>Completion of conversations using the tool</h3>{tool_chart}</div>"
        f"<div><h3>Tool error rate</h3>{error_chart}</div></div>"
        '<table class="sortable" id="tools-table"><thead><tr><th class="name">tool</th>'
        "<th>calls</th><th>error rate</th><th>conversations</th><th>completion</th></tr>"
        f"</thead><tbody>{tool_rows}</tbody></table></section>"
        '<section id="models"><h2>Models</h2>'
        f"<div><h3>Completion of conversations the model answered in</h3>{model_chart}</div>"
        '<table class="sortable" id="models-table"><thead><tr><th class="name">model</th>'
        "<th>conversations</th><th>completion</th><th>satisfaction</th><th>responses</th>"
        "<th>output tokens / response</th><th>latency (ms)</th></tr></thead>"
        f"<tbody>{model_rows}</tbody></table>"
        '<p class="note">A conversation counts once for each model that answered in it '
        "(conversation_summary_by_model; tools: conversation_summary_by_tool).</p></section>"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# Characters JSON may hold as they are but a <script> element or a JavaScript
# parser may not: `<` and `>` (no `</script>`, `<!--` or `<script` can end or
# change the element), `&`, and the line and paragraph separators.
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """`value` as JSON safe inside an HTML <script> element: the same JSON,
    with the characters of _SCRIPT_UNSAFE written as \\u escapes."""
    text = json.dumps(value, default=_json_default)
    return text.translate(str.maketrans(_SCRIPT_UNSAFE))


def render_html(data: DashboardData) -> str:
    """The page: one HTML document, every asset inline."""
    window = describe_window(data.window)
    # The figures as JSON for anyone scripting against the page, escaped so
    # no value can close or change the script element.
    payload = script_json(asdict(data))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<link rel="icon" href="data:,">
<title>Conversation analytics dashboard</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Conversation analytics</h1>
<p>{_e(data.target)} · {_e(data.schema)} · {_e(window)} · generated {_e(data.generated_at)}
 by conversation-analytics {_e(__version__)}</p>
</header>
<main>
{_filters_section(data)}
{_headline(data)}
{_daily_section(data)}
{_mix_section()}
{_channels_section()}
{_drill_section(data)}
{_drop_off_section(data)}
{_satisfaction_section(data)}
{_league_section(data)}
{_tools_models_section(data)}
</main>
<footer>Definitions: docs/metric-decisions.md and the dbt docs (models/_metric_definitions.md).
This page is self-contained: it loads nothing from the network.</footer>
<script type="application/json" id="dashboard-data">{payload}</script>
<script>{SCRIPT}{EXPLORE_SCRIPT}</script>
</body>
</html>
"""
