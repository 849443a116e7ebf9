"""A process that ends without `close()`: at exit, on SIGTERM, and the
`.part` files a killed process leaves behind. Each runs a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from conversation_analytics.tracker import JsonLinesStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

EVENTS = 5000

PRELUDE = """
import asyncio, signal, sys
from conversation_analytics.tracker import (
    BatchSettings, ConversationTracker, DuckDBStore, JsonLinesStore,
)

async def record_all(tracker):
    for i in range({events}):
        await tracker.record(f"c{{i % 50}}", "u", "user_message", turn=i)
"""


def script(body: str) -> str:
    return PRELUDE.format(events=EVENTS) + textwrap.dedent(body)


def run(body: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script(body), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(body: str, *args: str) -> subprocess.Popen[str]:
    """Start the script and wait for it to print `ready`."""
    process = subprocess.Popen(
        [sys.executable, "-c", script(body), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", process.stderr.read() if process.stderr else line
    return process


def jsonl_lines(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def duckdb_count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from raw.conversation_events").fetchone()[0]


@pytest.mark.parametrize(
    "ending",
    [
        "asyncio.run(main())",  # the loop is closed, the writer cancelled
        "asyncio.new_event_loop().run_until_complete(main())",  # the loop left open
        "asyncio.run(main()); sys.exit(3)",
    ],
)
def test_exiting_without_close_writes_every_queued_event(tmp_path: Path, ending: str) -> None:
    database = tmp_path / "events.duckdb"
    body = f"""
    async def main():
        tracker = ConversationTracker(
            DuckDBStore(sys.argv[1]),
            settings=BatchSettings(flush_interval=60, batch_size=10_000),
            embedder="ngram",
        )
        await record_all(tracker)

    {ending}
    """
    result = run(body, str(database))
    assert result.returncode == (3 if "exit" in ending else 0), result.stderr
    assert duckdb_count(database) == EVENTS
    assert f"writing the {EVENTS} events still queued" in result.stderr


def test_what_cannot_be_written_at_exit_is_counted_in_the_log(tmp_path: Path) -> None:
    body = """
    class Down:
        name = "down"
        async def open(self): raise ConnectionRefusedError("down")
        async def write(self, rows): raise ConnectionRefusedError("down")
        async def close(self): pass
        def is_transient(self, error): return True

    async def main():
        settings = BatchSettings(close_timeout=0.2, backoff_initial=0.01)
        await record_all(ConversationTracker(Down(), settings=settings, embedder="ngram"))

    asyncio.run(main())
    """
    result = run(body)
    assert result.returncode == 0, result.stderr
    assert f"closed with {EVENTS} events unwritten" in result.stderr
    assert "DROPPED" in result.stderr


SIGTERM_BODY = """
async def main():
    settings = BatchSettings(flush_interval=60, batch_size=10_000)
    store = JsonLinesStore(sys.argv[1])
    async with ConversationTracker(
        store, settings=settings, embedder="ngram", flush_on_sigterm={opt_in}
    ) as tracker:
        await record_all(tracker)
        {after}
        print("ready", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


def test_sigterm_with_flush_on_sigterm_writes_and_ships_everything(tmp_path: Path) -> None:
    body = SIGTERM_BODY.format(opt_in=True, after="")
    process = start(body, str(tmp_path))
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGTERM  # still ended by the signal
    assert list(tmp_path.glob("*.part")) == []
    assert len(jsonl_lines(tmp_path)) == EVENTS


def test_sigterm_keeps_the_applications_own_handler(tmp_path: Path) -> None:
    before = """
        def stop(signum, frame):
            print("the application's handler ran", file=sys.stderr, flush=True)
            sys.exit(0)
        """
    handler = textwrap.dedent(before) + "\nsignal.signal(signal.SIGTERM, stop)\n\n"
    body = SIGTERM_BODY.format(opt_in=True, after="")
    body = body.replace("async def main():", handler + "async def main():")
    process = start(body, str(tmp_path))
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "the application's handler ran" in stderr
    assert list(tmp_path.glob("*.part")) == []
    assert len(jsonl_lines(tmp_path)) == EVENTS


def test_a_sigterm_handled_inside_the_writer_loses_nothing(tmp_path: Path) -> None:
    """The application's SIGTERM handler exits while the tracker's writer
    code runs (here the store's is_transient, which the writer calls in its
    own code, receives the signal; on a busy machine the timing alone can
    put it there): the SystemExit ends the writer, and close() must start a
    new one for the rest instead of dropping it."""
    body = """
    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)

    class SignalledInsideTheWriter(JsonLinesStore):
        failed = False

        async def write(self, rows):
            if not SignalledInsideTheWriter.failed:
                SignalledInsideTheWriter.failed = True
                raise ConnectionError("once")
            await super().write(rows)

        def is_transient(self, error):
            signal.raise_signal(signal.SIGTERM)  # handled before this returns
            return True

    async def main():
        settings = BatchSettings(flush_interval=0.05, batch_size=10_000)
        async with ConversationTracker(
            SignalledInsideTheWriter(sys.argv[1]), settings=settings, embedder="ngram",
            flush_on_sigterm=True,
        ) as tracker:
            await record_all(tracker)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
    result = run(body, str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "DROPPED" not in result.stderr, result.stderr
    assert list(tmp_path.glob("*.part")) == []
    assert len(jsonl_lines(tmp_path)) == EVENTS


def test_a_killed_writers_part_files_are_finished_when_a_store_opens(
    tmp_path: Path,
) -> None:
    body = SIGTERM_BODY.format(opt_in=False, after="await tracker.flush()")
    process = start(body, str(tmp_path))
    process.send_signal(signal.SIGTERM)  # the default: the process ends at once
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGTERM
    [part] = tmp_path.glob("*.jsonl.part")
    with part.open("ab") as handle:
        handle.write(b'{"id":"half a li')  # as if cut off mid-write
    live = JsonLinesStore(tmp_path)
    asyncio.run(live.open())
    assert [p.name for p in live.completed_files] == [part.name.removesuffix(".part")]
    assert list(tmp_path.glob("*.part")) == []
    assert len(jsonl_lines(tmp_path)) == EVENTS


async def test_a_live_writers_part_file_is_left_alone(tmp_path: Path) -> None:
    first = JsonLinesStore(tmp_path)
    await first.open()
    await first.write([("e", "c", None, "started", datetime(2026, 3, 17, tzinfo=UTC), "{}")])
    second = JsonLinesStore(tmp_path)
    await second.open()
    assert second.completed_files == [] and len(list(tmp_path.glob("*.part"))) == 1
    await first.close()
    assert len(jsonl_lines(tmp_path)) == 1 and os.listdir(tmp_path)


def test_flush_on_exit_false_leaves_the_exit_to_the_application(tmp_path: Path) -> None:
    database = tmp_path / "events.duckdb"
    body = """
    async def main():
        tracker = ConversationTracker(
            DuckDBStore(sys.argv[1]),
            settings=BatchSettings(flush_interval=60, batch_size=10_000),
            embedder="ngram",
            flush_on_exit=False,
        )
        await record_all(tracker)

    asyncio.run(main())
    """
    result = run(body, str(database))
    assert result.returncode == 0, result.stderr
    assert not database.exists() and "still queued" not in result.stderr
