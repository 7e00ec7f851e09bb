"""CPython 3.11's ``asyncio.shield`` cases in ``Lib/test/test_asyncio/test_tasks.py``
(``BaseTaskTests``), re-expressed for every column against ``cx.shielded``.

``asyncio.shield(aw)`` returns an outer future: cancelling it cancels only the
outer, which gives up at once while the inner work runs on. ``shielded(aw)`` is a
coroutine that waits for the work in every column (README, "protect cleanup"): a
cancellation of the caller waits until the work is done. So where upstream checks
that the outer is cancelled "right away", these check that the work was not
cancelled, that the caller's task waited for it, and what the caller sees after it.
Upstream cancels ``outer`` itself; here the task that awaits ``shielded`` is
cancelled (``task.cancel()``), as a task in a ``TaskGroup`` (Trio and AnyIO have no
other kind). ``gather()`` returns a coroutine in all three packages, so upstream's
gathering future is a coroutine that records what ``gather`` returned.

What differs (``differs``) follows rows of the README's differences table. Mostly
level-triggered cancellation ("a timeout or ``task.cancel()`` arrives during
``shielded(cleanup)``"): once the shielded work is done, asyncio delivers its one
``CancelledError`` out of ``shielded`` (the result is dropped); Trio and AnyIO
return the result, and the still-cancelled scope raises at the caller's next
checkpoint. Code between ``shielded`` and that checkpoint runs there, and a
coroutine that returns before one ends with its result ("``task.cancel()``, then
the coroutine returns before reaching an ``await``"). In ``test_gather_shield``
shared follows its backend: ``gather``'s task group exit, where the cancelled task
waits for the shielded children, delivers the cancellation on AnyIO's asyncio
backend and not on Trio ("the exit of a task group ... in a cancelled scope").

Left out, and why
-----------------
* ``test_shield_coroutine_without_loop``: ``asyncio.shield(coro)`` with no event
  loop raises ``RuntimeError``; ``shielded`` is a coroutine function, which binds
  nothing until it runs (as ``test_tasks.py`` leaves out ``gather``'s loop cases).
* ``test_shield_coroutine_use_global_loop``: ``asyncio.set_event_loop``, the global
  loop; no such thing in Trio or AnyIO.
* ``test_shield_coroutine_use_running_loop``'s ``outer._loop`` check (a private
  attribute); its result check is mirrored.
* ``test_shield_cancel_outer``'s check that the outer future removed its callback
  from the inner one (``outer._callbacks``, private); the rest is mirrored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from common.interface import CancellationAPI, ConcurrencyAPI, FutureLike
from rosetta.columns import Column

from ..conftest import expect
from .cancel_support import cancelled_exc

pytestmark = [pytest.mark.anyio, pytest.mark.concept("cancellation")]


def case(name: str) -> pytest.MarkDecorator:
    return pytest.mark.upstream(f"test_tasks.py::BaseTaskTests::{name}")


def outcome(task: FutureLike[Any]) -> str:
    if task.cancelled():
        return "cancelled"
    if task.exception() is not None:
        return f"raised {type(task.exception()).__name__}"
    return f"returned {task.result()!r}"


async def run_briefly() -> None:
    """Upstream's ``test_utils.run_briefly``: let the other tasks take a step or two."""
    for _ in range(3):
        await anyio.lowlevel.checkpoint()


