"""Inline SVG charts for the dashboard: lines, vertical and horizontal bars,
and one stacked bar. Drawing only: every value comes in as the marts hold
it, and is shown with the digits asked for."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from conversation_analytics.presentation.dashboard.data import CoverageGroup

COLORS = {
    "completion": "#1a7f4b",
    "abandonment": "#c0392b",
    "handoff": "#d68910",
    "neutral": "#5d6d7e",
    "accent": "#2e86c1",
    "grid": "#e5e8eb",
    "explicit": "#2e86c1",
    "implicit": "#85c1e9",
    "none": "#d5d8dc",
}


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def number(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def _y_axis(
    left: int, top: int, width: int, height: int, maximum: float, suffix: str, ticks: int = 4
) -> list[str]:
    parts = []
    for i in range(ticks + 1):
        value = maximum * i / ticks
        y = top + height - height * i / ticks
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" '
            f'stroke="{COLORS["grid"]}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{value:,.0f}{suffix}</text>"
        )
    return parts


def nice_max(value: float) -> float:
    if value <= 0:
        return 4.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    maximum: float = 100.0,
    suffix: str = "%",
    label: str,
    width: int = 760,
    height: int = 260,
) -> str:
    """Lines (name, color, values) over categorical x `labels`; None values
    break the line."""
    left, top, right, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    body = _y_axis(left, top, plot_w, plot_h, maximum, suffix)
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top + plot_h - plot_h * min(v, maximum) / maximum

    step = max(1, count // 8)
    for i, text in enumerate(labels):
        if i % step == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" class="tick">'
                f"{escape(text)}</text>"
            )
    for name, color, values in series:
        segments: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for points in segments:
            if len(points) > 1:
                body.append(
                    f'<polyline class="series" data-series="{escape(name)}" fill="none" '
                    f'stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
                )
        for i, v in enumerate(values):
            if v is not None:
                body.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}">'
                    f"<title>{escape(labels[i])}: {escape(name)} {v:,.1f}{suffix}</title></circle>"
                )
    return _svg(width, height, body, label)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    color: str,
    label: str,
    suffix: str = "",
    maximum: float | None = None,
    width: int = 760,
    height: int = 220,
    digits: int = 0,
) -> str:
    """Vertical bars over categorical x `labels`."""
    left, top, right, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = maximum if maximum is not None else nice_max(max([v or 0 for v in values] + [0]))
    body = _y_axis(left, top, plot_w, plot_h, top_value, suffix)
    count = max(len(labels), 1)
    slot = plot_w / count
    step = max(1, count // 12)
    for i, (text, v) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * min(v or 0, top_value) / top_value
        x = left + slot * i + slot * 0.15
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{color}">'
            f"<title>{escape(text)}: {number(v, digits, suffix)}</title></rect>"
        )
        if i % step == 0:
            body.append(
                f'<text x="{left + slot * (i + 0.5):.1f}" y="{height - 8}" '
                f'text-anchor="middle" class="tick">{escape(text)}</text>'
            )
    return _svg(width, height, body, label)


def hbar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    color: str,
    label: str,
    suffix: str = "%",
    maximum: float = 100.0,
    width: int = 370,
    digits: int = 1,
) -> str:
    """Horizontal bars, one per (name, value)."""
    left, row_h = 130, 24
    height = max(row_h * len(rows) + 8, 32)
    plot_w = width - left - 56
    body = []
    for i, (name, v) in enumerate(rows):
        y = 4 + i * row_h
        bar_w = plot_w * min(v or 0, maximum) / maximum
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" class="tick">'
            f"{escape(name)}</text>"
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(name)}: {number(v, digits, suffix)}</title></rect>'
            f'<text x="{left + bar_w + 4:.1f}" y="{y + 15}" class="tick">'
            f"{number(v, digits, suffix)}</text>"
        )
    return _svg(width, height, body, label)


def stacked_bar(groups: Sequence[CoverageGroup], *, label: str, width: int = 760) -> str:
    """One 100 % bar split by coverage group, with a legend below."""
    height, bar_h, left = 70, 28, 0
    body = []
    x = float(left)
    for group in groups:
        share = group.share or 0.0
        w = width * share / 100
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="4" width="{w:.1f}" height="{bar_h}" '
            f'fill="{COLORS[group.key]}"><title>{escape(group.label)}: '
            f"{group.conversations:,} ({number(group.share, 1, ' %')})</title></rect>"
        )
        x += w
    legend_x = 0
    for group in groups:
        body.append(
            f'<rect x="{legend_x}" y="{bar_h + 18}" width="12" height="12" '
            f'fill="{COLORS[group.key]}"/>'
            f'<text x="{legend_x + 16}" y="{bar_h + 28}" class="tick">{escape(group.label)} '
            f"{number(group.share, 1, ' %')}</text>"
        )
        legend_x += width // 3
    return _svg(width, height, body, label)


