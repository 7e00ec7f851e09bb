"""Cancellation and timeouts, the asyncio way: one ``CancelledError``, delivered once.

asyncio cancels a *task*, not a block of code. ``Task.cancel()`` throws one
:exc:`asyncio.CancelledError` into the coroutine at its next ``await`` that
suspends, and that is all: cancellation is **edge-triggered**. A coroutine may
catch it and carry on; an ``await`` in a ``finally`` block after it runs
normally. Python 3.11 added the bookkeeping that makes scoped timeouts
possible on top of that: ``Task.cancelling()`` counts the pending cancel
requests and ``Task.uncancel()`` withdraws one, and ``asyncio.timeout``
(Lib/asyncio/timeouts.py) uses them to tell *its* cancellation apart from
somebody else's.

:class:`CancelScope` here is that algorithm of ``asyncio.timeout``, written as
a plain ``with`` block so that it has the shape of Trio's and AnyIO's scopes:

* entering records ``task.cancelling()``; when the deadline passes (a
  ``loop.call_at`` timer) or :meth:`CancelScope.cancel` is called, the scope
  calls ``task.cancel()`` once;
* leaving calls ``task.uncancel()`` for that request, and swallows the
  ``CancelledError`` only if no other cancel request is left, exactly like
  ``asyncio.timeout``. A cancellation from outside the scope always passes
  through.

Where asyncio differs from Trio and AnyIO (whose scopes are *level-triggered*:
once cancelled, every later checkpoint in the scope raises again):

* a scope delivers one ``CancelledError``; code that catches it runs on
  undisturbed until the scope ends;
* ``shield=True`` holds back the cancellations of *enclosing CancelScopes of
  this module* until the shielded scope ends. It cannot hold back a bare
  ``Task.cancel()`` (``TaskGroup`` shutdown, ``asyncio.timeout``,
  ``wait_for``): asyncio has no way to refuse one. For those, run the work
  with :func:`shielded`, which puts it in a task of its own behind
  :func:`asyncio.shield`;
* ``wait_for`` is :func:`asyncio.wait_for`: it runs a coroutine in a new task
  and, on Python 3.11, can drop a cancellation that arrives just as the result
  does (gh-86296, bpo-42130; 3.12 rewrote ``wait_for`` on ``asyncio.timeout``).

Error handling
--------------
Timeouts in seconds must be real numbers ``>= 0``: ``0`` means "already
expired" (the block runs until its first suspending ``await``) and
:data:`math.inf` means "never". A negative or NaN timeout raises
:exc:`ValueError`, anything else that is not a number (``None`` and ``bool``
included) raises :exc:`TypeError`; both name the accepted range.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import numbers
import weakref
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

from common.checks import check_timeout

__all__ = ["CancelScope", "move_on_after", "fail_after", "wait_for", "shielded"]

T = TypeVar("T")


def _check_deadline(deadline: object) -> float:
    if isinstance(deadline, bool) or not isinstance(deadline, numbers.Real):
        raise TypeError(f"deadline must be a loop time (float); got {type(deadline).__name__}")
    value = float(deadline)
    if math.isnan(value):
        raise ValueError("deadline must not be NaN (math.inf: no deadline)")
    return value


# The scopes each task is inside, innermost last: a shielded scope must know which
# scopes around it to hold back. Weak keys: a finished task takes its entry with it.
_scopes: weakref.WeakKeyDictionary[asyncio.Task[Any], list[CancelScope]] = (
    weakref.WeakKeyDictionary()
)


class CancelScope:
    """A block that can be cancelled, by :meth:`cancel` or at :attr:`deadline`.

    ``with CancelScope(deadline=..., shield=...) as scope:`` inside a task.
    :attr:`deadline` is on the loop's clock (``loop.time()``); :data:`math.inf`
    (the default) means none. After the block, :attr:`cancelled_caught` says
    whether the scope stopped it. asyncio has no such class; ``asyncio.timeout``
    is the nearest, as an ``async with`` without ``cancel()`` or ``shield``.

    Error handling
    --------------
    Entering outside a task, or a second time, raises :exc:`RuntimeError`. A
    NaN deadline raises :exc:`ValueError`. The ``CancelledError`` this scope
    caused is swallowed at its end; every other exception, including a
    cancellation from outside, propagates. Like every asyncio object it is not
    thread-safe: from another thread, ``loop.call_soon_threadsafe(scope.cancel)``.
    """

    def __init__(self, *, deadline: float = math.inf, shield: bool = False) -> None:
        self._deadline = _check_deadline(deadline)
        self._shield = shield
        self._task: asyncio.Task[Any] | None = None
        self._entered = False
        self._exited = False
        self._timer: asyncio.Handle | None = None
        self._cancel_called = False
        self._expired = False  # the deadline, not cancel(), did it: fail_after's question
        self._requested = False  # this scope has called task.cancel()
        self._cancelling_on_entry = 0
        self._cancelled_caught = False

    # -- Trio's and AnyIO's attributes --

    @property
    def deadline(self) -> float:
        return self._deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        self._deadline = _check_deadline(value)
        self._schedule()

    @property
    def shield(self) -> bool:
        return self._shield

    @shield.setter
    def shield(self, value: bool) -> None:
        self._shield = value
        if not value:
            self._release_held_back()

    @property
    def cancel_called(self) -> bool:
        return self._cancel_called

    @property
    def cancelled_caught(self) -> bool:
        return self._cancelled_caught

    def cancel(self) -> None:
        """Cancel the block: its task gets one ``CancelledError``. Idempotent."""
        if self._cancel_called:
            return
        self._cancel_called = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deliver()

    # -- the with block --

    def __enter__(self) -> CancelScope:
        if self._entered:
            raise RuntimeError("a CancelScope can be entered only once")
        task = asyncio.current_task()  # RuntimeError without a running loop
        if task is None:
            raise RuntimeError("CancelScope must be entered inside an asyncio task")
        self._entered = True
        self._task = task
        self._cancelling_on_entry = task.cancelling()
        _scopes.setdefault(task, []).append(self)
        self._schedule()
        if self._cancel_called:  # cancel() before entering: the block starts cancelled
            self._deliver()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task = self._task
        if task is None or self._exited:
            raise RuntimeError("CancelScope exited without being entered")
        self._exited = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        stack = _scopes.get(task, [])
        if self in stack:
            stack.remove(self)
        if not stack:
            _scopes.pop(task, None)
        swallow = False
        if self._requested:
            # asyncio.timeout's rule: withdraw our request; the CancelledError is ours to
            # swallow only if no other cancel request arrived meanwhile.
            remaining = task.uncancel()
            if remaining <= self._cancelling_on_entry and isinstance(exc, asyncio.CancelledError):
                self._cancelled_caught = swallow = True
        if self._shield:
            self._release_held_back(stack)
        return swallow

    # -- delivery --

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._entered or self._exited or self._cancel_called or self._task is None:
            return
        if self._deadline == math.inf:
            return
        loop = self._task.get_loop()
        if self._deadline <= loop.time():
            self._timer = loop.call_soon(self._on_deadline)
        else:
            self._timer = loop.call_at(self._deadline, self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer = None
        self._expired = True
        self.cancel()

    def _deliver(self) -> None:
        task = self._task
        if task is None or self._exited or self._requested or self._held_back():
            return
        if asyncio.current_task() is task:
            # Task.cancel() on the running task lands at its next await, which may come
            # after this block has ended. From a callback it lands where the task waits
            # now (asyncio.timeout(0) defers the same way).
            task.get_loop().call_soon(self._deliver)
            return
        self._requested = True
        task.cancel()

    def _held_back(self) -> bool:
        stack = _scopes.get(self._task) if self._task is not None else None
        if not stack or self not in stack:
            return False
        return any(scope._shield for scope in stack[stack.index(self) + 1 :])

    def _release_held_back(self, stack: list[CancelScope] | None = None) -> None:
        if stack is None:
            stack = _scopes.get(self._task, []) if self._task is not None else []
        for scope in stack:
            if scope._cancel_called:
                scope._deliver()

    def __repr__(self) -> str:
        state = "exited" if self._exited else "active" if self._entered else "new"
        return (
            f"<CancelScope {state} deadline={self._deadline} shield={self._shield} "
            f"cancel_called={self._cancel_called}>"
        )


def move_on_after(seconds: float, *, shield: bool = False) -> CancelScope:
    """A :class:`CancelScope` whose deadline is *seconds* from now.

    When it expires, the block is cancelled and execution moves on after it;
    ``scope.cancelled_caught`` tells whether that happened. As with
    ``asyncio.timeout`` (and AnyIO), the clock starts at the call; Trio starts
    it on entering.

    Error handling
    --------------
    :exc:`ValueError` for a negative or NaN *seconds*, :exc:`TypeError` for a
    non-number; :exc:`RuntimeError` without a running loop.
    """
    delay = check_timeout("move_on_after(seconds)", seconds)
    return CancelScope(deadline=asyncio.get_running_loop().time() + delay, shield=shield)


@contextmanager
def fail_after(seconds: float, *, shield: bool = False) -> Iterator[CancelScope]:
    """Like :func:`move_on_after`, but an expired deadline raises :exc:`TimeoutError`.

    ``asyncio.timeout(seconds)`` as a plain ``with`` block that yields its scope.

    Error handling
    --------------
    :exc:`TimeoutError` (from the ``CancelledError``) when the deadline stopped
    the block. A ``scope.cancel()`` by hand moves on quietly, as in AnyIO
    (``asyncio.timeout`` has no ``cancel``). Bad *seconds* as in
    :func:`move_on_after`.
    """
    delay = check_timeout("fail_after(seconds)", seconds)
    with move_on_after(delay, shield=shield) as scope:
        yield scope
    if scope.cancelled_caught and scope._expired:
        raise TimeoutError(f"fail_after({seconds}): the deadline passed")


# The timeout parameter is asyncio's wait_for signature, kept on purpose.
async def wait_for(aw: Awaitable[T], timeout: float | None) -> T:  # noqa: ASYNC109
    """:func:`asyncio.wait_for`: await *aw*, cancel it if it takes longer than *timeout*.

    A coroutine runs in a new task; on timeout that task (or the Future passed
    in) is cancelled and waited for, then :exc:`TimeoutError` is raised.
    ``None`` or :data:`math.inf` waits without limit; ``0`` cancels *aw* unless
    it is already done, so a coroutine never starts.

    Error handling
    --------------
    :exc:`TimeoutError` on timeout. If the caller is cancelled, *aw* is
    cancelled too, except on Python 3.11 when *aw* has just finished: then its
    result is returned and the cancellation is lost (gh-86296). Bad *timeout*
    as in :func:`move_on_after`; a coroutine is closed first, so it does not
    warn "never awaited".
    """
    if timeout is not None:
        try:
            timeout = check_timeout("wait_for(timeout)", timeout)
        except (TypeError, ValueError):
            if inspect.iscoroutine(aw):
                aw.close()
            raise
        if timeout == math.inf:
            timeout = None  # loop.call_later(inf) overflows on uvloop
    return await asyncio.wait_for(aw, timeout)


async def shielded(aw: Awaitable[T]) -> T:
    """Await *aw* in a task of its own that a cancellation of the caller cannot stop.

    :func:`asyncio.shield` protects only the inner task; the caller's ``await``
    still raises ``CancelledError`` at once and the work's result is lost. This
    waits on: when the caller is cancelled meanwhile, the work still runs to the
    end, and only then is the ``CancelledError`` raised (the result dropped:
    asyncio delivers a cancellation once, and this is where). Trio and AnyIO
    instead return the result and cancel at the next checkpoint.

    Error handling
    --------------
    If the work raises, its exception propagates, cancelled or not; if the work
    itself is cancelled, ``CancelledError``. A coroutine runs in a copy of the
    caller's context, so context variables it sets stay in the new task.
    """
    inner = asyncio.ensure_future(aw)
    interrupted: asyncio.CancelledError | None = None
    while not inner.done():
        try:
            await asyncio.shield(inner)
        except asyncio.CancelledError as exc:
            if not inner.cancelled():
                interrupted = exc  # the caller was cancelled, not the work: keep waiting
        except Exception:
            pass  # the work failed: inner.result() below raises it
    if interrupted is not None and not inner.cancelled() and inner.exception() is None:
        raise interrupted
    return inner.result()
