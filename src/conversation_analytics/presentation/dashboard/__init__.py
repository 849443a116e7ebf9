"""The dashboard: one self-contained HTML page drawn from the marts.

`write_dashboard(target, path)` reads the windowed marts of a built
warehouse (`data`), draws them (`charts`) into one HTML file with
everything inlined (`page`): it opens from disk, offline, and makes no
network request. Every number on the page is a mart column as the mart
holds it.
"""

from __future__ import annotations

import os
from pathlib import Path

from conversation_analytics.presentation.dashboard.data import (
    DashboardData,
    DashboardError,
    gather_dashboard,
)
from conversation_analytics.presentation.dashboard.page import render_html
from conversation_analytics.raw_table import Target

__all__ = [
    "DashboardData",
    "DashboardError",
    "gather_dashboard",
    "render_html",
    "write_dashboard",
]


def write_dashboard(
    target: Target,
    path: str | os.PathLike[str],
    *,
    days: int | None = None,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> Path:
    """Read the marts of `target` for the `days`-day window (the longest when
    None), write the dashboard to `path` (folders created as needed) and
    return its absolute path."""
    data = gather_dashboard(target, days=days, duckdb_path=duckdb_path, conninfo=conninfo)
    out = Path(path).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    return out
