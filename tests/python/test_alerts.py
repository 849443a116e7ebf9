"""Alerts delivered: `conversation-analytics alerts` prints the open weekly
alerts of agent_alert_history, posts them to CA_ALERT_WEBHOOK_URL (a local
HTTP server here) as Slack-compatible JSON, retries a 500, and exits with
the documented codes; the history keeps when each alert first fired across
builds and full refreshes.

The events: agent `drop` completes 30 of 30 conversations in the week of
2026-10-05 and 10 of 30 the week after (p far below 0.05); agent `steady`
completes 20 of 30 both weeks. A later conversation makes both weeks
complete.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner, Result

from conversation_analytics.cli import cli
from conversation_analytics.contract import EventRecord
from conversation_analytics.presentation import alerts
from conversation_analytics.warehouse import dbt_runner, loader

WEEK_BEFORE = datetime(2026, 10, 5, 9, tzinfo=UTC)
WEEK_OF_DROP = datetime(2026, 10, 12, 9, tzinfo=UTC)
MARTS = dbt_runner.layer_schema("duckdb", "marts")


def _conversation(name: str, agent: str, start: datetime, completed: bool) -> list[EventRecord]:
    ending = "completed" if completed else "abandoned"
    return [
        EventRecord(name, "u-" + name, "started", start, {"agent_id": agent, "channel": "web"},
                    id=name + "-1"),
        EventRecord(name, "u-" + name, "user_message", start + timedelta(minutes=1), {"turn": 1},
                    id=name + "-2"),
        EventRecord(name, "u-" + name, ending, start + timedelta(minutes=2),
                    {"abandoned_at_turn": 1} if not completed else {}, id=name + "-3"),
    ]


def _events() -> list[EventRecord]:
    events: list[EventRecord] = []
    for agent, completed_before, completed_after in (("drop", 30, 10), ("steady", 20, 20)):
        for week, completed in ((WEEK_BEFORE, completed_before), (WEEK_OF_DROP, completed_after)):
            for k in range(30):
                start = week + timedelta(hours=3 * k)
                name = f"{agent}-{week:%m%d}-{k}"
                events += _conversation(name, agent, start, k < completed)
    events += _conversation("later", "steady", datetime(2026, 10, 27, 9, tzinfo=UTC), True)
    return events


@pytest.fixture(scope="module")
def database(dbt_scratch: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("alerts") / "alerts.duckdb"
    loader.load_events(_events(), "duckdb", replace=True, duckdb_path=path)
    dbt_runner.run_dbt(["build", "--quiet"], duckdb_file=path)
    return path


class Webhook:
    """A local HTTP server that answers each POST with the next status of
    `statuses` (the last one repeats) and keeps the bodies."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict[str, Any]] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                webhook.bodies.append(json.loads(self.rfile.read(length)))
                status = webhook.statuses[min(len(webhook.bodies), len(webhook.statuses)) - 1]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"trouble")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_factory() -> Iterator[Any]:
    made: list[Webhook] = []

    def make(statuses: list[int]) -> Webhook:
        made.append(Webhook(statuses))
        return made[-1]

    yield make
    for webhook in made:
        webhook.close()


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    original = alerts.post_webhook

    def quick(url: str, payload: dict[str, Any], **kwargs: Any) -> alerts.Delivery:
        return original(url, payload, backoff_seconds=0.01, **kwargs)

    monkeypatch.setattr(alerts, "post_webhook", quick)


def _alerts(database: Path, url: str | None) -> Result:
    env = {"CA_TARGET": None, "CA_DUCKDB_PATH": None, alerts.WEBHOOK_ENV: url}
    return CliRunner().invoke(cli, ["alerts", "--duckdb-path", str(database)], env=env)


def _history(database: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            f'select agent_id, week_start, is_open, first_fired_at, last_fired_at '
            f'from "{MARTS}".agent_alert_history order by agent_id, week_start'
        ).fetchall()


def test_the_significant_fall_is_the_one_open_alert(database: Path) -> None:
    result = _alerts(database, None)
    assert result.exit_code == alerts.EXIT_ALERTS, result.output
    assert "1 open alert:" in result.output
    assert "drop, week of 2026-10-12: completion 100.0% -> 33.3% (-66.7 points" in result.output
    assert "steady" not in result.output


def test_alerts_are_posted_and_a_500_is_retried(
    database: Path, webhook_factory: Any, no_backoff: None
) -> None:
    webhook = webhook_factory([500, 200])
    result = _alerts(database, webhook.url)
    assert result.exit_code == alerts.EXIT_ALERTS, result.output
    assert "posted to the webhook (HTTP 200)" in result.output
    assert len(webhook.bodies) == 2
    body = webhook.bodies[-1]
    assert body["text"].startswith("1 open alert:")
    assert "drop, week of 2026-10-12" in body["text"]
    assert [block["type"] for block in body["blocks"]] == ["section"]
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"


@pytest.mark.parametrize(
    ("status", "attempts", "reason"),
    [(503, 3, "HTTP 503"), (404, 1, "HTTP 404")],
    ids=["server-error-retried", "client-error-not-retried"],
)
def test_a_webhook_that_keeps_failing_is_reported_not_raised(
    database: Path, webhook_factory: Any, no_backoff: None, status: int, attempts: int,
    reason: str,
) -> None:
    webhook = webhook_factory([status])
    result = _alerts(database, webhook.url)
    assert result.exit_code == alerts.EXIT_ALERTS_UNDELIVERED, result.output
    assert len(webhook.bodies) == attempts
    plural = "s" if attempts != 1 else ""
    assert f"did not take the alerts after {attempts} attempt{plural}: {reason}" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_webhook_is_reported(database: Path, no_backoff: None) -> None:
    with _closed_port() as url:
        result = _alerts(database, url)
    assert result.exit_code == alerts.EXIT_ALERTS_UNDELIVERED, result.output
    assert "cannot reach the webhook" in result.output


class _closed_port:  # noqa: N801 - a context manager used as a phrase
    """A loopback URL nobody listens on."""

    def __enter__(self) -> str:
        webhook = Webhook([200])
        url = webhook.url
        webhook.close()
        return url

    def __exit__(self, *exc: object) -> None:
        pass


def test_history_keeps_the_first_firing_and_closes_what_stops(
    database: Path, webhook_factory: Any
) -> None:
    ((agent, week, is_open, first_fired, last_fired),) = _history(database)
    assert (agent, str(week), is_open) == ("drop", "2026-10-12", True)

    # A later build and a full refresh keep the first firing.
    dbt_runner.run_dbt(["build", "--quiet", "--full-refresh"], duckdb_file=database)
    ((_, _, still_open, first_again, last_again),) = _history(database)
    assert still_open is True
    assert first_again == first_fired
    assert last_again >= last_fired

    # A threshold the fall does not reach closes the alert: nothing to post.
    dbt_runner.run_dbt(
        ["build", "--quiet"], duckdb_file=database, vars={"completion_drop_alert_points": 70}
    )
    ((_, _, closed, first_kept, _),) = _history(database)
    assert closed is False
    assert first_kept == first_fired
    webhook = webhook_factory([200])
    result = _alerts(database, webhook.url)
    assert result.exit_code == alerts.EXIT_NO_ALERT, result.output
    assert "No open alert." in result.output
    assert webhook.bodies == []
