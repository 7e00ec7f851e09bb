"""CPython 3.11's ``Lib/test/test_asyncio/test_waitfor.py``, in all six columns.

Each test mirrors the ``AsyncioWaitForTest`` case of the same name with
``asyncio.wait_for`` as ``cx.wait_for``. Tasks are made by ``api.TaskGroup`` (our
API has no ungrouped ``create_task`` in Trio and AnyIO), and ``asyncio.sleep`` is
``anyio.sleep``, the column's own sleep.

Two cases added in CPython 3.12 are mirrored as well, because they are where the
asyncio columns change with the Python version (``wait_for`` was re-implemented
on ``asyncio.timeout`` in 3.12, gh-86296): ``test_wait_for_cancel_suppressed``
and ``test_wait_for_issue86296``. The expectations of
``test_asyncio_wait_for_cancelled``, ``test_wait_for_self_cancellation`` and
``test_wait_for_issue86296`` branch on ``sys.version_info``; each was checked
against CPython 3.11.7, 3.12.1 and 3.13.0.

Not mirrored, and why:

* the ``timeout=-1`` sub-case of ``test_wait_for_timeout_less_then_0_or_0``: a
  negative timeout is refused with ``ValueError`` in our API, in every column (the
  ``0`` sub-case is mirrored);
* ``WaitForShieldTests`` (added in 3.12: ``test_zero_timeout``,
  ``test_none_timeout``, ``test_shielded_timeout``): they test ``asyncio.shield``,
  which lets the waiter give up while the work goes on. Our ``shielded()`` is not
  that: it waits for the work in every column (README, "protect cleanup"), so
  ``wait_for(shielded(work), t)`` cannot end while the work runs.

Where Trio and AnyIO differ (``differs``), it is one of two rules. ``wait_for``
there awaits in the caller's task, so a coroutine always starts and an already
done future is still a checkpoint (``await`` is a checkpoint). And a Task or Future
that times out is only waited for, not cancelled: it belongs to its own task group,
which decides its lifetime (every task has a group).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from common.interface import CancellationAPI, ConcurrencyAPI, FutureLike
from rosetta.columns import Column

from ..conftest import expect
from .cancel_support import cancelled, cancelled_exc, differs_before

pytestmark = [pytest.mark.anyio, pytest.mark.concept("cancellation")]

# A very small timeout: > 0, but shorter than anything the test waits for.
EPSILON = 0.0001

BEFORE_3_12 = sys.version_info < (3, 12)


def case(name: str) -> pytest.MarkDecorator:
    return pytest.mark.upstream(f"test_waitfor.py::AsyncioWaitForTest::{name}")


def outcome(task: FutureLike[Any]) -> str:
    if task.cancelled():
        return "cancelled"
    if task.exception() is not None:
        return f"raised {type(task.exception()).__name__}"
    return f"returned {task.result()!r}"


class SlowTask:
    """Runs for TASK_TIMEOUT seconds, ignoring every cancellation it gets."""

    TASK_TIMEOUT = 0.2

    def __init__(self) -> None:
        self.exited = False

    async def run(self) -> str:
        exit_at = time.monotonic() + self.TASK_TIMEOUT
        while (left := exit_at - time.monotonic()) > 0:
            try:
                # In Trio and AnyIO this raises at once, again and again, until the time
                # is up: a cancelled scope stays cancelled. asyncio sleeps on.
                await anyio.sleep(left)
            except cancelled_exc():
                pass
        self.exited = True
        return "slow done"


@differs_before((3, 12))
@case("test_asyncio_wait_for_cancelled")
async def test_asyncio_wait_for_cancelled(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """wait_for is cancelled while its coroutine swallows cancellations and finishes.
    asyncio 3.11 raises CancelledError anyway; 3.12+ (wait_for on asyncio.timeout), Trio
    and AnyIO return what the coroutine returned."""
    t = SlowTask()

    async def waiter() -> str:
        return await cx.wait_for(t.run(), t.TASK_TIMEOUT * 2)

    async with api.TaskGroup() as tg:
        waitfortask = tg.create_task(waiter())
        await anyio.lowlevel.checkpoint()
        waitfortask.cancel()
    assert t.exited
    assert outcome(waitfortask) == expect(
        column,
        {
            "impl_asyncio": "cancelled" if BEFORE_3_12 else "returned 'slow done'",
            "impl_trio": "returned 'slow done'",
            "shared": "returned 'slow done'",
        },
    )


@case("test_asyncio_wait_for_timeout")
async def test_asyncio_wait_for_timeout(cx: CancellationAPI) -> None:
    """The timeout passes, the coroutine ignores it and returns: that result wins."""
    t = SlowTask()
    try:
        result = await cx.wait_for(t.run(), t.TASK_TIMEOUT / 2)
    except TimeoutError:
        result = "TimeoutError"
    assert t.exited
    assert result == "slow done"


@pytest.mark.differs
@case("test_wait_for_timeout_less_then_0_or_0_future_done")
async def test_wait_for_timeout_less_then_0_or_0_future_done(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """asyncio returns a done future's result without waiting; in Trio and AnyIO the
    await is still a checkpoint, where the expired timeout is delivered."""
    fut = api.Future()
    fut.set_result("done")
    try:
        result = await cx.wait_for(fut, 0)
    except TimeoutError:
        result = "TimeoutError"
    assert fut.done()
    assert result == expect(
        column, {"impl_asyncio": "done", "impl_trio": "TimeoutError", "shared": "TimeoutError"}
    )


@pytest.mark.differs
@case("test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started")
async def test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started(
    cx: CancellationAPI, column: Column
) -> None:
    """asyncio cancels the new task before it starts. Trio and AnyIO run the coroutine
    in the caller's task: it starts, and with no checkpoint nothing cancels it."""
    foo_started = False

    async def foo() -> None:
        nonlocal foo_started
        foo_started = True

    try:
        await cx.wait_for(foo(), 0)
        result = "returned"
    except TimeoutError:
        result = "TimeoutError"
    assert (result, foo_started) == expect(
        column,
        {
            "impl_asyncio": ("TimeoutError", False),
            "impl_trio": ("returned", True),
            "shared": ("returned", True),
        },
    )


