"""Drive Debian's headless Chromium over the DevTools protocol, stdlib only.

Chromium is started with `--remote-debugging-pipe`: it reads protocol
messages from file descriptor 3 and writes its answers and events to file
descriptor 4, each a JSON text ended by a NUL byte. No port is opened, so no
websocket client is needed and nothing else can talk to the browser.

`open_page` loads one URL and records what a test wants to know about it:
console errors, uncaught exceptions, log-domain errors and every network
request the page made.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")

# Quiet, offline, root-safe flags (the tests run as root, which needs --no-sandbox).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The Chromium executable: `CA_CHROMIUM`, else the first on PATH."""
    explicit = os.environ.get("CA_CHROMIUM")
    if explicit:
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What happened while a page loaded."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @classmethod
    def of_events(cls, url: str, events: list[dict[str, Any]]) -> PageReport:
        """The report of the protocol `events` received so far (call it again
        after driving the page to see what the driving caused)."""
        report = cls(url=url)
        for event in events:
            method, params = event["method"], event.get("params", {})
            if method == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
            ):
                report.console_errors.append(
                    " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.exceptions.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                entry = params["entry"]
                report.log_errors.append(f"{entry.get('source')}: {entry.get('text')}")
        return report

    def network_requests(self) -> list[str]:
        """Requests other than the page itself and inline data: URLs."""
        return [url for url in self.requests if url != self.url and not url.startswith("data:")]


class Browser:
    """One headless Chromium and one page, spoken to over the pipe."""

    def __init__(self, executable: str, *, width: int = 1400, height: int = 1000) -> None:
        self._profile = tempfile.mkdtemp(prefix="ca-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # in the child: fd 3 in, fd 4 out
            # Move both out of the way first: either may already be 3 or 4.
            reader = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            writer = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(reader, 3)
            os.dup2(writer, 4)
            os.close(reader)
            os.close(writer)

        self.process = subprocess.Popen(  # noqa: S603 - a fixed argv
            [
                executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=wire_pipes,  # noqa: PLW1509 - no threads are started before
            close_fds=True,
            # Kept open across exec (subprocess closes the rest after
            # wire_pipes has run).
            pass_fds=(3, 4),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None

    # --- protocol --------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                stderr = self.process.stderr.read().decode(errors="replace") if (
                    self.process.poll() is not None and self.process.stderr
                ) else ""
                raise BrowserError(f"Chromium closed the pipe; stderr: {stderr[-2000:]}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 30.0,
        session: bool = True,
    ) -> dict[str, Any]:
        """Send a command and wait for its answer (events that arrive
        meanwhile are kept for `wait_for` and `events`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, method: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """The first (kept or new) event named `method`."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self._events):
                if event["method"] == method:
                    return self._events.pop(index)
            message = self._read_message(deadline)
            if "method" in message:
                self._events.append(message)

    def drain(self, seconds: float) -> None:
        """Collect events for `seconds` (late console messages, requests)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                message = self._read_message(deadline)
            except BrowserError as exc:
                if "timed out" in str(exc):
                    return
                raise
            if "method" in message:
                self._events.append(message)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self._events

    # --- page helpers ---------------------------------------------------------------

    def attach(self) -> None:
        """Attach to the first page target and enable the domains we watch."""
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        pages = [t for t in targets if t.get("type") == "page"]
        if pages:
            target_id = pages[0]["targetId"]
        else:
            target_id = self.send(
                "Target.createTarget", {"url": "about:blank"}, session=False
            )["targetId"]
        self.session = self.send(
            "Target.attachToTarget", {"targetId": target_id, "flatten": True}, session=False
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def set_viewport(self, width: int, height: int = 1000) -> None:
        """Lay the page out at `width` x `height` CSS pixels (a desktop
        browser's window of that size, scale 1)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                with suppress(BrowserError, OSError):
                    self.send("Browser.close", session=False, timeout=5)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            for fd in (self._to_browser, self._from_browser):
                with suppress(OSError):
                    os.close(fd)
            if self.process.stderr:
                self.process.stderr.close()
            shutil.rmtree(self._profile, ignore_errors=True)


@contextmanager
def open_page(url: str, *, executable: str, settle_seconds: float = 1.0) -> Iterator[
    tuple[Browser, PageReport]
]:
    """Load `url` in a fresh headless Chromium; yield the browser (for
    evaluate/screenshot) and the report of the load."""
    browser = Browser(executable)
    try:
        browser.attach()
        browser.send("Page.navigate", {"url": url})
        browser.wait_for("Page.loadEventFired", timeout=60)
        browser.drain(settle_seconds)
        report = PageReport.of_events(url, browser.events)
        yield browser, report
    finally:
        browser.close()


# --- PNG --------------------------------------------------------------------------


@dataclass
class Image:
    width: int
    height: int
    pixels: list[tuple[int, int, int]]

    def distinct_colors(self) -> int:
        return len(set(self.pixels))

    def share_unlike(self, color: tuple[int, int, int], tolerance: int = 8) -> float:
        """Share of pixels that differ from `color` (the background)."""
        if not self.pixels:
            return 0.0
        differing = sum(
            1 for p in self.pixels if max(abs(a - b) for a, b in zip(p, color, strict=True))
            > tolerance
        )
        return differing / len(self.pixels)


def decode_png(data: bytes) -> Image:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, idat = 8, b""
    width = height = color_type = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        chunk = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            if depth != 8 or color_type not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, color type {color_type})")
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    channels = 4 if color_type == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                upper_left = previous[i - channels] if i >= channels else 0
                estimate = left + up - upper_left
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                line[i] = (line[i] + predictor) & 0xFF
        pixels.extend(
            (line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels)
        )
        previous = line
    return Image(width=width, height=height, pixels=pixels)


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
