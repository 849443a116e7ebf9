"""Moved to `conversation_analytics.presentation.report`; kept so the old
import path works."""

from conversation_analytics.presentation.report import (  # noqa: F401
    AbandonTurn,
    AgentMetrics,
    Metrics,
    Report,
    ReportError,
    build_report,
    format_table,
    render_report,
)
