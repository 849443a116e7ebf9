"""The open weekly alerts, read from `agent_alert_history`, printed and
posted to a webhook.

An alert is open while agent_performance_weekly raises it in the latest
build (the mart decides; nothing here tests a drop). `conversation-analytics
alerts` prints them and, when the environment variable CA_ALERT_WEBHOOK_URL
is set, posts them as Slack-compatible JSON (`text` and `blocks`). A webhook
that fails is retried, then reported; it never raises, so the pipeline step
that calls it ends with the documented exit code instead of a traceback.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from conversation_analytics.presentation.marts import MartReader, MartsError, connect_marts
from conversation_analytics.raw_table import Target

HISTORY_MART = "agent_alert_history"
WEBHOOK_ENV = "CA_ALERT_WEBHOOK_URL"
# Exit codes of `conversation-analytics alerts`, for schedulers.
EXIT_NO_ALERT = 0
EXIT_ALERTS = 3
EXIT_ALERTS_UNDELIVERED = 4
# Statuses worth another try: the server's trouble or its rate limit.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class AlertsError(MartsError):
    """The alerts cannot be read; the message says what to do."""


@dataclass(frozen=True)
class OpenAlert:
    week_start: date
    agent_id: str
    completion_rate: float
    previous_completion_rate: float
    completion_rate_change_points: float
    completion_drop_p_value: float | None
    total_conversations: int
    previous_total_conversations: int
    first_fired_at: datetime

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


@dataclass(frozen=True)
class Delivery:
    """How posting to the webhook went."""

    delivered: bool
    attempts: int
    detail: str


def read_open_alerts(reader: MartReader) -> list[OpenAlert]:
    """The open alerts, newest week first, largest fall first."""
    reader.require((HISTORY_MART,), AlertsError)
    return [
        OpenAlert(**row)
        for row in reader.records(
            HISTORY_MART,
            OpenAlert.columns(),
            "is_open",
            order_by="week_start desc, completion_rate_change_points, agent_id",
        )
    ]


def open_alerts(
    target: Target,
    *,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> list[OpenAlert]:
    """The open alerts of `target`'s marts, over a read-only connection."""
    connection, schema = connect_marts(target, duckdb_path=duckdb_path, conninfo=conninfo)
    with closing(connection):
        return read_open_alerts(MartReader(connection, schema))


def describe(alert: OpenAlert) -> str:
    """One line: who, which week, from what to what, how sure."""
    p_value = (
        "" if alert.completion_drop_p_value is None
        else f", p = {alert.completion_drop_p_value:.2g}"
    )
    return (
        f"{alert.agent_id}, week of {alert.week_start:%Y-%m-%d}: completion "
        f"{alert.previous_completion_rate:.1f}% -> {alert.completion_rate:.1f}% "
        f"({alert.completion_rate_change_points:+.1f} points; "
        f"{alert.previous_total_conversations:,} -> {alert.total_conversations:,} "
        f"conversations{p_value}), first fired {alert.first_fired_at:%Y-%m-%d %H:%M} UTC"
    )


def render_alerts(alerts: Sequence[OpenAlert]) -> str:
    if not alerts:
        return "No open alert."
    lines = [f"{len(alerts)} open alert{'s' if len(alerts) != 1 else ''}:"]
    lines += [f"  {describe(alert)}" for alert in alerts]
    return "\n".join(lines)


def webhook_payload(alerts: Sequence[OpenAlert]) -> dict[str, Any]:
    """Slack-compatible JSON: `text` for any receiver, `blocks` for Slack."""
    text = render_alerts(alerts)
    return {
        "text": text,
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*Completion fell:* {describe(alert)}"},
            }
            for alert in alerts
        ],
    }


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 3,
    backoff_seconds: float = 1.0,
    timeout_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST `payload` as JSON to `url`, trying up to `attempts` times on a
    connection error or a status of RETRY_STATUSES (waiting backoff_seconds,
    then twice that, ...). Never raises."""
    if not url.startswith(("https://", "http://")):
        return Delivery(False, 0, f"{WEBHOOK_ENV} is not an http(s) URL")
    body = json.dumps(payload).encode()
    detail = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
                return Delivery(True, attempt, f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code} {exc.reason}"
            if exc.code not in RETRY_STATUSES:
                return Delivery(False, attempt, detail)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            detail = f"cannot reach the webhook: {reason}"
        if attempt < attempts:
            sleep(backoff_seconds * 2 ** (attempt - 1))
    return Delivery(False, attempts, detail)


def exit_code(alerts: Sequence[OpenAlert], delivery: Delivery | None) -> int:
    """EXIT_NO_ALERT, EXIT_ALERTS, or EXIT_ALERTS_UNDELIVERED when the
    webhook was set and did not take them."""
    if not alerts:
        return EXIT_NO_ALERT
    if delivery is not None and not delivery.delivered:
        return EXIT_ALERTS_UNDELIVERED
    return EXIT_ALERTS
