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
  through; if a scope around this one is cancelled too (its deadline passed in
  the same loop iteration, say), that one takes it, as in Trio.

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
from typing import Any, NoReturn, TypeVar

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

    Where ``asyncio.timeout`` has no rule, Trio's is followed: a scope whose
    deadline has passed reports ``cancel_called`` even before its timer ran; when
    the block ends with this scope's ``CancelledError`` while a scope around it is
    cancelled too, the outer scope takes it (as when two timeouts fire in the same
    loop iteration); a ``CancelledError`` inside an exception group is caught too.

    Error handling
    --------------
    Entering outside a task, or a second time, raises :exc:`RuntimeError`; so
    does exiting it in another task than the one that entered it (nothing
    changes then), or while a scope entered inside it is still open (the scope
    is closed, and the error replaces the exception in flight). A NaN deadline
    raises :exc:`ValueError`, a ``shield`` that is not a bool :exc:`TypeError`.
    The ``CancelledError`` this scope caused is swallowed at its end; every other
    exception, including a cancellation from outside, propagates. Like every
    asyncio object it is not thread-safe: from another thread,
    ``loop.call_soon_threadsafe(scope.cancel)``.
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
        self._requested = False  # this scope has called task.cancel() (and owes an uncancel)
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
        if not isinstance(value, bool):
            raise TypeError(f"shield must be a bool; got {type(value).__name__}")
        self._shield = value
        if not value:
            self._release_held_back()

    @property
    def cancel_called(self) -> bool:
        # Trio's rule: a passed deadline is a cancel() even if the loop was too busy to
        # run the timer yet. Only until the block ends: after it, nothing is cancelled.
        if not self._cancel_called and not self._exited and self._deadline_passed():
            self._expire()
        return self._cancel_called

    @property
    def cancelled_caught(self) -> bool:
        return self._cancelled_caught

    def cancel(self) -> None:
        """Cancel the block: its task gets one ``CancelledError``. Idempotent."""
        if self._cancel_called:
            return
        self._cancel_called = True
        self._cancel_timer()
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
        if task is None:
            raise RuntimeError("CancelScope exited without being entered")
        if self._exited:
            raise RuntimeError("CancelScope exited twice")
        if asyncio.current_task() is not task:
            raise RuntimeError(f"CancelScope entered in {task.get_name()!r} exited in another task")
        self.cancel_called  # noqa: B018 (a deadline that passed in the block counts)
        stack = _scopes.get(task, [])
        position = len(stack) - 1
        while stack[position] is not self:  # from the end: it is nearly always the last
            position -= 1
        misnested = position != len(stack) - 1  # a scope entered inside is still open
        self._exited = True
        self._cancel_timer()
        del stack[position]
        if not stack:
            _scopes.pop(task, None)
        swallow = False
        if self._requested:
            taker = self._enclosing_taker(stack[:position]) if _carries_cancel(exc) else None
            if taker is not None:
                # The outer scope is cancelled too: it takes this CancelledError, and with
                # it our request, which it withdraws at its own end (Trio: the outermost
                # cancelled scope catches).
                taker._requested = True
            # asyncio.timeout's rule: withdraw our request; the CancelledError is ours to
            # swallow only if no other cancel request arrived meanwhile.
            elif task.uncancel() <= self._cancelling_on_entry:
                swallow = True
        if self._shield:
            self._release_held_back(stack)
        if misnested:
            raise RuntimeError("CancelScope exited while a scope entered inside it is still open")
        if not swallow or exc is None:
            return False
        if isinstance(exc, asyncio.CancelledError):
            self._cancelled_caught = True
            return True
        if isinstance(exc, BaseExceptionGroup):
            matched, rest = exc.split(asyncio.CancelledError)
            if matched is not None:
                self._cancelled_caught = True
                if rest is None:
                    return True
                try:
                    _raise_keeping_context(rest)
                finally:
                    # The traceback of rest holds this frame: no cycle through its locals.
                    del exc, tb, matched, rest
        return False

    # -- delivery --

    def _now(self) -> float | None:
        if self._task is not None:
            return self._task.get_loop().time()
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:  # read outside the loop's thread: no clock to compare with
            return None

    def _deadline_passed(self) -> bool:
        if self._deadline == math.inf:
            return False
        now = self._now()
        return now is not None and now >= self._deadline

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self) -> None:
        self._cancel_timer()
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
        if not self._deadline_passed():
            # uvloop's timers have millisecond resolution and can run up to half a
            # millisecond early: a scope is never cancelled before its deadline.
            self._schedule()
            return
        self._expire()

    def _expire(self) -> None:
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

    def _enclosing_taker(self, outer: list[CancelScope]) -> CancelScope | None:
        """The outermost cancelled scope around this one that sees through to it.

        A shield stops the search: what is outside it cannot reach this block.
        Only a scope with no cancel request of its own takes ours; one that has made
        a request counts as "another request" in asyncio.timeout's rule already.
        """
        taker = None
        if self._shield:
            return None
        for scope in reversed(outer):
            if scope.cancel_called and not scope._requested:
                taker = scope
            if scope._shield:
                break
        return taker

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


def _carries_cancel(exc: BaseException | None) -> bool:
    if isinstance(exc, asyncio.CancelledError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(asyncio.CancelledError) is not None
    return False


def _raise_keeping_context(error: BaseException) -> NoReturn:
    """Raise *error* from an ``__exit__`` without its context becoming the group it
    was split from (the group is what was in flight, not a cause)."""
    context = error.__context__
    try:
        raise error
    finally:
        error.__context__ = context
        del error, context


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
    :exc:`TimeoutError` when the scope stopped the block and its deadline had
    passed, raised from the ``CancelledError`` it replaces (``__cause__``), as
    ``asyncio.timeout`` does. A ``scope.cancel()`` by hand before the deadline
    moves on quietly, as in AnyIO and Trio. Bad *seconds* as in
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
    if scope.cancelled_caught and (scope._expired or scope._deadline_passed()):
        try:
            raise TimeoutError(f"fail_after({seconds}): the deadline passed") from caught
        finally:
            del caught  # the traceback refers to this frame: no reference cycle


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
