"""Cancellation and timeouts — one test, six columns.

asyncio delivers a cancellation once (edge-triggered); Trio, and AnyIO on every
backend, keep a cancelled scope cancelled (level-triggered). Most tests here
state what each column does, and the ``differs`` ones are exactly the places
where code ported between the two models changes behaviour.
"""

from __future__ import annotations

import inspect
import math
import sys
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from common.interface import CancellationAPI, ConcurrencyAPI
from rosetta.columns import Column

from .conftest import expect

pytestmark = pytest.mark.anyio


def _cancelled_name() -> str:
    """The backend's cancellation exception, as the coroutine sees it."""
    return anyio.get_cancelled_exc_class().__name__


# -- the basics: the same everywhere ------------------------------------------------------


async def test_finally_runs_when_a_timeout_cancels_the_block(cx: CancellationAPI) -> None:
    events: list[str] = []
    with cx.move_on_after(0.01) as scope:
        try:
            await anyio.sleep(10)
            events.append("not reached")
        finally:
            events.append("finally")
    events.append("after the block")
    assert events == ["finally", "after the block"]
    assert scope.cancelled_caught
    assert scope.cancel_called


async def test_fail_after_raises_timeout_error(cx: CancellationAPI) -> None:
    with pytest.raises(TimeoutError), cx.fail_after(0.01) as scope:
        await anyio.sleep(10)
    assert scope.cancelled_caught
    with cx.fail_after(1) as scope:
        await anyio.lowlevel.checkpoint()
    assert not scope.cancelled_caught


