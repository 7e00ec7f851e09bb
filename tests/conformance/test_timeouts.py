"""CPython 3.11's ``Lib/test/test_asyncio/test_timeouts.py``, in all six columns.

Each test mirrors the ``TimeoutTests`` case of the same name, re-expressed with
our names:

* ``asyncio.timeout(delay)`` is ``fail_after(delay)``; ``asyncio.timeout_at(when)``
  is ``CancelScope(deadline=when)``, which moves on where ``timeout_at`` would
  raise (our API has no ``fail_at``; ``test_timeout_basic`` covers the raising);
* ``cm.expired()`` is ``scope.cancel_called`` (with ``cancelled_caught`` for "and
  it stopped the block"), ``cm.when()`` is ``scope.deadline`` and
  ``cm.reschedule(when)`` is assigning ``scope.deadline``;
* ``timeout(None)`` is ``math.inf``: in our API ``None`` is not a number of
  seconds. A negative delay (``timeout(-11)``) is refused with ``ValueError`` in
  all three packages (Trio's rule: a delay is ``>= 0``, a deadline may be in the
  past), so ``test_timeout_in_the_past_sleep_zero`` uses a deadline in the past;
* ``asyncio.current_task().cancel()`` is ``Task.cancel()`` on the handle of a task
  of ``api.TaskGroup``: a cancellation from outside every scope of the block.

Not mirrored, and why:

* ``test_repr_active``, ``test_repr_expired``, ``test_repr_finished``,
  ``test_repr_disabled``: the repr of asyncio's ``Timeout`` object.
* ``test_timeout_not_entered``, ``test_timeout_finished``, ``test_timeout_expired``,
  ``test_timeout_expiring``: the states in which ``Timeout.reschedule()`` raises
  ``RuntimeError``. Our ``CancelScope`` is Trio's and AnyIO's shape, whose
  ``deadline`` may be set in any state (before entering, while cancelling, after
  the block), in all three packages alike.
* ``test_timeout_without_task``: drives ``__aenter__`` outside any task with a
  CPython test helper (``await_without_task``); in Trio and AnyIO every coroutine
  runs in a task, so the case has no counterpart in four of the columns.
* Cases added after 3.11, not part of the suite mirrored here:
  ``test_timeout_exception_context``, ``test_foreign_exception_on_timeout_2``,
  ``test_timeout_taskgroup`` and the ``__context__`` checks added to
  ``test_foreign_exception_on_timeout`` and ``test_nested_timeout_in_finally``
  (CPython 3.13: how ``asyncio.timeout`` chains the exceptions it replaces).

The two ``differs`` cases are the level-triggered model: in Trio and AnyIO a
timeout started in the cleanup of an already cancelled block is cancelled at its
first checkpoint by the enclosing cancellation, before its own deadline.
"""

from __future__ import annotations

import math
import time
from typing import Any

import anyio
import pytest

from common.interface import CancellationAPI, CancelScopeLike, ConcurrencyAPI, FutureLike
from rosetta.columns import Column

from ..conftest import expect
from .cancel_support import cancelled, cancelled_exc

pytestmark = [pytest.mark.anyio, pytest.mark.concept("cancellation")]


def case(name: str) -> pytest.MarkDecorator:
    return pytest.mark.upstream(f"test_timeouts.py::TimeoutTests::{name}")


@case("test_timeout_basic")
async def test_timeout_basic(cx: CancellationAPI) -> None:
    with pytest.raises(TimeoutError), cx.fail_after(0.01) as scope:
        await anyio.sleep(10)
    assert scope.cancel_called
    assert scope.cancelled_caught


@case("test_timeout_at_basic")
async def test_timeout_at_basic(cx: CancellationAPI) -> None:
    deadline = anyio.current_time() + 0.01
    reached = False
    with cx.CancelScope(deadline=deadline) as scope:
        await anyio.sleep(10)
        reached = True
    assert not reached
    assert scope.cancel_called
    assert scope.cancelled_caught
    assert scope.deadline == deadline


