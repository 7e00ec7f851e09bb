"""Future: states, results, callbacks, waiting — one test, six columns."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import anyio
import pytest

from common.interface import ConcurrencyAPI, FutureLike
from rosetta.columns import Column

from .conftest import expect

pytestmark = pytest.mark.anyio


async def test_new_future_is_pending(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    assert not fut.done()
    assert not fut.cancelled()
    with pytest.raises(api.InvalidStateError):
        fut.result()
    with pytest.raises(api.InvalidStateError):
        fut.exception()


async def test_set_result_moves_to_finished_once(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    fut.set_result(42)
    assert fut.done()
    assert not fut.cancelled()
    assert fut.result() == 42
    assert fut.exception() is None
    assert await fut == 42
    with pytest.raises(api.InvalidStateError):
        fut.set_result(43)
    with pytest.raises(api.InvalidStateError):
        fut.set_exception(ValueError("late"))
    assert fut.cancel() is False
    assert fut.result() == 42


async def test_set_exception_is_raised_by_result_and_await(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    error = ValueError("boom")
    fut.set_exception(error)
    assert fut.done()
    assert fut.exception() is error
    with pytest.raises(ValueError, match="boom") as raised:
        fut.result()
    assert raised.value is error
    with pytest.raises(ValueError, match="boom"):
        await fut


async def test_set_exception_accepts_a_class_but_not_stopiteration(api: ConcurrencyAPI) -> None:
    """StopIteration cannot travel through a Future (PEP 479): refused with TypeError up
    to Python 3.12, stored as a RuntimeError from it since 3.13 (gh-112182); the three
    packages follow the running Python's asyncio."""
    if sys.version_info >= (3, 13):
        stopped = api.Future()
        stopped.set_exception(StopIteration())
        assert isinstance(stopped.exception(), RuntimeError)
    else:
        fut = api.Future()
        with pytest.raises(TypeError, match="StopIteration"):
            fut.set_exception(StopIteration())
        assert not fut.done()
    fut = api.Future()
    fut.set_exception(KeyError)
    assert isinstance(fut.exception(), KeyError)


async def test_cancel_moves_to_cancelled_with_message(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    assert fut.cancel(msg="no longer needed") is True
    assert fut.cancelled()
    assert fut.done()
    assert fut.cancel() is False
    with pytest.raises(api.CancelledError) as raised:
        fut.result()
    assert raised.value.args == ("no longer needed",)
    with pytest.raises(api.CancelledError):
        fut.exception()
    with pytest.raises(api.InvalidStateError):
        fut.set_result(1)
    with pytest.raises(api.CancelledError):
        await fut


async def test_future_resolved_by_another_task(api: ConcurrencyAPI) -> None:
    """The source text's example 3-16: a task sleeps, then sets the result main() waits for."""
    events: list[str] = []
    fut = api.Future()

    async def resolve_later() -> None:
        await anyio.sleep(0.01)
        events.append("set_result")
        fut.set_result("done")

    async with api.TaskGroup() as tg:
        tg.create_task(resolve_later())
        events.append("awaiting")
        value = await fut
        events.append(f"got {value}")
    assert events == ["awaiting", "set_result", "got done"]


@pytest.mark.differs
async def test_unresolved_future_waits_forever(api: ConcurrencyAPI, column: Column) -> None:
    """The source text's example 1: nobody sets a result, so the waiter never wakes.

    Shown with a timeout. When the timeout cancels the waiter, asyncio also
    cancels the awaited future (``Task.cancel`` cancels ``_fut_waiter``); Trio and
    AnyIO leave it pending, since other tasks may still be waiting for it.
    """
    fut = api.Future()
    with anyio.move_on_after(0.05) as scope:
        await fut
    assert scope.cancelled_caught
    assert fut.cancelled() is expect(
        column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
    )


async def test_callbacks_are_scheduled_not_called_inside_set_result(api: ConcurrencyAPI) -> None:
    events: list[tuple[str, Any]] = []
    fut = api.Future()
    fut.add_done_callback(lambda f: events.append(("first", f)))
    fut.add_done_callback(lambda f: events.append(("second", f.result())))
    fut.set_result(7)
    events.append(("set_result returned", None))
    await anyio.sleep(0.01)
    assert events == [("set_result returned", None), ("first", fut), ("second", 7)]


async def test_callback_added_after_done_is_still_scheduled(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    fut.cancel()
    seen: list[bool] = []
    fut.add_done_callback(lambda f: seen.append(f.cancelled()))
    assert seen == []
    await anyio.sleep(0.01)
    assert seen == [True]


async def test_remove_done_callback_counts_and_unregisters(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    calls: list[str] = []

    def removed(_: Any) -> None:
        calls.append("removed")

    def kept(_: Any) -> None:
        calls.append("kept")

    fut.add_done_callback(removed)
    fut.add_done_callback(kept)
    fut.add_done_callback(removed)
    assert fut.remove_done_callback(removed) == 2
    assert fut.remove_done_callback(removed) == 0
    fut.set_result(None)
    await anyio.sleep(0.01)
    assert calls == ["kept"]


@pytest.mark.differs
async def test_failing_callback_is_reported_and_others_still_run(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    """asyncio hands a callback's exception to the loop's exception handler;
    the Trio and AnyIO futures have no such handler and log it (as asyncio's
    default handler would). Either way ``set_result`` is not disturbed and
    the other callbacks run."""
    handled: list[BaseException] = []
    if column.native_asyncio:  # plain asyncio: the loop's exception handler
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()
        loop.set_exception_handler(lambda _, context: handled.append(context["exception"]))

    fut = api.Future()
    calls: list[str] = []

    def bad(_: Any) -> None:
        raise ZeroDivisionError("in a callback")

    fut.add_done_callback(bad)
    fut.add_done_callback(lambda _: calls.append("after"))
    try:
        with caplog.at_level(logging.ERROR):
            fut.set_result(1)
            await anyio.sleep(0.01)
    finally:
        if column.native_asyncio:
            loop.set_exception_handler(previous)
    assert calls == ["after"]
    logged = [
        r.exc_info[1]
        for r in caplog.records
        if r.exc_info and "Exception in callback" in r.getMessage()
    ]
    reported_by = "handler" if handled else "log" if logged else "nobody"
    assert reported_by == expect(
        column, {"impl_asyncio": "handler", "impl_trio": "log", "shared": "log"}
    )
    assert [type(e) for e in handled + logged] == [ZeroDivisionError]


@pytest.mark.differs
async def test_awaiting_a_done_future_is_a_checkpoint_or_not(
    api: ConcurrencyAPI, column: Column
) -> None:
    """asyncio returns a done future's result without yielding to the loop;
    Trio and AnyIO make every ``await`` a checkpoint, where a pending
    cancellation is delivered even though the value is ready."""
    fut = api.Future()
    fut.set_result("ready")
    got = "nothing"
    with anyio.CancelScope() as scope:
        scope.cancel()
        got = await fut
    assert (got, scope.cancelled_caught) == expect(
        column,
        {
            "impl_asyncio": ("ready", False),
            "impl_trio": ("nothing", True),
            "shared": ("nothing", True),
        },
    )


def test_future_from_another_run_is_refused(column: Column) -> None:
    """A future belongs to the event loop run that made it."""
    api = column.api

    async def make() -> FutureLike[Any]:
        fut: FutureLike[Any] = api.Future()
        return fut

    async def use(fut: FutureLike[Any]) -> object:
        return await fut

    fut = column.run(make)
    with pytest.raises(RuntimeError, match=r"loop|run"):
        column.run(use, fut)
