"""Cancellation and timeouts, the Trio way: cancel scopes that stay cancelled.

Trio cancels a *block*, not a task. Every timeout is a :class:`trio.CancelScope`
with a deadline, and a cancelled scope is **level-triggered**: every checkpoint
inside it (every ``await`` of a Trio primitive) raises :exc:`trio.Cancelled`,
again and again, until the code has left the scope. Catching ``Cancelled``
cannot make a task keep running; it only postpones the next one. ``finally``
blocks run, but an ``await`` in one is cancelled too unless it sits in a
scope with ``shield=True``.

This module is Trio's own API with the names the three packages share:

* :class:`CancelScope` is :class:`trio.CancelScope`;
* :func:`move_on_after` is :func:`trio.move_on_after` with the clock started at
  the call, as in asyncio and AnyIO (Trio starts it on entering);
* :func:`fail_after` is :func:`trio.fail_after` except for the exception: Trio
  raises :exc:`trio.TooSlowError`, which is *not* a :exc:`TimeoutError`, and
  raises it for any cancellation its scope caught; here it is a
  :exc:`TimeoutError`, raised only when the deadline passed, as in asyncio and
  AnyIO;
* :func:`wait_for` and :func:`shielded` are two lines each on those scopes.
  Trio has neither: a coroutine is awaited in the caller's task, not in a new
  one, so there is nothing to cancel but the caller's own block.

Error handling
--------------
Timeouts in seconds must be real numbers ``>= 0``: ``0`` means "already
expired" (the block runs until its first checkpoint) and :data:`math.inf`
means "never". A negative or NaN timeout raises :exc:`ValueError`, anything
else that is not a number (``None`` and ``bool`` included) raises
:exc:`TypeError`; both name the accepted range.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import trio

from common.checks import check_timeout

__all__ = ["CancelScope", "move_on_after", "fail_after", "wait_for", "shielded"]

T = TypeVar("T")

# Trio's class itself: deadline on trio.current_time()'s clock, cancel(), shield,
# cancel_called, cancelled_caught.
CancelScope = trio.CancelScope


def move_on_after(seconds: float, *, shield: bool = False) -> trio.CancelScope:
    """A cancel scope whose deadline is *seconds* from now.

    When it expires, the block is cancelled and execution moves on after it;
    ``scope.cancelled_caught`` tells whether that happened.

    Unlike :func:`trio.move_on_after`, the clock starts at the call, not on
    entering: ``trio.move_on_at(trio.current_time() + seconds)``. That is
    ``asyncio.timeout``'s and AnyIO's rule, and it keeps ``scope.deadline``
    readable before the block (Trio's relative scope raises ``RuntimeError``
    there), as the shared interface promises.

    Error handling
    --------------
    :exc:`ValueError` for a negative or NaN *seconds*, :exc:`TypeError` for a
    non-number; :exc:`RuntimeError` outside ``trio.run``.
    """
    delay = check_timeout("move_on_after(seconds)", seconds)
    return trio.move_on_at(trio.current_time() + delay, shield=shield)


@contextmanager
def fail_after(seconds: float, *, shield: bool = False) -> Iterator[trio.CancelScope]:
    """:func:`trio.fail_after`, raising :exc:`TimeoutError` instead of ``TooSlowError``.

    Written as Trio writes its own, a :func:`move_on_after` block and an error if
    that block was cancelled, with two changes that make it behave as in asyncio
    and AnyIO: the error is raised only if the deadline had passed (a
    ``scope.cancel()`` by hand moves on quietly; Trio would raise), and it is
    raised from the cancellation it replaces (``__cause__``), as
    ``asyncio.timeout`` does.

    Error handling
    --------------
    :exc:`TimeoutError` when the deadline stopped the block. Bad *seconds* as in
    :func:`move_on_after`.
    """
    delay = check_timeout("fail_after(seconds)", seconds)
    caught: BaseException | None = None
    with move_on_after(delay, shield=shield) as scope:
        try:
            yield scope
        except BaseException as exc:
            caught = exc
            raise
    if scope.cancelled_caught and trio.current_time() >= scope.deadline:
        try:
            raise TimeoutError(f"fail_after({seconds}): the deadline passed") from caught
        finally:
            del caught  # the traceback refers to this frame: no reference cycle


# The timeout parameter is asyncio's wait_for signature, kept on purpose.
async def wait_for(aw: Awaitable[T], timeout: float | None) -> T:  # noqa: ASYNC109
    """Await *aw* under :func:`fail_after`: asyncio's ``wait_for`` in Trio's terms.

    *aw* runs in the caller's task, not a new one: on timeout, the coroutine is
    cancelled at its checkpoint and its ``finally`` blocks run before
    :exc:`TimeoutError` is raised. A :class:`~impl_trio.futures.Future` or Task
    is only waited for: timing out leaves it pending (asyncio cancels it).
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
    with fail_after(seconds):
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
    with trio.CancelScope(shield=True):
        result = await aw
    # Returned after the block: a cancel scope may swallow an exception, so mypy sees a
    # path without a return inside it. This one never does; nobody else can cancel it.
    return result
