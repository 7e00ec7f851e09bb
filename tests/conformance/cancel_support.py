"""Helpers shared by the cancellation conformance files (not a test module).

The upstream suites use primitives our API does not name; these are their
equivalents in every column:

* Trio's ``checkpoint()`` is :func:`anyio.lowlevel.checkpoint` (on asyncio a
  ``sleep(0)``, so impl_asyncio's scopes deliver there too);
* Trio's ``cancel_shielded_checkpoint()`` is a checkpoint inside
  ``CancelScope(shield=True)`` of the column, which is how Trio defines it;
* "is cancelled" is :func:`anyio.get_cancelled_exc_class`: the backend's
  cancellation, ``asyncio.CancelledError`` or ``trio.Cancelled``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.lowlevel
import pytest

from common.interface import CancellationAPI

__all__ = [
    "cancelled",
    "cancelled_exc",
    "checkpoint_raises",
    "differs_before",
    "shielded_checkpoint_raises",
    "sleep_forever_raises",
]

F = TypeVar("F", bound=Callable[..., object])


def differs_before(version: tuple[int, int]) -> Callable[[F], F]:
    """Mark ``differs`` on Pythons older than *version* only.

    For a case where asyncio's outcome changed in that version to the one Trio and
    AnyIO have: from then on all columns agree, and the matrix says so.
    """

    def mark(fn: F) -> F:
        return pytest.mark.differs(fn) if sys.version_info < version else fn

    return mark


def cancelled_exc() -> type[BaseException]:
    """The backend's cancellation exception class."""
    return anyio.get_cancelled_exc_class()


def cancelled(exc: BaseException | None) -> bool:
    """Whether *exc* is the backend's cancellation."""
    return isinstance(exc, anyio.get_cancelled_exc_class())


async def checkpoint_raises() -> bool:
    """Run one checkpoint; True if it raised the cancellation (which is then dropped).

    Upstream writes ``with pytest.raises(Cancelled): await checkpoint()``; a test
    that states per column what happens needs the answer as a value instead.
    """
    try:
        await anyio.lowlevel.checkpoint()
    except anyio.get_cancelled_exc_class():
        return True
    return False


async def shielded_checkpoint_raises(cx: CancellationAPI) -> bool:
    """Trio's ``cancel_shielded_checkpoint()`` in the column's terms."""
    with cx.CancelScope(shield=True):
        raised = await checkpoint_raises()
    return raised


async def sleep_forever_raises(cx: CancellationAPI, guard: float = 0.05) -> bool:
    """Trio's ``with pytest.raises(Cancelled): await sleep_forever()`` where asyncio may
    not raise at all: a guard scope ends the sleep after *guard* seconds instead.

    True if the sleep was cancelled from outside the guard, False if the guard ended it.
    """
    try:
        with cx.move_on_after(guard):
            await anyio.sleep_forever()
    except anyio.get_cancelled_exc_class():
        return True
    return False
