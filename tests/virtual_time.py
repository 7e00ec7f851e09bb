"""Virtual time for asyncio: an event loop whose clock jumps instead of waiting.

What ``trio.testing.MockClock(autojump_threshold=0)`` does for Trio, for the
asyncio columns: :class:`VirtualTimeLoop` is a selector event loop whose
``time()`` is a number it keeps. Whenever the loop would block in the selector
until its next timer (nothing ready, no I/O arriving), it instead polls without
blocking and, if still nothing is ready, sets the clock to that timer's
deadline. An hour of ``asyncio.sleep`` passes in microseconds, and every
deadline is met exactly, so timing assertions can use ``==``.

Use it as AnyIO's ``loop_factory`` (``("asyncio", {"loop_factory":
VirtualTimeLoop})``) or ``asyncio.Runner(loop_factory=VirtualTimeLoop)``.

Like Trio's autojump, the clock jumps whenever the loop is idle, even if a
thread is still working on something the loop awaits: a test that mixes threads
with timeouts needs real time. uvloop cannot be given this clock (libuv keeps
its own), so the uvloop columns run the real-time tests only.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

__all__ = ["VirtualTimeLoop"]


class _AutojumpSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        # None: no timer at all, so only I/O (a thread's call_soon_threadsafe) can wake
        # the loop; block for real. 0: something is ready already.
        if timeout is None or timeout <= 0 or self.loop is None:
            return super().select(timeout)
        ready = super().select(0)
        if not ready:
            self.loop._advance(timeout)
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on a virtual clock that starts at 0.0 and autojumps."""

    def __init__(self) -> None:
        selector = _AutojumpSelector()
        super().__init__(selector)
        selector.loop = self
        self._virtual_now = 0.0

    def time(self) -> float:
        return self._virtual_now

    def _advance(self, timeout: float) -> None:
        # Jump to the earliest timer's own deadline rather than now + timeout, which
        # float rounding can leave a hair short of it. (_scheduled is BaseEventLoop's
        # heap of TimerHandles; cancelled ones were popped off its head already.)
        # The selector timeout is capped at a day; then only that much time passes.
        scheduled: list[Any] = getattr(self, "_scheduled", [])
        target = self._virtual_now + timeout
        if scheduled and scheduled[0].when() - self._virtual_now <= timeout + 1e-6:
            target = scheduled[0].when()
        self._virtual_now = max(self._virtual_now, target)
