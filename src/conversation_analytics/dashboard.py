"""Moved to `conversation_analytics.presentation.dashboard`; kept so the old
import path works."""

from conversation_analytics.presentation.dashboard import (  # noqa: F401
    DashboardData,
    DashboardError,
    gather_dashboard,
    render_html,
    write_dashboard,
)
