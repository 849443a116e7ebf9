"""Helpers shared by the tracker's tests: faulty stores and the example module."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from conversation_analytics.tracker import EventStore, Row

EXAMPLE_PATH = Path(__file__).resolve().parents[2] / "examples" / "instrumented_agent.py"


def load_example() -> ModuleType:
    """`examples/instrumented_agent.py` as a module (examples/ is not a package)."""
    name = "instrumented_agent_example"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class FlakyStore:
    """Wraps a store; its first `failures` writes raise `error`.

    With `fail_after_write`, a failing write first reaches the inner store:
    the ambiguous failure (committed, but the caller never heard) that makes
    delivery at-least-once.
    """

    def __init__(
        self,
        inner: EventStore,
        failures: int = 2,
        error: type[Exception] = ConnectionError,
        fail_after_write: bool = False,
    ) -> None:
        self.inner = inner
        self.failures_left = failures
        self.error = error
        self.fail_after_write = fail_after_write
        self.attempts = 0

    @property
    def name(self) -> str:
        return f"flaky({self.inner.name})"

    async def open(self) -> None:
        await self.inner.open()

    async def write(self, rows: list[Row]) -> None:
        self.attempts += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            if self.fail_after_write:
                await self.inner.write(rows)
            raise self.error(f"injected failure ({self.failures_left} more to come)")
        await self.inner.write(rows)

    async def close(self) -> None:
        await self.inner.close()

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, ConnectionError) or self.inner.is_transient(error)


class DownStore:
    """A store that is down: every call fails at once, or hangs with `hang`."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.attempts = 0

    @property
    def name(self) -> str:
        return "down"

    async def open(self) -> None:
        await self._fail()

    async def write(self, rows: list[Row]) -> None:
        await self._fail()

    async def _fail(self) -> None:
        self.attempts += 1
        if self.hang:
            await asyncio.Event().wait()
        raise ConnectionRefusedError("the store is down")

    async def close(self) -> None:
        return None

    def is_transient(self, error: BaseException) -> bool:
        return True



class RejectingStore:
    """Wraps a store; a write holding an event `rejects(row)` fails as a
    whole with a permanent error (as a database rejects a batch for one bad
    row). Records every write's size."""

    def __init__(self, inner: EventStore, rejects) -> None:
        self.inner = inner
        self.rejects = rejects
        self.write_sizes: list[int] = []

    @property
    def name(self) -> str:
        return f"rejecting({self.inner.name})"

    async def open(self) -> None:
        await self.inner.open()

    async def write(self, rows: list[Row]) -> None:
        self.write_sizes.append(len(rows))
        bad = [row[0] for row in rows if self.rejects(row)]
        if bad:
            raise ValueError(f"cannot store event {bad[0]}")
        await self.inner.write(rows)

    async def close(self) -> None:
        await self.inner.close()

    def is_transient(self, error: BaseException) -> bool:
        return not isinstance(error, ValueError)