async def test_cancel_scope_attributes_and_cancel_from_another_task(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    scope = cx.CancelScope()
    assert scope.deadline == math.inf
    assert not scope.shield
    assert not scope.cancel_called

    async def cancel_soon() -> None:
        await anyio.sleep(0.01)
        scope.cancel()

    async with api.TaskGroup() as tg:
        tg.create_task(cancel_soon())
        with scope:
            await anyio.sleep(10)
    assert scope.cancel_called
    assert scope.cancelled_caught


async def test_a_deadline_moved_inside_the_block(cx: CancellationAPI) -> None:
    with cx.move_on_after(10) as scope:
        scope.deadline = anyio.current_time() + 0.01
        await anyio.sleep(10)
    assert scope.cancelled_caught
    with cx.move_on_after(0.01) as scope:
        scope.deadline = math.inf  # never
        await anyio.sleep(0.03)
    assert not scope.cancelled_caught


async def test_cancel_before_entering_and_cancel_without_a_checkpoint(
    cx: CancellationAPI,
) -> None:
    scope = cx.CancelScope()
    scope.cancel()
    with scope:
        await anyio.sleep(10)
    assert scope.cancelled_caught
    # Cancelled, but no checkpoint before the block ends: nothing is delivered, and nothing
    # leaks out to the next await after the block either.
    with cx.CancelScope() as scope:
        scope.cancel()
    await anyio.sleep(0.001)
    assert scope.cancel_called
    assert not scope.cancelled_caught


async def test_a_cancel_scope_cannot_be_entered_inside_itself(cx: CancellationAPI) -> None:
    # Inside itself, not again after exiting: AnyIO's asyncio backend allows the latter.
    with cx.CancelScope() as scope, pytest.raises(RuntimeError), scope:
        pass


async def test_an_outside_cancellation_passes_through_a_scope(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    """A scope swallows only its own cancellation: the task's cancel goes through it."""
    scope = cx.move_on_after(10)
    events: list[str] = []
    started = anyio.Event()

    async def worker() -> None:
        with scope:
            started.set()
            await anyio.sleep(10)
        events.append("moved on after the scope")  # the scope would have swallowed it

    async with api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await started.wait()
        task.cancel()
    assert task.cancelled()
    assert events == []
    assert not scope.cancel_called
    assert not scope.cancelled_caught


async def test_move_on_after_zero_is_already_expired(cx: CancellationAPI) -> None:
    """0 is legal: the block runs until its first checkpoint, which is cancelled."""
    events: list[str] = []
    with cx.move_on_after(0) as scope:
        events.append("runs until its first checkpoint")
        await anyio.sleep(10)
        events.append("not reached")
    assert events == ["runs until its first checkpoint"]
    assert scope.cancelled_caught
    with pytest.raises(TimeoutError), cx.fail_after(0):
        await anyio.sleep(10)


async def test_move_on_after_fixes_its_deadline_at_the_call(cx: CancellationAPI) -> None:
    """The clock starts at the call, as with asyncio.timeout and AnyIO, so the deadline
    can be read before the block (Trio's own move_on_after starts it on entering, and its
    scope raises RuntimeError for ``deadline`` until then)."""
    before = anyio.current_time()
    scope = cx.move_on_after(5)
    after = anyio.current_time()
    assert before + 5 <= scope.deadline <= after + 5
    await anyio.sleep(0.01)
    with scope:
        assert before + 5 <= scope.deadline <= after + 5


async def test_math_inf_never_expires(cx: CancellationAPI) -> None:
    with cx.move_on_after(math.inf) as scope:
        await anyio.sleep(0.01)
    assert scope.deadline == math.inf
    assert not scope.cancelled_caught
    with cx.fail_after(math.inf):
        await anyio.sleep(0.01)


async def test_nested_timeouts_the_one_that_fired_reports(cx: CancellationAPI) -> None:
    # The outer deadline passes while the inner one is still pending: the outer reports.
    with pytest.raises(TimeoutError), cx.fail_after(0.01) as outer, cx.fail_after(10) as inner:
        await anyio.sleep(10)
    assert (outer.cancelled_caught, inner.cancelled_caught) == (True, False)
    # The inner one first: its TimeoutError is not a cancellation, the outer lets it pass.
    with pytest.raises(TimeoutError), cx.fail_after(10) as outer, cx.fail_after(0.01) as inner:
        await anyio.sleep(10)
    assert (outer.cancelled_caught, inner.cancelled_caught) == (False, True)
    # move_on_after inside fail_after: the inner moves on, the outer never fires.
    with cx.fail_after(10) as outer, cx.move_on_after(0.01) as inner:
        await anyio.sleep(10)
    assert (outer.cancelled_caught, inner.cancelled_caught) == (False, True)


async def test_a_shield_scope_holds_back_an_enclosing_timeout(cx: CancellationAPI) -> None:
    """The held-back cancellation lands at the first checkpoint after the shield."""
    events: list[str] = []
    with cx.move_on_after(0.01) as outer:
        with cx.CancelScope(shield=True) as shield:
            await anyio.sleep(0.05)
            events.append("shielded sleep finished")
        events.append("after the shield")
        try:
            await anyio.lowlevel.checkpoint()
            events.append("not reached")
        except anyio.get_cancelled_exc_class():
            events.append("cancelled at the next checkpoint")
            raise
    assert events == [
        "shielded sleep finished",
        "after the shield",
        "cancelled at the next checkpoint",
    ]
    assert outer.cancelled_caught
    assert not shield.cancelled_caught


async def test_cancelling_a_task_group_cancels_the_children_and_groups_their_errors(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    """The timeout cancels the group's host; the group cancels both children, whose
    cleanup fails; both errors come out together, and the cancellation itself is gone."""
    cleaned: list[str] = []

    async def child(name: str) -> None:
        try:
            await anyio.sleep(10)
        finally:
            cleaned.append(name)
            raise RuntimeError(f"{name}: cleanup failed")

    with pytest.raises(ExceptionGroup) as raised, cx.move_on_after(0.01) as scope:  # noqa: PT012
        async with api.TaskGroup() as tg:
            tg.create_task(child("a"))
            tg.create_task(child("b"))
    assert sorted(cleaned) == ["a", "b"]
    assert sorted(str(e) for e in raised.value.exceptions) == [
        "a: cleanup failed",
        "b: cleanup failed",
    ]
    assert all(type(e) is RuntimeError for e in raised.value.exceptions)
    assert not scope.cancelled_caught  # the errors replaced the cancellation it would catch


async def test_wait_for_returns_times_out_and_waits_without_limit(cx: CancellationAPI) -> None:
    events: list[str] = []

    async def slow(seconds: float) -> str:
        try:
            await anyio.sleep(seconds)
        finally:
            events.append(f"slow({seconds}) finally")
        return "slow result"

    assert await cx.wait_for(slow(0), 1) == "slow result"
    with pytest.raises(TimeoutError):
        await cx.wait_for(slow(10), 0.01)
    assert await cx.wait_for(slow(0.01), None) == "slow result"
    assert await cx.wait_for(slow(0.01), math.inf) == "slow result"
    assert events == [f"slow({s}) finally" for s in (0, 10, 0.01, 0.01)]


# -- bad input ----------------------------------------------------------------------------


async def _never_awaited() -> None:
    await anyio.lowlevel.checkpoint()


@pytest.mark.parametrize(
    ("seconds", "error"),
    [
        (-1, ValueError),
        (-0.001, ValueError),
        (math.nan, ValueError),
        ("1", TypeError),
        (None, TypeError),
        (True, TypeError),
        ([1], TypeError),
    ],
    ids=["-1", "-0.001", "nan", "str", "None", "True", "list"],
)
async def test_bad_timeouts_name_the_accepted_range(
    cx: CancellationAPI, seconds: Any, error: type[Exception]
) -> None:
    pattern = r">= 0 \(0: already expired, math\.inf: never\)"
    with pytest.raises(error, match=r"move_on_after\(seconds\).*" + pattern):
        cx.move_on_after(seconds)
    with pytest.raises(error, match=r"fail_after\(seconds\).*" + pattern), cx.fail_after(seconds):
        pass
    if seconds is not None:  # None is wait_for's "no limit", as in asyncio
        coro = _never_awaited()
        with pytest.raises(error, match=r"wait_for\(timeout\).*" + pattern):
            await cx.wait_for(coro, seconds)
        # closed by wait_for: a never-awaited coroutine would warn, an error in this suite
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


# -- where asyncio and Trio/AnyIO part ----------------------------------------------------


@pytest.mark.differs
async def test_an_await_in_the_cleanup_of_a_cancelled_task(
    api: ConcurrencyAPI, column: Column
) -> None:
    """asyncio's one CancelledError is spent when the finally block runs, so its await
    completes; in a level-triggered scope the task is still cancelled and it raises."""
    events: list[str] = []
    started = anyio.Event()

    async def worker() -> None:
        try:
            started.set()
            await anyio.sleep(10)
        finally:
            try:
                await anyio.sleep(0.001)
                events.append("cleanup await completed")
            except anyio.get_cancelled_exc_class():
                events.append(f"cleanup await raised {_cancelled_name()}")
                raise

    async with api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await started.wait()
        task.cancel()
    assert task.cancelled()
    assert events == expect(
        column,
        {
            "impl_asyncio": ["cleanup await completed"],
            "impl_trio": ["cleanup await raised Cancelled"],
            "shared": [f"cleanup await raised {_cancelled_name()}"],
        },
    )


async def test_a_shielded_await_in_the_cleanup_of_a_cancelled_task_completes(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    events: list[str] = []
    started = anyio.Event()

    async def cleanup() -> str:
        await anyio.sleep(0.001)
        return "cleaned up"

    async def worker() -> None:
        try:
            started.set()
            await anyio.sleep(10)
        finally:
            events.append(await cx.shielded(cleanup()))

    async with api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await started.wait()
        task.cancel()
    assert task.cancelled()
    assert events == ["cleaned up"]


@pytest.mark.differs
async def test_a_task_that_swallows_its_cancellation(api: ConcurrencyAPI, column: Column) -> None:
    """asyncio: caught means over, the task runs to its end. Trio/AnyIO: the task's scope
    is still cancelled, so its next checkpoint raises again."""
    events: list[str] = []
    started = anyio.Event()

    async def stubborn() -> str:
        try:
            started.set()
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            events.append("caught and swallowed")
        try:
            await anyio.sleep(0.001)
        except anyio.get_cancelled_exc_class():
            events.append("cancelled again")
            raise
        events.append("kept running")
        return "finished"

    async with api.TaskGroup() as tg:
        task = tg.create_task(stubborn())
        await started.wait()
        task.cancel()
    outcome = "cancelled" if task.cancelled() else task.result()
    assert (events, outcome) == expect(
        column,
        {
            "impl_asyncio": (["caught and swallowed", "kept running"], "finished"),
            "impl_trio": (["caught and swallowed", "cancelled again"], "cancelled"),
            "shared": (["caught and swallowed", "cancelled again"], "cancelled"),
        },
    )


@pytest.mark.differs
async def test_a_block_that_swallows_its_timeout(cx: CancellationAPI, column: Column) -> None:
    """The same with a scope: asyncio's scope cancels once; the others at every checkpoint."""
    events: list[str] = []
    with cx.move_on_after(0.01) as scope:
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            events.append("caught and swallowed")
        try:
            await anyio.sleep(0.001)
            events.append("kept running")
        except anyio.get_cancelled_exc_class():
            events.append("cancelled again")
            raise
    assert (events, scope.cancelled_caught) == expect(
        column,
        {
            "impl_asyncio": (["caught and swallowed", "kept running"], False),
            "impl_trio": (["caught and swallowed", "cancelled again"], True),
            "shared": (["caught and swallowed", "cancelled again"], True),
        },
    )


@pytest.mark.differs
async def test_a_shielded_cleanup_completing_under_cancellation(
    cx: CancellationAPI, column: Column
) -> None:
    """The timeout fires while the shielded work runs; the work finishes in every column.
    asyncio then raises its one CancelledError out of ``shielded`` (the result is dropped);
    Trio/AnyIO return the result and cancel at the next checkpoint."""
    events: list[str] = []

    async def cleanup() -> str:
        await anyio.sleep(0.05)
        events.append("cleanup finished")
        return "cleaned up"

    with cx.move_on_after(0.01) as scope:
        try:
            events.append(f"shielded returned {await cx.shielded(cleanup())!r}")
            await anyio.lowlevel.checkpoint()
            events.append("not reached")
        except anyio.get_cancelled_exc_class():
            events.append("cancelled")
            raise
    assert scope.cancelled_caught
    assert events == expect(
        column,
        {
            "impl_asyncio": ["cleanup finished", "cancelled"],
            "impl_trio": ["cleanup finished", "shielded returned 'cleaned up'", "cancelled"],
            "shared": ["cleanup finished", "shielded returned 'cleaned up'", "cancelled"],
        },
    )


@pytest.mark.differs
async def test_a_shield_scope_and_a_bare_task_cancel(
    api: ConcurrencyAPI, column: Column, cx: CancellationAPI
) -> None:
    """asyncio cannot refuse ``Task.cancel()``: impl_asyncio's shield holds back only the
    scopes around it (use ``shielded`` for the rest). Trio/AnyIO shield the block."""
    events: list[str] = []
    started = anyio.Event()

    async def worker() -> None:
        with cx.CancelScope(shield=True):
            started.set()
            try:
                await anyio.sleep(0.03)
                events.append("shielded sleep finished")
            except anyio.get_cancelled_exc_class():
                events.append("interrupted")
                raise

    async with api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await started.wait()
        task.cancel()
    assert events == expect(
        column,
        {
            "impl_asyncio": ["interrupted"],
            "impl_trio": ["shielded sleep finished"],
            "shared": ["shielded sleep finished"],
        },
    )
    # No checkpoint after the shield: in Trio/AnyIO the task ends without seeing its cancel.
    assert task.cancelled() == expect(
        column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
    )


@pytest.mark.differs
async def test_a_result_arriving_with_the_cancellation(
    api: ConcurrencyAPI, column: Column, cx: CancellationAPI
) -> None:
    """The awaited Future gets its result and the waiting task is cancelled in the same
    step. asyncio 3.11's ``wait_for`` sees the result, returns it, and loses the
    cancellation for good (gh-86296): the task runs to its end. From 3.12 ``wait_for`` is
    ``asyncio.timeout`` around the await, which raises the CancelledError at once (the
    result stays in the Future). Trio/AnyIO return the result, and the cancelled scope
    raises at the next checkpoint."""
    events: list[str] = []
    fut = api.Future()
    started = anyio.Event()

    async def waiter() -> str:
        started.set()
        events.append(f"wait_for returned {await cx.wait_for(fut, 10)!r}")
        try:
            await anyio.sleep(0.001)
        except anyio.get_cancelled_exc_class():
            events.append("cancelled at the next checkpoint")
            raise
        events.append("kept running")
        return "finished"

    async with api.TaskGroup() as tg:
        task = tg.create_task(waiter())
        await started.wait()
        await anyio.sleep(0.005)  # waiter is now suspended inside wait_for
        fut.set_result(42)
        task.cancel()
    outcome = "cancelled" if task.cancelled() else task.result()
    assert fut.result() == 42  # the value is never lost from the Future itself
    assert (events, outcome) == expect(
        column,
        {
            "impl_asyncio": (
                (["wait_for returned 42", "kept running"], "finished")
                if sys.version_info < (3, 12)
                else ([], "cancelled")
            ),
            "impl_trio": (
                ["wait_for returned 42", "cancelled at the next checkpoint"],
                "cancelled",
            ),
            "shared": (["wait_for returned 42", "cancelled at the next checkpoint"], "cancelled"),
        },
    )


@pytest.mark.differs
async def test_a_task_cancelled_before_it_first_runs(api: ConcurrencyAPI, column: Column) -> None:
    """asyncio throws the CancelledError in before the first line: nothing runs, not even
    the finally. Trio/AnyIO start the task in a cancelled scope: it runs to its first
    checkpoint, is cancelled there, and its finally runs."""
    events: list[str] = []

    async def worker() -> None:
        events.append("started")
        try:
            await anyio.sleep(10)
        finally:
            events.append("finally")

    async with api.TaskGroup() as tg:
        task = tg.create_task(worker())
        task.cancel()
    assert task.cancelled()
    assert events == expect(
        column,
        {"impl_asyncio": [], "impl_trio": ["started", "finally"], "shared": ["started", "finally"]},
    )


@pytest.mark.differs
async def test_wait_for_zero_and_a_coroutine_that_never_suspends(
    cx: CancellationAPI, column: Column
) -> None:
    """asyncio's wait_for(coro, 0) cancels the new task before it starts; in the caller's
    own task the coroutine runs, and with no checkpoint there is nothing to cancel."""
    ran: list[str] = []

    async def instant() -> str:
        ran.append("ran")
        return "result"

    try:
        outcome = await cx.wait_for(instant(), 0)
    except TimeoutError:
        outcome = "TimeoutError"
    assert (outcome, ran) == expect(
        column,
        {
            "impl_asyncio": ("TimeoutError", []),
            "impl_trio": ("result", ["ran"]),
            "shared": ("result", ["ran"]),
        },
    )


@pytest.mark.differs
async def test_wait_for_timing_out_on_a_future(
    api: ConcurrencyAPI, column: Column, cx: CancellationAPI
) -> None:
    """asyncio's wait_for cancels what it waited for; Trio/AnyIO only stop waiting."""
    fut = api.Future()
    with pytest.raises(TimeoutError):
        await cx.wait_for(fut, 0.01)
    state = "cancelled" if fut.cancelled() else "pending"
    assert state == expect(
        column, {"impl_asyncio": "cancelled", "impl_trio": "pending", "shared": "pending"}
    )
    fut.cancel()


async def test_fail_after_cancelled_by_hand_moves_on(cx: CancellationAPI) -> None:
    """Only the deadline makes fail_after raise: a scope.cancel() by hand moves on, as in
    AnyIO (tests/test_taskgroups.py::test_fail_after_cancelled_before_deadline) and as
    asyncio.timeout, which raises only when its own timer expired. Trio's fail_after
    would raise TooSlowError here; impl_trio follows the other two."""
    with cx.fail_after(10) as scope:
        scope.cancel()
        await anyio.sleep(10)
    assert scope.cancelled_caught