@case("test_shield_result")
async def test_shield_result(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """The inner future's result is what ``shielded`` returns."""
    inner = api.Future()
    async with api.TaskGroup() as tg:
        outer = tg.create_task(cx.shielded(inner))
        await run_briefly()
        assert not outer.done()
        inner.set_result(42)
    assert outer.result() == 42


@case("test_shield_exception")
async def test_shield_exception(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """The inner future's exception, the same object, comes out of ``shielded``."""
    inner = api.Future()
    exc = RuntimeError("expected")
    raised: list[BaseException] = []

    async def outer() -> None:
        try:
            await cx.shielded(inner)
        except RuntimeError as e:
            raised.append(e)

    async with api.TaskGroup() as tg:
        tg.create_task(outer())
        await run_briefly()
        inner.set_exception(exc)
    assert raised == [exc]
    assert raised[0] is exc


@case("test_shield_cancel_inner")
async def test_shield_cancel_inner(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """The inner future is cancelled: ``shielded`` raises the package's CancelledError,
    and the task that awaited it ends cancelled."""
    inner = api.Future()
    raised: list[type[BaseException]] = []

    async def outer() -> None:
        try:
            await cx.shielded(inner)
        except api.CancelledError as e:
            raised.append(type(e))
            raise

    async with api.TaskGroup() as tg:
        task = tg.create_task(outer())
        await run_briefly()
        inner.cancel()
    assert raised == [api.CancelledError]
    assert task.cancelled()


@pytest.mark.differs
@case("test_shield_cancel_outer")
async def test_shield_cancel_outer(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """The task awaiting ``shielded`` is cancelled: the inner future is not, and the task
    waits for it (upstream's outer gives up at once). Then asyncio raises CancelledError
    out of ``shielded``; Trio and AnyIO return the result and cancel at the next
    checkpoint. The task ends cancelled in every column."""
    inner = api.Future()
    steps: list[str] = []

    async def outer() -> None:
        try:
            steps.append(f"shielded returned {await cx.shielded(inner)!r}")
        except cancelled_exc():
            steps.append("shielded raised the cancellation")
            raise
        try:
            await anyio.lowlevel.checkpoint()
        except cancelled_exc():
            steps.append("next checkpoint raised the cancellation")
            raise

    async with api.TaskGroup() as tg:
        task = tg.create_task(outer())
        await run_briefly()
        task.cancel()
        await run_briefly()
        assert not inner.cancelled()
        assert not task.done()  # waiting for the shielded work
        inner.set_result(42)
    assert task.cancelled()
    assert inner.result() == 42
    assert steps == expect(
        column,
        {
            "impl_asyncio": ["shielded raised the cancellation"],
            "impl_trio": ["shielded returned 42", "next checkpoint raised the cancellation"],
            "shared": ["shielded returned 42", "next checkpoint raised the cancellation"],
        },
    )


@case("test_shield_shortcut")
async def test_shield_shortcut(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """A future already done: ``shielded`` returns its result."""
    fut = api.Future()
    fut.set_result(42)
    assert await cx.shielded(fut) == 42


@pytest.mark.differs
@case("test_shield_effect")
async def test_shield_effect(api: ConcurrencyAPI, cx: CancellationAPI, column: Column) -> None:
    """Cancelling outer() does not stop inner(): inner adds 1 in every column. asyncio
    raises out of ``shielded`` (the 100 is never added, the task is cancelled); Trio and
    AnyIO return, so outer adds 100 and returns before reaching a checkpoint, and the
    task ends with its result: the cancellation was never delivered."""
    proof = 0
    waiter = api.Future()

    async def inner() -> None:
        nonlocal proof
        await waiter
        proof += 1

    async def outer() -> None:
        nonlocal proof
        await cx.shielded(inner())
        proof += 100

    async with api.TaskGroup() as tg:
        task = tg.create_task(outer())
        await run_briefly()
        task.cancel()
        await run_briefly()
        assert not task.done()  # waiting for inner()
        waiter.set_result(None)
    assert proof == expect(column, {"impl_asyncio": 1, "impl_trio": 101, "shared": 101})
    assert outcome(task) == expect(
        column,
        {"impl_asyncio": "cancelled", "impl_trio": "returned None", "shared": "returned None"},
    )


@pytest.mark.differs
@case("test_shield_gather")
async def test_shield_gather(api: ConcurrencyAPI, cx: CancellationAPI, column: Column) -> None:
    """``shielded(gather(child1, child2))`` in a task that is cancelled: the children are
    not cancelled and gather returns ``[1, 2]`` in every column; what the task sees after
    the shielded work is the rule of each library."""
    child1 = api.Future()
    child2 = api.Future()
    gathered: list[Sequence[Any]] = []
    steps: list[str] = []

    async def parent() -> Sequence[Any]:
        results = await api.gather(child1, child2)
        gathered.append(results)
        return results

    async def outer() -> None:
        try:
            steps.append(f"shielded returned {await cx.shielded(parent())!r}")
            await anyio.lowlevel.checkpoint()
        except cancelled_exc():
            steps.append("cancelled")
            raise

    async with api.TaskGroup() as tg:
        task = tg.create_task(outer())
        await run_briefly()
        task.cancel()
        await run_briefly()
        assert not task.done()
        assert not child1.cancelled()
        assert not child2.cancelled()
        child1.set_result(1)
        child2.set_result(2)
    assert gathered == [[1, 2]]
    assert task.cancelled()
    assert steps == expect(
        column,
        {
            "impl_asyncio": ["cancelled"],
            "impl_trio": ["shielded returned [1, 2]", "cancelled"],
            "shared": ["shielded returned [1, 2]", "cancelled"],
        },
    )


@pytest.mark.differs
@case("test_gather_shield")
async def test_gather_shield(api: ConcurrencyAPI, cx: CancellationAPI, column: Column) -> None:
    """``gather(shielded(child1), shielded(child2))`` in a task that is cancelled: the
    children are not cancelled and the task waits for them. asyncio's gather then raises
    CancelledError (upstream: the gathering future's exception), and so does shared's on
    AnyIO's asyncio backend; on Trio the two ``shielded`` return, gather returns
    ``[1, 2]``, and the next checkpoint raises."""
    child1 = api.Future()
    child2 = api.Future()
    steps: list[str] = []

    async def parent() -> None:
        try:
            steps.append(
                f"gather returned {await api.gather(cx.shielded(child1), cx.shielded(child2))!r}"
            )
            await anyio.lowlevel.checkpoint()
        except cancelled_exc():
            steps.append("cancelled")
            raise

    async with api.TaskGroup() as tg:
        task = tg.create_task(parent())
        await run_briefly()
        task.cancel()
        await run_briefly()
        assert not task.done()
        assert not child1.cancelled()
        assert not child2.cancelled()
        child1.set_result(1)
        child2.set_result(2)
    assert task.cancelled()
    levelled = ["gather returned [1, 2]", "cancelled"]
    assert steps == expect(
        column,
        {
            "impl_asyncio": ["cancelled"],
            "impl_trio": levelled,
            # gather's task group exit: AnyIO's asyncio backend suspends there to wait for
            # the children, which delivers the cancellation (README: "the exit of a task
            # group ... in a cancelled scope"); Trio's nursery exit is no checkpoint.
            "shared": levelled if column.on_trio else ["cancelled"],
        },
    )


@case("test_shield_coroutine_use_running_loop")
async def test_shield_coroutine_use_running_loop(cx: CancellationAPI) -> None:
    """A coroutine passed to ``shielded`` runs (on the running loop) to its result."""

    async def coro() -> int:
        return 42

    assert await cx.shielded(coro()) == 42
