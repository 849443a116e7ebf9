"""Writing what is still queued when the process ends without `close()`.

Every tracker that has accepted an event and is not closed yet is kept here.
At interpreter exit (`atexit`: the main module returned, `sys.exit`, an
uncaught exception) each one is closed: its queued events are written, or
dropped and counted in the log if the store will not take them within
`close_timeout`.

SIGTERM ends a Python process at once, with no `atexit` and no `finally`.
`install_sigterm_handler()` (opt-in, `ConversationTracker(flush_on_sigterm=True)`)
changes that only where the application has not claimed the signal itself:

- SIGTERM at its default: the handler closes the open trackers (on their
  event loop when it is running, else from outside it), then restores the
  default and sends SIGTERM again, so the process still ends by the signal,
  just after its events are written.
- A handler of the application's: it is kept and called; the application
  decides how to end, and `close()` or the exit hook writes the events.
- SIGTERM ignored, or a handler set outside Python: nothing is installed.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batching import BatchWriter

logger = logging.getLogger("conversation_analytics.tracker")

_open_writers: set[BatchWriter] = set()
_hook_registered = False
_lock = threading.Lock()
_previous_handler: Callable[[int, FrameType | None], Any] | int | None = None
_terminating = False


def keep(writer: BatchWriter) -> None:
    """Close `writer` at interpreter exit unless it is closed before."""
    global _hook_registered
    with _lock:
        _open_writers.add(writer)
        if not _hook_registered:
            atexit.register(close_open_writers)
            _hook_registered = True


def forget(writer: BatchWriter) -> None:
    with _lock:
        _open_writers.discard(writer)


def close_open_writers() -> None:
    """Close every tracker still open (the `atexit` hook)."""
    with _lock:
        writers = [w for w in _open_writers if w.flush_at_exit]
    for writer in writers:
        try:
            writer.close_from_outside()
        except Exception:
            logger.exception("closing a conversation tracker at exit failed")


def install_sigterm_handler() -> bool:
    """Close open trackers on SIGTERM before the process ends (see the module
    docstring); True when installed. Only the main thread can install it."""
    global _previous_handler
    if threading.current_thread() is not threading.main_thread():
        logger.warning(
            "flush_on_sigterm: signal handlers can only be set from the main thread; "
            "not installed (call close() from your own shutdown instead)"
        )
        return False
    previous = signal.getsignal(signal.SIGTERM)
    if previous is _on_sigterm:
        return True
    if previous is signal.SIG_IGN or previous is None:
        logger.warning(
            "flush_on_sigterm: SIGTERM is %s; left as it is",
            "ignored" if previous is signal.SIG_IGN else "handled outside Python",
        )
        return False
    _previous_handler = previous
    signal.signal(signal.SIGTERM, _on_sigterm)
    return True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    global _terminating
    previous = _previous_handler
    if callable(previous):
        previous(signum, frame)
        return
    if _terminating:  # a second SIGTERM: stop waiting
        _die()
    _terminating = True
    with _lock:
        writers = list(_open_writers)
    loop = asyncio._get_running_loop()
    here = [w for w in writers if loop is not None and w._loop is loop]
    elsewhere = [w for w in writers if w not in here]
    for writer in elsewhere:
        try:
            writer.close_from_outside()
        except Exception:
            logger.exception("closing a conversation tracker on SIGTERM failed")
    if loop is None or not here:
        _die()
    assert loop is not None
    # The handler runs inside the loop's own code: the closes run as a task.
    loop.call_soon_threadsafe(_close_then_die, loop, here)


def _close_then_die(loop: asyncio.AbstractEventLoop, writers: list[BatchWriter]) -> None:
    async def close_all() -> None:
        try:
            await asyncio.gather(*(w.close() for w in writers), return_exceptions=True)
        finally:
            _die()

    loop.create_task(close_all(), name="conversation-tracker-sigterm")


def _die() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