@case("test_nested_timeouts")
async def test_nested_timeouts(cx: CancellationAPI) -> None:
    """Two scopes expiring at the same moment: only the outermost raises TimeoutError."""
    inner_saw_cancellation = False
    with pytest.raises(TimeoutError), cx.fail_after(0.01) as outer:  # noqa: PT012
        try:
            with cx.fail_after(10) as inner:
                inner.deadline = outer.deadline
                await anyio.sleep(10)
        except cancelled_exc():
            inner_saw_cancellation = True
            raise
    assert inner_saw_cancellation
    assert outer.cancel_called
    assert inner.cancel_called
    assert outer.cancelled_caught
    assert not inner.cancelled_caught


@case("test_waiter_cancelled")
async def test_waiter_cancelled(cx: CancellationAPI) -> None:
    seen_inside = False
    with pytest.raises(TimeoutError), cx.fail_after(0.01):  # noqa: PT012
        try:
            await anyio.sleep(10)
        except cancelled_exc():
            seen_inside = True
            raise
    assert seen_inside


@case("test_timeout_not_called")
async def test_timeout_not_called(cx: CancellationAPI) -> None:
    with cx.fail_after(10) as scope:
        await anyio.sleep(0.01)
    t1 = anyio.current_time()
    assert not scope.cancel_called
    assert not scope.cancelled_caught
    assert scope.deadline > t1


@case("test_timeout_disabled")
async def test_timeout_disabled(cx: CancellationAPI) -> None:
    with cx.fail_after(math.inf) as scope:
        await anyio.sleep(0.01)
    assert not scope.cancel_called
    assert scope.deadline == math.inf


@case("test_timeout_at_disabled")
async def test_timeout_at_disabled(cx: CancellationAPI) -> None:
    with cx.CancelScope(deadline=math.inf) as scope:
        await anyio.sleep(0.01)
    assert not scope.cancel_called
    assert scope.deadline == math.inf


@case("test_timeout_zero")
async def test_timeout_zero(cx: CancellationAPI) -> None:
    t0 = anyio.current_time()
    with pytest.raises(TimeoutError), cx.fail_after(0) as scope:
        await anyio.sleep(10)
    t1 = anyio.current_time()
    assert scope.cancel_called
    assert t0 <= scope.deadline <= t1


@case("test_timeout_zero_sleep_zero")
async def test_timeout_zero_sleep_zero(cx: CancellationAPI) -> None:
    """Even ``sleep(0)`` is where an expired scope delivers its cancellation."""
    t0 = anyio.current_time()
    with pytest.raises(TimeoutError), cx.fail_after(0) as scope:
        await anyio.sleep(0)  # noqa: ASYNC115 (upstream's sleep(0): a plain checkpoint)
    t1 = anyio.current_time()
    assert scope.cancel_called
    assert t0 <= scope.deadline <= t1


@case("test_timeout_in_the_past_sleep_zero")
async def test_timeout_in_the_past_sleep_zero(cx: CancellationAPI) -> None:
    t0 = anyio.current_time()
    reached = False
    with cx.CancelScope(deadline=t0 - 11) as scope:
        await anyio.sleep(0)  # noqa: ASYNC115 (upstream's sleep(0): a plain checkpoint)
        reached = True
    assert not reached
    assert scope.cancelled_caught
    assert scope.deadline == t0 - 11
    # The delay itself may not be negative (asyncio.timeout(-11) would take it).
    with pytest.raises(ValueError, match=">= 0"), cx.fail_after(-11):
        pass


@case("test_foreign_exception_passed")
async def test_foreign_exception_passed(cx: CancellationAPI) -> None:
    with pytest.raises(KeyError), cx.fail_after(0.01) as scope:
        raise KeyError
    assert not scope.cancel_called


