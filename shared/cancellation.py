"""Cancellation and timeouts, backend-agnostic: AnyIO's cancel scopes on every backend.

AnyIO brings Trio's model to asyncio as well: a :class:`anyio.CancelScope`
cancels a *block*, and stays cancelled (**level-triggered**) — every
checkpoint inside raises the backend's cancellation
(:func:`anyio.get_cancelled_exc_class`: :exc:`asyncio.CancelledError` or
:exc:`trio.Cancelled`) until the block is left. On asyncio, AnyIO does this
by calling ``Task.cancel()`` again on every loop iteration while the task
waits in a cancelled scope, so code ported from plain asyncio that catches
``CancelledError`` and carries on is cancelled again at its next ``await``.

Where asyncio's interface differs from AnyIO's:

==============================  ==============================  ==========================
asyncio                         AnyIO                           here
==============================  ==============================  ==========================
``async with timeout(s)``       ``with fail_after(s)``          ``with fail_after(s)``
``timeout(None)``               ``fail_after(None)``            ``math.inf``; ``None`` is
                                                                a :exc:`TypeError`
``wait_for(aw, s)``: new task   none                            ``aw`` under
                                                                ``fail_after``, same task
``shield(aw)``: the caller      ``CancelScope(shield=True)``    :func:`shielded`: the
still raises at once            around the code                 shielded scope
==============================  ==============================  ==========================

Error handling
--------------
Timeouts in seconds must be real numbers ``>= 0``: ``0`` means "already
expired" (the block runs until its first checkpoint) and :data:`math.inf`
means "never". A negative or NaN timeout raises :exc:`ValueError` (AnyIO
would take a negative delay as a deadline in the past, and NaN as a deadline
that never compares as reached), anything else that is not a number
(``None`` and ``bool`` included) raises :exc:`TypeError`; both name the
accepted range.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable
from contextlib import AbstractContextManager
from typing import TypeVar

import anyio

from common.checks import check_timeout

__all__ = ["CancelScope", "move_on_after", "fail_after", "wait_for", "shielded"]

T = TypeVar("T")

# AnyIO's class itself: deadline on anyio.current_time()'s clock, cancel(), shield,
# cancel_called, cancelled_caught. The backend's own scope is made when it is created.
CancelScope = anyio.CancelScope


def move_on_after(seconds: float, *, shield: bool = False) -> anyio.CancelScope:
    """:func:`anyio.move_on_after`: a cancel scope expiring *seconds* from now.

    When it expires, the block is cancelled and execution moves on after it;
    ``scope.cancelled_caught`` tells whether that happened. The clock starts
    at the call (AnyIO 4; Trio starts it on entering).

    Error handling
    --------------
    :exc:`ValueError` for a negative or NaN *seconds*, :exc:`TypeError` for a
    non-number; AnyIO's ``NoEventLoopError`` outside an event loop.
    """
    return anyio.move_on_after(check_timeout("move_on_after(seconds)", seconds), shield=shield)


def fail_after(
    seconds: float, *, shield: bool = False
) -> AbstractContextManager[anyio.CancelScope]:
    """:func:`anyio.fail_after`: like :func:`move_on_after`, but raises :exc:`TimeoutError`.

    Error handling
    --------------
    :exc:`TimeoutError` when the deadline stopped the block; a ``scope.cancel()``
    by hand moves on quietly (Trio's ``fail_after`` would raise). Bad *seconds*
    as in :func:`move_on_after`.
    """
    return anyio.fail_after(check_timeout("fail_after(seconds)", seconds), shield=shield)


# The timeout parameter is asyncio's wait_for signature, kept on purpose.
async def wait_for(aw: Awaitable[T], timeout: float | None) -> T:  # noqa: ASYNC109
    """Await *aw* under :func:`fail_after`: asyncio's ``wait_for`` the AnyIO way.

    *aw* runs in the caller's task, not a new one: on timeout, a coroutine is
    cancelled at its checkpoint and its ``finally`` blocks run before
    :exc:`TimeoutError` is raised. A :class:`~shared.futures.Future` or Task is
    only waited for: timing out leaves it pending (asyncio cancels it).
    ``None`` or :data:`math.inf` waits without limit; ``0`` lets a coroutine
    run until its first checkpoint.

    Error handling
    --------------
    :exc:`TimeoutError` on timeout. A cancellation of the caller wins over a
    result that arrives at the same moment, at the next checkpoint (the result
    stays in a Future). Bad *timeout* as in :func:`move_on_after`; a coroutine
    is closed first, so it does not warn "never awaited".
    """
    try:
        seconds = math.inf if timeout is None else check_timeout("wait_for(timeout)", timeout)
    except (TypeError, ValueError):
        if inspect.iscoroutine(aw):
            aw.close()
        raise
    with anyio.fail_after(seconds):
        return await aw


async def shielded(aw: Awaitable[T]) -> T:
    """Await *aw* inside ``CancelScope(shield=True)``: cancellation from outside waits.

    The work runs to the end and its result is returned; a cancellation that
    arrived meanwhile is delivered at the caller's next checkpoint (the scope
    around stays cancelled). Use it for cleanup that must finish, e.g. in a
    ``finally`` block, where an unshielded ``await`` would be cancelled at once.

    Error handling
    --------------
    Exceptions of *aw* propagate. A shield has no deadline: give the cleanup
    one of its own (``move_on_after`` inside) if it might hang.
    """
    with anyio.CancelScope(shield=True):
        result = await aw
    # Returned after the block: a cancel scope may swallow an exception, so mypy sees a
    # path without a return inside it. This one never does; nobody else can cancel it.
    return result
