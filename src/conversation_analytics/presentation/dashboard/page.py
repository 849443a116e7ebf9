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
from conversation_analytics.presentation.dashboard.data import MAX_TURNS_SHOWN, DashboardData
from conversation_analytics.presentation.report import describe_window

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1c2833; background: #f4f6f7; }
header { background: #1c2833; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d5d8dc; }
main { padding: 20px 28px 40px; display: grid; gap: 18px; max-width: 1600px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
section h2 { margin: 0 0 10px; font-size: 17px; }
section p.note { margin: 6px 0 0; color: #5d6d7e; font-size: 12px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.kpi { border: 1px solid #e5e8eb; border-radius: 6px; padding: 10px 12px; }
.kpi .label { color: #5d6d7e; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.kpi .value { font-size: 24px; font-weight: 600; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 18px; }
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
td.alert { background: #fadbd8; color: #922b21; font-weight: 600; }
.up { color: #1a7f4b; } .down { color: #c0392b; } .muted { color: #99a3a4; }
ul.alerts { margin: 0; padding-left: 18px; }
ul.alerts li { color: #922b21; }
footer { padding: 0 28px 30px; color: #5d6d7e; font-size: 12px; }
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
  document.documentElement.setAttribute("data-dashboard-ready", "true");
})();
"""


def _kpi(key: str, label: str, value: float | int | None, digits: int, suffix: str = "") -> str:
    shown = _num(value, digits, suffix) if not isinstance(value, int) else f"{value:,}"
    raw = "" if value is None else str(value)
    return (
        f'<div class="kpi"><div class="label">{_e(label)}</div>'
        f'<div class="value" data-metric="{_e(key)}" data-value="{_e(raw)}">{_e(shown)}</div></div>'
    )


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


def _headline(data: DashboardData) -> str:
    h = data.headline
    return (
        '<section id="headline"><h2>Headline</h2><div class="kpis">'
        + _kpi("total_conversations", "Conversations", h.total_conversations, 0)
        + _kpi("completion_rate", "Completion rate", h.completion_rate, 1, " %")
        + _kpi("abandonment_rate", "Abandonment rate", h.abandonment_rate, 1, " %")
        + _kpi("handoff_rate", "Handoff rate", h.handoff_rate, 1, " %")
        + _kpi("avg_turns", "Avg turns", h.avg_turns, 1)
        + _kpi("avg_duration_seconds", "Avg completed duration (s)", h.avg_duration_seconds, 0)
        + _kpi("avg_satisfaction_score", "Avg satisfaction (0-1)", h.avg_satisfaction_score, 3)
        + "</div>"
        '<p class="note">Rates: 100 x conversations with the event / all conversations '
        "that started in the window (conversation_summary).</p></section>"
    )


def _daily_section(data: DashboardData) -> str:
    labels = [d.day.strftime("%m-%d") for d in data.daily]
    series = [
        ("completion", COLORS["completion"], [d.completion_rate for d in data.daily]),
        ("abandonment", COLORS["abandonment"], [d.abandonment_rate for d in data.daily]),
        ("handoff", COLORS["handoff"], [d.handoff_rate for d in data.daily]),
    ]
    legend = "".join(
        f'<span><i style="background:{color}"></i>{_e(name)} rate</span>'
        for name, color, _ in series
    )
    return (
        '<section id="daily-rates"><h2>Daily completion, abandonment and handoff rates</h2>'
        f'<div class="legend">{legend}</div>'
        + line_chart(labels, series, label="Daily rates, percent")
        + '<p class="note">Each point is one started_date (UTC) over every agent and channel '
        "(conversation_summary_by_day); the first day of the window is partial.</p>"
        "</section>"
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
    week_heads = "".join(f"<th>week of {w.strftime('%m-%d')}</th>" for w in data.weeks)
    body = []
    for rank, agent in enumerate(data.agents, start=1):
        m = agent.metrics
        cells = []
        for w in data.weeks:
            week = agent.weeks.get(w.isoformat())
            if week is None:
                cells.append('<td class="muted">–</td>')
                continue
            css = ' class="alert"' if week.completion_rate_alert else ""
            title = f"{week.total_conversations:,} conversations" + (
                " — ALERT: completion fell" if week.completion_rate_alert else ""
            )
            sort = "" if week.completion_rate is None else f' data-sort="{week.completion_rate}"'
            cells.append(
                f'<td{css}{sort} title="{_e(title)}">{_num(week.completion_rate, 1, " %")} '
                f"{_change(week.completion_rate_change_points)}</td>"
            )
        body.append(
            f'<tr data-agent="{_e(agent.agent_id)}"><td data-sort="{rank}">{rank}</td>'
            f'<td class="name">{_e(agent.agent_id)}</td>'
            f"{_cell(m.total_conversations)}{_cell(m.completion_rate, 1, ' %')}"
            f"{_cell(m.abandonment_rate, 1, ' %')}{_cell(m.handoff_rate, 1, ' %')}"
            f"{_cell(m.avg_satisfaction_score, 3)}{''.join(cells)}</tr>"
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
        f"<tbody>{''.join(body)}</tbody></table>{alerts}"
        '<p class="note">Ranked by completion rate over the window '
        "(conversation_summary_by_agent). Weekly cells: completion "
        "rate of the ISO week and the change from the week before, in points "
        "(agent_performance_weekly); red cells are alerts: a fall of at least the alert "
        "threshold with enough conversations in both weeks.</p></section>"
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
{_headline(data)}
{_daily_section(data)}
{_drop_off_section(data)}
{_satisfaction_section(data)}
{_league_section(data)}
{_tools_models_section(data)}
</main>
<footer>Definitions: docs/metric-decisions.md and the dbt docs (models/_metric_definitions.md).
This page is self-contained: it loads nothing from the network.</footer>
<script type="application/json" id="dashboard-data">{payload}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