async def _time_out_on_a_running_task(
    api: ConcurrencyAPI, cx: CancellationAPI, seconds: float
) -> tuple[str, bool | None]:
    """wait_for(task, seconds) on a task that sleeps: the task's state and whether its
    coroutine is still running once the TimeoutError is out."""
    foo_running: bool | None = None
    started = anyio.Event()

    async def foo() -> str:
        nonlocal foo_running
        foo_running = True
        started.set()
        try:
            await anyio.sleep(10)
        finally:
            foo_running = False
        return "done"

    async with api.TaskGroup() as tg:
        fut = tg.create_task(foo())
        await started.wait()
        with pytest.raises(TimeoutError):
            await cx.wait_for(fut, seconds)
        state = "cancelled" if fut.cancelled() else "done" if fut.done() else "pending"
        running = foo_running
        fut.cancel()  # Trio and AnyIO left it running: end it, so the group can close
    return state, running


@pytest.mark.differs
@case("test_wait_for_timeout_less_then_0_or_0")
async def test_wait_for_timeout_less_then_0_or_0(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """asyncio cancels the task it timed out on; Trio and AnyIO only stop waiting."""
    assert await _time_out_on_a_running_task(api, cx, 0) == expect(
        column,
        {
            "impl_asyncio": ("cancelled", False),
            "impl_trio": ("pending", True),
            "shared": ("pending", True),
        },
    )


@pytest.mark.differs
@case("test_wait_for")
async def test_wait_for(api: ConcurrencyAPI, cx: CancellationAPI, column: Column) -> None:
    """The same with a timeout that passes while the task waits."""
    assert await _time_out_on_a_running_task(api, cx, 0.1) == expect(
        column,
        {
            "impl_asyncio": ("cancelled", False),
            "impl_trio": ("pending", True),
            "shared": ("pending", True),
        },
    )


@case("test_wait_for_blocking")
async def test_wait_for_blocking(cx: CancellationAPI) -> None:
    async def coro() -> str:
        return "done"

    assert await cx.wait_for(coro(), timeout=None) == "done"


@case("test_wait_for_race_condition")
async def test_wait_for_race_condition(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """The result arrives well before the timeout."""
    fut = api.Future()

    async def set_later() -> None:
        await anyio.sleep(0.05)
        fut.set_result("ok")

    async with api.TaskGroup() as tg:
        tg.create_task(set_later())
        assert await cx.wait_for(fut, timeout=1.0) == "ok"


@case("test_wait_for_cancellation_race_condition")
async def test_wait_for_cancellation_race_condition(cx: CancellationAPI) -> None:
    """The coroutine catches the timeout's cancellation and returns: wait_for returns."""

    async def inner() -> int:
        with pytest.raises(cancelled_exc()):
            await anyio.sleep(1)
        return 1

    assert await cx.wait_for(inner(), timeout=0.01) == 1


@case("test_wait_for_cancel_suppressed")
async def test_wait_for_cancel_suppressed(cx: CancellationAPI) -> None:
    """Added in 3.12 with gh-86296, and true of 3.11 as well: a coroutine that suppresses
    the cancellation and returns a value makes wait_for return that value."""

    async def return_42() -> int:
        try:
            await anyio.sleep(10)
        except cancelled_exc():
            return 42
        return 0

    assert await cx.wait_for(return_42(), timeout=0.1) == 42


async def _wait_for_a_task_that_cleans_up(
    api: ConcurrencyAPI, cx: CancellationAPI, seconds: float
) -> tuple[bool, bool]:
    """wait_for(task, seconds) on a task whose cleanup awaits: was the cleanup over when
    TimeoutError came out, and is the error's context the cancellation?"""
    task_done = False

    async def inner() -> None:
        nonlocal task_done
        try:
            await anyio.sleep(10)
        except cancelled_exc():
            await anyio.sleep(EPSILON)
            raise
        finally:
            task_done = True

    async with api.TaskGroup() as tg:
        inner_task = tg.create_task(inner())
        await anyio.sleep(EPSILON)
        with pytest.raises(TimeoutError) as raised:
            await cx.wait_for(inner_task, timeout=seconds)
        done_when_raised = task_done
        inner_task.cancel()
    return done_when_raised, cancelled(raised.value.__context__)


@pytest.mark.differs
@case("test_wait_for_waits_for_task_cancellation")
async def test_wait_for_waits_for_task_cancellation(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """asyncio cancels the task and waits for its cleanup before raising TimeoutError;
    Trio and AnyIO raise at once and leave the task alone. In all, the TimeoutError's
    context is the cancellation that ended the wait."""
    assert await _wait_for_a_task_that_cleans_up(api, cx, EPSILON) == expect(
        column, {"impl_asyncio": (True, True), "impl_trio": (False, True), "shared": (False, True)}
    )


@pytest.mark.differs
@case("test_wait_for_waits_for_task_cancellation_w_timeout_0")
async def test_wait_for_waits_for_task_cancellation_w_timeout_0(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """The same with timeout=0."""
    assert await _wait_for_a_task_that_cleans_up(api, cx, 0) == expect(
        column, {"impl_asyncio": (True, True), "impl_trio": (False, True), "shared": (False, True)}
    )


class FooError(Exception):
    pass


@pytest.mark.differs
@case("test_wait_for_reraises_exception_during_cancellation")
async def test_wait_for_reraises_exception_during_cancellation(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """The task fails while it is being cancelled. Upstream's task has no group, and
    asyncio's wait_for, which cancelled it, raises its FooError. Here the task is in a
    group (every task has one in our API): in asyncio the failing child makes its group
    cancel the waiting host at once, so wait_for ends cancelled and only the group
    reports FooError. Trio and AnyIO stop waiting at the timeout without touching the
    task, which fails later, on its own, into the group."""
    events: list[str] = []

    async def inner() -> None:
        try:
            await anyio.sleep(0.2)
        finally:
            raise FooError

    try:
        async with api.TaskGroup() as tg:
            inner_task = tg.create_task(inner())
            try:
                await cx.wait_for(inner_task, timeout=EPSILON)
            except TimeoutError:
                events.append("wait_for: TimeoutError")
            except FooError:
                events.append("wait_for: FooError")
    except* FooError:
        events.append("group: FooError")
    assert events == expect(
        column,
        {
            "impl_asyncio": ["group: FooError"],
            "impl_trio": ["wait_for: TimeoutError", "group: FooError"],
            "shared": ["wait_for: TimeoutError", "group: FooError"],
        },
    )


@pytest.mark.differs
@case("test_wait_for_self_cancellation")
async def test_wait_for_self_cancellation(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """The task waited for holds up its cancellation; then wait_for itself is cancelled.
    asyncio 3.11: wait_for is cancelled. 3.12+ (CPython dropped the case): the task
    finishes and wait_for returns its result, the cancel is lost. Trio and AnyIO timed out
    long before, without touching the task, which finishes untouched."""

    async def inner() -> int:
        try:
            await anyio.sleep(0.3)
        except cancelled_exc():
            try:
                await anyio.sleep(0.3)
            except cancelled_exc():
                await anyio.sleep(0.3)
        return 42

    async def waiter() -> int | str:
        try:
            return await cx.wait_for(inner_task, timeout=0.1)
        except TimeoutError:
            return "TimeoutError"

    async with api.TaskGroup() as tg:
        inner_task = tg.create_task(inner())
        task = tg.create_task(waiter())
        await anyio.sleep(0.2)
        task.cancel()
    assert inner_task.result() == 42
    assert outcome(task) == expect(
        column,
        {
            "impl_asyncio": "cancelled" if BEFORE_3_12 else "returned 42",
            "impl_trio": "returned 'TimeoutError'",
            "shared": "returned 'TimeoutError'",
        },
    )


@differs_before((3, 12))
@case("test_wait_for_issue86296")
async def test_wait_for_issue86296(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """Added in 3.12: the awaited task is done and the waiter is cancelled in the same
    step. 3.12+, Trio and AnyIO: the waiter is cancelled. 3.11: wait_for returns the
    result and the cancel is lost, so the waiter runs to its end (gh-86296)."""

    async def inner() -> str:
        return "done"

    reached_end = False

    async def wait_for_coro() -> None:
        nonlocal reached_end
        await cx.wait_for(inner_task, timeout=100)
        await anyio.sleep(1)
        reached_end = True

    async with api.TaskGroup() as tg:
        inner_task = tg.create_task(inner())
        task = tg.create_task(wait_for_coro())
        assert not task.done()
        await anyio.lowlevel.checkpoint()  # both tasks run
        task.cancel()
    assert inner_task.result() == "done"
    assert (outcome(task), reached_end) == expect(
        column,
        {
            "impl_asyncio": ("returned None", True) if BEFORE_3_12 else ("cancelled", False),
            "impl_trio": ("cancelled", False),
            "shared": ("cancelled", False),
        },
    )


async def _cancel_wait_for(api: ConcurrencyAPI, cx: CancellationAPI, seconds: float | None) -> str:
    """Cancel a wait_for(task, seconds) that waits on a task blocked forever; return
    the state of the task waited for (bpo-23219: asyncio cancels it too)."""

    async def blocking_coroutine() -> None:
        await api.Future()  # never set

    async def waiter() -> None:
        await cx.wait_for(task, seconds)

    async with api.TaskGroup() as tg:
        task = tg.create_task(blocking_coroutine())
        wait = tg.create_task(waiter())
        await anyio.lowlevel.checkpoint()
        wait.cancel()
        with pytest.raises(api.CancelledError):
            await wait
        state = "cancelled" if task.cancelled() else "pending"
        task.cancel()
    return state


@pytest.mark.differs
@case("test_cancel_blocking_wait_for")
async def test_cancel_blocking_wait_for(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """Cancelling wait_for cancels what it waits for in asyncio; in Trio and AnyIO the
    task belongs to its group and goes on."""
    assert await _cancel_wait_for(api, cx, None) == expect(
        column, {"impl_asyncio": "cancelled", "impl_trio": "pending", "shared": "pending"}
    )


@pytest.mark.differs
@case("test_cancel_wait_for")
async def test_cancel_wait_for(api: ConcurrencyAPI, cx: CancellationAPI, column: Column) -> None:
    """The same with a timeout of 60 s."""
    assert await _cancel_wait_for(api, cx, 60.0) == expect(
        column, {"impl_asyncio": "cancelled", "impl_trio": "pending", "shared": "pending"}
    )