@case("test_foreign_exception_on_timeout")
async def test_foreign_exception_on_timeout(cx: CancellationAPI) -> None:
    """An error raised while the timeout unwinds the block replaces the TimeoutError."""

    async def crash() -> None:
        try:
            await anyio.sleep(1)
        finally:
            1 / 0  # noqa: B018

    with pytest.raises(ZeroDivisionError), cx.fail_after(0.01) as scope:
        await crash()
    assert scope.cancel_called
    assert not scope.cancelled_caught


@case("test_foreign_cancel_doesnt_timeout_if_not_expired")
async def test_foreign_cancel_doesnt_timeout_if_not_expired(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    own: list[FutureLike[Any]] = []
    scopes: list[CancelScopeLike] = []

    async def body() -> None:
        with cx.fail_after(10) as scope:
            scopes.append(scope)
            own[0].cancel()
            await anyio.sleep(10)

    async with api.TaskGroup() as tg:
        own.append(tg.create_task(body()))
    assert own[0].cancelled()  # not a TimeoutError: that would fail the task
    assert not scopes[0].cancel_called
    assert not scopes[0].cancelled_caught


@case("test_outer_task_is_not_cancelled")
async def test_outer_task_is_not_cancelled(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    async def outer() -> str:
        with pytest.raises(TimeoutError), cx.fail_after(0.001):
            await anyio.sleep(10)
        return "done"

    async with api.TaskGroup() as tg:
        task = tg.create_task(outer())
    assert task.done()
    assert not task.cancelled()
    assert task.result() == "done"


@case("test_nested_timeouts_concurrent")
async def test_nested_timeouts_concurrent(cx: CancellationAPI) -> None:
    """The outer deadline passes during blocking code; the inner one lets it through."""
    # Upstream wraps the inner one in assertRaises(TimeoutError), which lets the
    # CancelledError pass: the inner timeout does not raise.
    with pytest.raises(TimeoutError), cx.fail_after(0.002) as outer, cx.fail_after(0.1) as inner:  # noqa: PT012
        time.sleep(0.01)  # pretend to crunch numbers  # noqa: ASYNC251
        await anyio.sleep(1)
    assert outer.cancelled_caught
    assert not inner.cancelled_caught


@case("test_nested_timeouts_loop_busy")
async def test_nested_timeouts_loop_busy(cx: CancellationAPI) -> None:
    """Both deadlines pass while the loop is blocked: the outer scope takes the
    cancellation (CPython 3.11-3.13 and Trio alike), the inner one raises nothing."""
    events: list[str] = []
    with pytest.raises(TimeoutError), cx.fail_after(0.1) as outer:  # noqa: PT012
        try:
            with cx.fail_after(0.01) as inner:
                time.sleep(0.1)  # the loop is busy  # noqa: ASYNC251
                await anyio.sleep(1)
        except TimeoutError:
            events.append("inner TimeoutError")
        except cancelled_exc():
            events.append("inner let the cancellation through")
            raise
        await anyio.sleep(10)
        events.append("not reached")
    assert events == ["inner let the cancellation through"]
    assert outer.cancelled_caught
    assert inner.cancel_called
    assert not inner.cancelled_caught


@case("test_reschedule")
async def test_reschedule(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    deadline1 = anyio.current_time() + 10
    deadline2 = deadline1 + 20
    scopes: list[CancelScopeLike] = []
    entered = anyio.Event()

    async def f() -> None:
        with cx.CancelScope(deadline=deadline1) as scope:
            scopes.append(scope)
            entered.set()
            await anyio.sleep(50)

    async with api.TaskGroup() as tg:
        task = tg.create_task(f())
        await entered.wait()
        scope = scopes[0]
        assert scope.deadline == deadline1
        scope.deadline = deadline2
        assert scope.deadline == deadline2
        scope.deadline = math.inf
        assert scope.deadline == math.inf
        task.cancel()
    assert task.cancelled()
    assert not scope.cancel_called


@pytest.mark.differs
@case("test_nested_timeout_in_finally")
async def test_nested_timeout_in_finally(cx: CancellationAPI, column: Column) -> None:
    """asyncio: the expired outer timeout was delivered once, so a timeout in its
    cleanup runs and fires on its own. Trio/AnyIO: the outer block is still cancelled,
    so the cleanup's first checkpoint is cancelled by it, long before the inner deadline."""
    events: list[str] = []
    with pytest.raises(TimeoutError), cx.fail_after(0.01):  # noqa: PT012
        try:
            await anyio.sleep(1)
        finally:
            try:
                with cx.fail_after(0.01):
                    await anyio.sleep(10)
            except TimeoutError:
                events.append("inner TimeoutError")
            except cancelled_exc():
                events.append("cancelled by the outer block")
                raise
    assert events == expect(
        column,
        {
            "impl_asyncio": ["inner TimeoutError"],
            "impl_trio": ["cancelled by the outer block"],
            "shared": ["cancelled by the outer block"],
        },
    )


@pytest.mark.differs
@case("test_timeout_after_cancellation")
async def test_timeout_after_cancellation(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """A task catches its own cancellation, then times out in ``finally``. asyncio:
    the timeout fires and the task finishes. Trio/AnyIO: the task is still cancelled,
    so the cleanup is cancelled again and so is the task."""
    events: list[str] = []
    own: list[FutureLike[Any]] = []

    async def body() -> None:
        try:
            own[0].cancel()
            await anyio.sleep(1)  # work which will be cancelled
        except cancelled_exc():
            events.append("caught")
        finally:
            try:
                with cx.fail_after(0):
                    await anyio.sleep(1)  # some cleanup
            except TimeoutError:
                events.append("cleanup: TimeoutError")
            except cancelled_exc():
                events.append("cleanup: cancelled again")
                raise

    async with api.TaskGroup() as tg:
        own.append(tg.create_task(body()))
    outcome = "cancelled" if own[0].cancelled() else "finished"
    assert (events, outcome) == expect(
        column,
        {
            "impl_asyncio": (["caught", "cleanup: TimeoutError"], "finished"),
            "impl_trio": (["caught", "cleanup: cancelled again"], "cancelled"),
            "shared": (["caught", "cleanup: cancelled again"], "cancelled"),
        },
    )


@case("test_cancel_in_timeout_after_cancellation")
async def test_cancel_in_timeout_after_cancellation(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    events: list[str] = []
    own: list[FutureLike[Any]] = []

    async def body() -> None:
        try:
            own[0].cancel()
            await anyio.sleep(1)
        except cancelled_exc():
            events.append("caught")
        finally:
            try:
                with cx.fail_after(1.0):
                    own[0].cancel()
                    await anyio.sleep(2)
            except TimeoutError:
                events.append("cleanup: TimeoutError")
            except cancelled_exc():
                events.append("cleanup: cancelled")
                raise

    async with api.TaskGroup() as tg:
        own.append(tg.create_task(body()))
    assert events == ["caught", "cleanup: cancelled"]
    assert own[0].cancelled()


@case("test_timeout_exception_cause")
async def test_timeout_exception_cause(cx: CancellationAPI) -> None:
    with pytest.raises(TimeoutError) as raised, cx.fail_after(0):
        await anyio.sleep(1)
    assert cancelled(raised.value.__cause__)


@case("test_timeout_already_entered")
async def test_timeout_already_entered(cx: CancellationAPI) -> None:
    with cx.fail_after(0.01) as scope, pytest.raises(RuntimeError), scope:
        pass


@case("test_timeout_double_enter")
async def test_timeout_double_enter(cx: CancellationAPI) -> None:
    with cx.fail_after(0.01) as scope:
        pass
    with pytest.raises(RuntimeError), scope:
        pass
