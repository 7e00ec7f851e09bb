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

:class:`CancelScope` is a thin class around :class:`anyio.CancelScope`: where
AnyIO's asyncio backend and its trio backend disagree (entering twice, a
non-bool shield, ``cancel_called`` after the deadline, equal deadlines on
uvloop, a reference cycle per filtered exception group), it makes the asyncio
backend do as Trio does. :func:`fail_after` raises its :exc:`TimeoutError` from
the cancellation it replaces, as ``asyncio.timeout`` does (AnyIO's has no cause).

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
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import NoReturn, TypeVar

import anyio

from common.checks import check_timeout

__all__ = ["CancelScope", "move_on_after", "fail_after", "wait_for", "shielded"]

T = TypeVar("T")

# The scopes of this module each task is inside, innermost last, by AnyIO task id: a
# scope must see the scopes around it to let a cancelled outer one take its cancellation.
_scopes: dict[int, list[CancelScope]] = {}


class CancelScope:
    """:class:`anyio.CancelScope`, with Trio's rules where AnyIO's asyncio backend differs.

    Deadline on :func:`anyio.current_time`'s clock, ``cancel()``, ``shield``,
    ``cancel_called``, ``cancelled_caught``: AnyIO's scope does the work. This
    class differs from AnyIO's only so that the trio and asyncio backends behave
    the same (AnyIO's trio backend already does all of this, by Trio):

    * a scope can be entered once; AnyIO's asyncio scope may be entered again
      after its block;
    * ``shield`` must be a bool (:exc:`TypeError`), as in Trio;
    * ``cancel_called`` is true once the deadline has passed, even before the
      loop ran the timer (Trio's rule; not after the block);
    * at the end of a block that its cancellation unwinds, a scope around it
      whose deadline has passed is cancelled first, so that the outermost
      cancelled scope catches it, as in Trio. On uvloop two deadlines that are
      equal can otherwise fire in different loop iterations (its timers run up
      to half a millisecond early, and AnyIO waits for the exact time).

    Error handling
    --------------
    As AnyIO's: :exc:`RuntimeError` for a second ``with``, an exit in another
    task or out of order; :exc:`ValueError` for a NaN deadline.
    """

    __slots__ = ("_scope", "_state", "_task_id")

    def __init__(self, *, deadline: float = math.inf, shield: bool = False) -> None:
        self._scope = anyio.CancelScope(deadline=deadline, shield=shield)
        self._state = "new"  # "active", "exited"
        self._task_id = 0

    @property
    def deadline(self) -> float:
        return self._scope.deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        self._scope.deadline = value

    @property
    def shield(self) -> bool:
        return self._scope.shield

    @shield.setter
    def shield(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"shield must be a bool; got {type(value).__name__}")
        self._scope.shield = value

    @property
    def cancel_called(self) -> bool:
        scope = self._scope
        if (
            not scope.cancel_called
            and self._state != "exited"
            and scope.deadline != math.inf
            and anyio.current_time() >= scope.deadline
        ):
            scope.cancel()
        return scope.cancel_called

    @property
    def cancelled_caught(self) -> bool:
        return self._scope.cancelled_caught

    def cancel(self) -> None:
        self._scope.cancel()

    def __enter__(self) -> CancelScope:
        if self._state != "new":
            raise RuntimeError("Each CancelScope may only be used for a single 'with' block")
        self._scope.__enter__()
        self._state = "active"
        self._task_id = anyio.get_current_task().id
        _scopes.setdefault(self._task_id, []).append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        stack = _scopes.get(self._task_id, [])
        if self._state != "active" or anyio.get_current_task().id != self._task_id:
            return bool(self._scope.__exit__(exc_type, exc, tb))  # AnyIO's RuntimeError
        # Reading cancel_called cancels a scope whose deadline has passed: this one, so
        # that it reports it, and the scopes around it, so that they take the
        # cancellation when the deadlines were equal.
        if self.cancel_called and exc is not None and self in stack and not self.shield:
            for outer in reversed(stack[: stack.index(self)]):
                if outer.cancel_called or outer.shield:
                    break
        try:
            if isinstance(exc, BaseExceptionGroup):
                return self._exit_group(exc)
            return bool(self._scope.__exit__(exc_type, exc, tb))  # raises if misused
        finally:
            self._state = "exited"
            if self in stack:
                stack.remove(self)
                if not stack:
                    del _scopes[self._task_id]

    def _exit_group(self, group: BaseExceptionGroup[BaseException]) -> bool:
        """Catch the cancellations in *group* and raise the rest, as AnyIO does.

        AnyIO's asyncio scope raises the rest from a frame that keeps a reference to
        it, a reference cycle per filtered group; so AnyIO decides on the
        cancellations alone, and the rest is raised here.
        """
        matched, rest = group.split(anyio.get_cancelled_exc_class())
        if matched is None or rest is None:
            return bool(self._scope.__exit__(type(group), group, group.__traceback__))
        if not self._scope.__exit__(type(matched), matched, matched.__traceback__):
            return False
        try:
            _raise_keeping_context(rest)
        finally:
            del group, matched, rest  # the traceback holds this frame: no cycle

    def __repr__(self) -> str:
        return (
            f"<CancelScope {self._state} deadline={self._scope.deadline} "
            f"shield={self._scope.shield} cancel_called={self._scope.cancel_called}>"
        )


def _raise_keeping_context(error: BaseException) -> NoReturn:
    """Raise *error* from an ``__exit__`` without its context becoming the group it
    was split from (that group was in flight, it did not cause this one)."""
    context = error.__context__
    try:
        raise error
    finally:
        error.__context__ = context
        del error, context


def move_on_after(seconds: float, *, shield: bool = False) -> CancelScope:
    """:func:`anyio.move_on_after`: a cancel scope expiring *seconds* from now.

    When it expires, the block is cancelled and execution moves on after it;
    ``scope.cancelled_caught`` tells whether that happened. The clock starts
    at the call (AnyIO 4, asyncio; Trio itself starts it on entering).

    Error handling
    --------------
    :exc:`ValueError` for a negative or NaN *seconds*, :exc:`TypeError` for a
    non-number; AnyIO's ``NoEventLoopError`` outside an event loop.
    """
    delay = check_timeout("move_on_after(seconds)", seconds)
    return CancelScope(deadline=anyio.current_time() + delay, shield=shield)


@contextmanager
def fail_after(seconds: float, *, shield: bool = False) -> Iterator[CancelScope]:
    """:func:`anyio.fail_after`: like :func:`move_on_after`, but raises :exc:`TimeoutError`.

    Error handling
    --------------
    :exc:`TimeoutError` when the deadline stopped the block (AnyIO's rule: the
    scope caught a cancellation and the deadline has passed); a ``scope.cancel()``
    by hand before it moves on quietly. Unlike AnyIO's, the error is raised from
    the cancellation it replaces (``__cause__``), as ``asyncio.timeout`` does.
    Bad *seconds* as in :func:`move_on_after`.
    """
    delay = check_timeout("fail_after(seconds)", seconds)
    caught: BaseException | None = None
    with move_on_after(delay, shield=shield) as scope:
        try:
            yield scope
        except BaseException as exc:
            caught = exc
            raise
    if scope.cancelled_caught and anyio.current_time() >= scope.deadline:
        try:
            raise TimeoutError(f"fail_after({seconds}): the deadline passed") from caught
        finally:
            del caught  # the traceback refers to this frame: no reference cycle


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
