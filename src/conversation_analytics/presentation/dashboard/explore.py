"""The page's filters, in the page: they sum the additive mart columns of
the chosen slice and divide as the marts do (the macros round_half_away,
percentage and wilson_bound, in the same double-precision operations), then
redraw the headline, the daily rates with their intervals, the outcome mix,
the channel view and the drill-down. Values reach the page as text nodes
only (textContent, setAttribute), never as markup."""

EXPLORE_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var ex = data.explore;
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = {completion: "#1a7f4b", abandonment: "#c0392b", handoff: "#d68910",
                grid: "#e5e8eb", timed_out: "#7f8c8d", in_progress: "#aab7b8"};
  // The marts' formulas (macros round_half_away, percentage, wilson_bound):
  // the same operations in double precision, so a slice the marts hold
  // shows the marts' figure.
  function round(x, digits) {
    if (x === null || !isFinite(x)) { return null; }
    var scale = Math.pow(10, digits);
    var sign = x > 0 ? 1 : x < 0 ? -1 : 0;
    return sign * Math.floor(Math.abs(x) * scale + 0.5 + 1e-7) / scale;
  }
  function pct(numerator, denominator) {
    return denominator ? 100 * numerator / denominator : null;
  }
  function ratio(numerator, denominator) {
    return denominator ? numerator / denominator : null;
  }
  function wilson(s, n, bound) {
    if (!n) { return null; }
    var z = ex.z, z2 = z * z;
    var centre = (s + z2 / 2) / (n + z2);
    var half = z * Math.sqrt(s * (n - s) / n + z2 / 4) / (n + z2);
    return bound === "low" ? Math.max(0, 100 * (centre - half))
                           : Math.min(100, 100 * (centre + half));
  }
  function show(value, digits, suffix) {
    if (value === null) { return "\u2013"; }
    return value.toLocaleString("en-US", {minimumFractionDigits: digits,
                                          maximumFractionDigits: digits}) + (suffix || "");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  var RATES = [["completion_rate", "completed_conversations", "completion"],
               ["abandonment_rate", "abandoned_conversations", "abandonment"],
               ["handoff_rate", "handoff_conversations", "handoff"]];
  var MIX = [["completed_conversations", "completed", COLORS.completion],
             ["ended_abandoned_conversations", "abandoned", COLORS.abandonment],
             ["ended_handed_off_conversations", "handed off", COLORS.handoff],
             ["timed_out_conversations", "timed out", COLORS.timed_out],
             ["in_progress_conversations", "in progress", COLORS.in_progress]];
  var provisional = {};
  ex.provisional.forEach(function (d) { provisional[d] = true; });

  function state() {
    function pick(id) { return document.getElementById(id).value; }
    return {from: pick("filter-from"), to: pick("filter-to"), agent: pick("filter-agent"),
            channel: pick("filter-channel"), model: pick("filter-model")};
  }
  // The rows of the slice, as {date, agent, channel, sums}; `free` names a
  // filter left out (the channel view groups by channel).
  function slice(st, free) {
    var byModel = st.model !== "";
    var names = byModel ? ex.by_model_sums : ex.sums;
    var offset = byModel ? 4 : 3;
    var source = byModel ? ex.by_model : ex.daily;
    var out = [];
    source.forEach(function (row) {
      var day = ex.dates[row[0]];
      if (day < st.from || day > st.to) { return; }
      if (free !== "agent" && st.agent !== "" && ex.agents[row[1]] !== st.agent) { return; }
      if (free !== "channel" && st.channel !== "" && ex.channels[row[2]] !== st.channel) {
        return;
      }
      if (byModel && ex.models[row[3]] !== st.model) { return; }
      var sums = {};
      names.forEach(function (name, i) { sums[name] = row[offset + i]; });
      out.push({date: day, agent: ex.agents[row[1]], channel: ex.channels[row[2]], sums: sums});
    });
    return {rows: out, names: names};
  }
  function total(rows, names) {
    var sums = {};
    names.forEach(function (name) { sums[name] = 0; });
    rows.forEach(function (row) {
      names.forEach(function (name) { sums[name] += row.sums[name]; });
    });
    return sums;
  }
  function figures(sums) {
    var n = sums.total_conversations;
    var f = {
      total_conversations: n,
      avg_turns: round(ratio(sums.sum_user_turns, n), 1),
      avg_satisfaction_score: round(ratio(sums.sum_satisfaction_score, n), 3),
      rephrase_rate: round(pct(sums.sum_rephrase_count, sums.sum_user_turns), 1)
    };
    RATES.forEach(function (r) {
      f[r[0]] = round(pct(sums[r[1]], n), 1);
      f[r[0] + "_ci_low"] = round(wilson(sums[r[1]], n, "low"), 1);
      f[r[0] + "_ci_high"] = round(wilson(sums[r[1]], n, "high"), 1);
    });
    return f;
  }
  function groupBy(rows, key) {
    var groups = {};
    rows.forEach(function (row) { (groups[row[key]] = groups[row[key]] || []).push(row); });
    return groups;
  }

  function drawHeadline(f, isProvisional) {
    var digits = {total_conversations: 0, completion_rate: 1, abandonment_rate: 1,
                  handoff_rate: 1, avg_turns: 1, avg_satisfaction_score: 3, rephrase_rate: 1};
    document.querySelectorAll("#headline [data-metric]").forEach(function (node) {
      var key = node.getAttribute("data-metric");
      var suffix = /_rate$/.test(key) ? " %" : "";
      node.textContent = show(f[key], digits[key], suffix);
      node.setAttribute("data-value", f[key] === null ? "" : String(f[key]));
    });
    document.querySelectorAll("#headline [data-ci]").forEach(function (node) {
      var key = node.getAttribute("data-ci");
      var low = f[key + "_ci_low"], high = f[key + "_ci_high"];
      node.setAttribute("data-low", low === null ? "" : String(low));
      node.setAttribute("data-high", high === null ? "" : String(high));
      node.textContent = low === null ? "" :
        "interval " + show(low, 1) + "\u2013" + show(high, 1);
    });
    document.getElementById("headline-provisional").hidden = !isProvisional;
  }

  function drawDaily(rows, names, st) {
    var box = document.getElementById("daily-chart");
    box.textContent = "";
    var days = ex.dates.filter(function (d) { return d >= st.from && d <= st.to; });
    var byDay = groupBy(rows, "date");
    var width = Math.max(box.clientWidth || 760, 340), height = 260;
    var left = 40, top = 12, right = 12, bottom = 28;
    var plotW = width - left - right, plotH = height - top - bottom;
    var svg = svgEl("svg", {"class": "chart", viewBox: "0 0 " + width + " " + height,
                            width: width, height: height, role: "img",
                            "aria-label": "Daily rates, percent, with intervals"});
    function x(i) { return left + plotW * (i + 0.5) / Math.max(days.length, 1); }
    function y(v) { return top + plotH - plotH * v / 100; }
    for (var t = 0; t <= 4; t++) {
      svg.appendChild(svgEl("line", {x1: left, x2: left + plotW, y1: y(t * 25), y2: y(t * 25),
                                     stroke: COLORS.grid}));
      var label = svgEl("text", {x: left - 6, y: y(t * 25) + 4, "text-anchor": "end",
                                 "class": "tick"});
      label.textContent = (t * 25) + "%";
      svg.appendChild(label);
    }
    var step = Math.max(1, Math.ceil(days.length / Math.max(2, Math.floor(plotW / 48))));
    var perDay = days.map(function (d, i) {
      if (i % step === 0 || i === days.length - 1) {
        var tick = svgEl("text", {x: x(i), y: height - 8, "text-anchor": "middle",
                                  "class": "tick"});
        tick.textContent = d.slice(5) + (provisional[d] ? "*" : "");
        svg.appendChild(tick);
      }
      return byDay[d] ? figures(total(byDay[d], names)) : null;
    });
    RATES.forEach(function (r) {
      var color = COLORS[r[2]], upper = [], lower = [], line = [];
      perDay.forEach(function (f, i) {
        if (!f || f[r[0]] === null) { return; }
        upper.push(x(i).toFixed(1) + "," + y(f[r[0] + "_ci_high"]).toFixed(1));
        lower.unshift(x(i).toFixed(1) + "," + y(f[r[0] + "_ci_low"]).toFixed(1));
        line.push(x(i).toFixed(1) + "," + y(f[r[0]]).toFixed(1));
      });
      if (line.length) {
        svg.appendChild(svgEl("polygon", {"class": "band", "data-series": r[2], fill: color,
                                          "fill-opacity": "0.12",
                                          points: upper.concat(lower).join(" ")}));
        svg.appendChild(svgEl("polyline", {"class": "series", "data-series": r[2],
                                           fill: "none", stroke: color, "stroke-width": 2,
                                           points: line.join(" ")}));
      }
      perDay.forEach(function (f, i) {
        if (!f || f[r[0]] === null) { return; }
        var open = provisional[days[i]];
        var dot = svgEl("circle", {cx: x(i).toFixed(1), cy: y(f[r[0]]).toFixed(1), r: 2.5,
                                   fill: open ? "#fff" : color, stroke: color,
                                   "class": open ? "provisional" : ""});
        var title = svgEl("title", {});
        title.textContent = days[i] + ": " + r[2] + " " + show(f[r[0]], 1, " %") + " (" +
          show(f[r[0] + "_ci_low"], 1) + "\u2013" + show(f[r[0] + "_ci_high"], 1) + "), " +
          show(f.total_conversations, 0) + " conversations" + (open ? ", provisional" : "");
        dot.appendChild(title);
        svg.appendChild(dot);
      });
    });
    box.appendChild(svg);
  }

  function drawMix(sums, names, isProvisional) {
    var bar = document.getElementById("mix-bar"), body = document.getElementById("mix-body");
    var note = document.getElementById("mix-missing");
    bar.textContent = "";
    body.textContent = "";
    var held = MIX.every(function (m) { return names.indexOf(m[0]) >= 0; });
    note.hidden = held;
    document.getElementById("mix-provisional").hidden = !isProvisional;
    if (!held) { return; }
    var n = sums.total_conversations;
    MIX.forEach(function (m) {
      var share = pct(sums[m[0]], n);
      var part = el("span", {style: "width:" + (share || 0) + "%;background:" + m[2],
                             title: m[1]});
      bar.appendChild(part);
      var row = el("tr", {"data-outcome": m[1]});
      row.appendChild(el("td", {"class": "name"}, m[1]));
      row.appendChild(el("td", {}, show(sums[m[0]], 0)));
      row.appendChild(el("td", {"data-share": share === null ? "" : String(round(share, 1))},
                         show(round(share, 1), 1, " %")));
      body.appendChild(row);
    });
  }

  function drawChannels(st) {
    var part = slice(st, "channel");
    var groups = groupBy(part.rows, "channel");
    var ranked = document.getElementById("channels-ranked");
    var apart = document.getElementById("channels-apart");
    ranked.textContent = "";
    apart.textContent = "";
    var rows = Object.keys(groups).map(function (channel) {
      return {channel: channel, f: figures(total(groups[channel], part.names))};
    });
    rows.sort(function (a, b) {
      var x = a.f.completion_rate === null ? -1 : a.f.completion_rate;
      var y = b.f.completion_rate === null ? -1 : b.f.completion_rate;
      return y - x || (a.channel < b.channel ? -1 : 1);
    });
    var rank = 0;
    rows.forEach(function (r) {
      var unknown = r.channel === ex.unknown;
      var tr = el("tr", {"data-channel": r.channel});
      tr.appendChild(el("td", unknown ? {} : {"data-sort": String(rank + 1)},
                        unknown ? "\u2013" : String(++rank)));
      tr.appendChild(el("td", {"class": "name"}, r.channel));
      tr.appendChild(el("td", {"data-sort": String(r.f.total_conversations)},
                        show(r.f.total_conversations, 0)));
      RATES.forEach(function (rate) {
        var v = r.f[rate[0]];
        tr.appendChild(el("td", {"data-sort": v === null ? "" : String(v),
                                 "data-rate": rate[0]},
          show(v, 1, " %") + (v === null ? "" : " (" + show(r.f[rate[0] + "_ci_low"], 1) +
          "\u2013" + show(r.f[rate[0] + "_ci_high"], 1) + ")")));
      });
      if (unknown) {
        if (!apart.rows.length) {
          var caption = el("tr", {"class": "caption"});
          caption.appendChild(el("td", {colspan: "6"},
            "Not ranked: events that name no channel"));
          apart.appendChild(caption);
        }
        apart.appendChild(tr);
      } else {
        ranked.appendChild(tr);
      }
    });
  }

  function drawDrill(st) {
    var kind = document.getElementById("drill-kind").value;
    var cols = {};
    ex.drill_columns.forEach(function (c, i) { cols[c] = i; });
    var model = ex.models.indexOf(st.model);
    var byModel = st.model !== "" && ex.drill_models !== null;
    var matching = ex.drill.filter(function (row, i) {
      var day = row[cols.started_date];
      if (byModel && ex.drill_models[i].indexOf(model) < 0) { return false; }
      if (day < st.from || day > st.to) { return false; }
      if (st.agent !== "" && row[cols.agent_id] !== st.agent) { return false; }
      if (st.channel !== "" && row[cols.channel] !== st.channel) { return false; }
      if (kind === "abandoned") { return row[cols.was_abandoned]; }
      if (kind === "negative") { return row[cols.negative_feedback_count] > 0; }
      if (kind === "rephrased") { return row[cols.rephrase_count] > 0; }
      return true;
    });
    var body = document.getElementById("drill-body");
    body.textContent = "";
    matching.slice(0, ex.drill_shown).forEach(function (row) {
      var tr = el("tr", {"data-conversation": row[cols.conversation_id]});
      tr.appendChild(el("td", {"class": "id"}, row[cols.conversation_id]));
      tr.appendChild(el("td", {}, row[cols.started_date]));
      tr.appendChild(el("td", {"class": "name"}, row[cols.agent_id]));
      tr.appendChild(el("td", {"class": "name"}, row[cols.channel]));
      tr.appendChild(el("td", {}, row[cols.outcome] +
                                  (row[cols.had_handoff] ? ", handed off" : "")));
      ["negative_feedback_count", "rephrase_count", "user_turns"].forEach(function (c) {
        tr.appendChild(el("td", {"data-sort": String(row[cols[c]])}, String(row[cols[c]])));
      });
      body.appendChild(tr);
    });
    document.getElementById("drill-count").textContent =
      Math.min(matching.length, ex.drill_shown).toLocaleString("en-US") + " of " +
      matching.length.toLocaleString("en-US") + " matching";
    document.getElementById("drill-model").hidden = st.model === "" || byModel;
  }

  function update() {
    var st = state();
    if (st.from > st.to) { var swap = st.from; st.from = st.to; st.to = swap; }
    var part = slice(st);
    var sums = total(part.rows, part.names);
    var isProvisional = ex.dates.some(function (d) {
      return provisional[d] && d >= st.from && d <= st.to;
    });
    drawHeadline(figures(sums), isProvisional);
    drawDaily(part.rows, part.names, st);
    drawMix(sums, part.names, isProvisional);
    drawChannels(st);
    drawDrill(st);
    document.documentElement.setAttribute("data-explore-state", JSON.stringify(st));
  }

  ["filter-from", "filter-to", "filter-agent", "filter-channel", "filter-model",
   "drill-kind"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", update);
  });
  document.getElementById("filter-reset").addEventListener("click", function () {
    document.getElementById("filters").reset();
    update();
  });
  function openDrill(kpi) {
    document.getElementById("drill-kind").value = kpi.getAttribute("data-drill");
    update();
    document.getElementById("drill-down").scrollIntoView();
  }
  document.querySelectorAll("#headline .kpi[data-drill]").forEach(function (kpi) {
    kpi.addEventListener("click", function () { openDrill(kpi); });
    kpi.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openDrill(kpi); }
    });
  });
  var resized = null;
  window.addEventListener("resize", function () {
    clearTimeout(resized);
    resized = setTimeout(update, 150);
  });
  window.dashboardExplore = {update: update, figures: figures};
  update();
  document.documentElement.setAttribute("data-dashboard-ready", "true");
})();
"""
