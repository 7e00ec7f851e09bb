"""Task, TaskGroup, ensure_future and gather — one test, six columns."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from common.interface import ConcurrencyAPI
from rosetta.columns import Column

from .conftest import expect

pytestmark = pytest.mark.anyio


async def test_a_task_is_a_future_with_the_coroutine_result(api: ConcurrencyAPI) -> None:
    async def answer() -> int:
        await anyio.lowlevel.checkpoint()
        return 42

    async with api.TaskGroup() as tg:
        task = tg.create_task(answer(), name="answer")
        assert isinstance(task, api.Task)
        assert isinstance(task, api.Future)  # type: ignore[arg-type]
        assert not task.done()
        assert await task == 42
    assert task.result() == 42
    assert task.exception() is None


async def test_set_result_on_a_task_raises_runtime_error(api: ConcurrencyAPI) -> None:
    """The source text says "since Python 3.8"; asyncio has refused it since 3.7 (bpo-32363)."""
    async with api.TaskGroup() as tg:
        task = tg.create_task(anyio.lowlevel.checkpoint())
        with pytest.raises(RuntimeError, match="set_result"):
            task.set_result(1)
        with pytest.raises(RuntimeError, match="set_exception"):
            task.set_exception(ValueError())
    assert task.result() is None


@pytest.mark.differs
async def test_cancel_raises_the_backend_cancellation_inside(
    api: ConcurrencyAPI, column: Column
) -> None:
    """What the coroutine of a cancelled task sees: asyncio.CancelledError in asyncio,
    trio.Cancelled in Trio, and in shared the cancellation of the backend it runs on."""
    seen: list[str] = []
    started = anyio.Event()

    async def worker() -> None:
        try:
            started.set()
            await anyio.sleep(10)
        except BaseException as exc:
            seen.append(f"{type(exc).__module__}.{type(exc).__name__}")
            raise
        finally:
            seen.append("finally")

    async with api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await started.wait()
        assert task.cancel(msg="stop") is True
        assert not task.done()  # cancellation is delivered at the coroutine's next await
        with pytest.raises(api.CancelledError):
            await task
    assert task.cancelled()
    assert task.cancel() is False
    with pytest.raises(api.CancelledError):
        task.result()
    inside = expect(
        column,
        {
            "impl_asyncio": "asyncio.exceptions.CancelledError",
            "impl_trio": "trio.Cancelled",
            "shared": ("trio.Cancelled" if column.on_trio else "asyncio.exceptions.CancelledError"),
        },
    )
    assert seen == [inside, "finally"]


async def test_cancelling_one_task_leaves_its_siblings_running(api: ConcurrencyAPI) -> None:
    async def sleeper() -> None:
        await anyio.sleep(10)

    async def worker() -> str:
        await anyio.sleep(0.02)
        return "sibling finished"

    async with api.TaskGroup() as tg:
        victim = tg.create_task(sleeper())
        sibling = tg.create_task(worker())
        await anyio.lowlevel.checkpoint()
        victim.cancel()
    assert victim.cancelled()
    assert sibling.result() == "sibling finished"


async def test_a_failing_task_cancels_the_group_and_raises_an_exception_group(
    api: ConcurrencyAPI,
) -> None:
    async def fail() -> None:
        await anyio.sleep(0.01)
        raise ValueError("task failed")

    async def sleeper() -> None:
        await anyio.sleep(10)

    with pytest.raises(ExceptionGroup) as raised:  # noqa: PT012 - the group block is the subject
        async with api.TaskGroup() as tg:
            failing = tg.create_task(fail())
            sleeping = tg.create_task(sleeper())
    assert [type(e) for e in raised.value.exceptions] == [ValueError]
    assert isinstance(failing.exception(), ValueError)
    with pytest.raises(ValueError, match="task failed"):
        failing.result()
    assert sleeping.cancelled()


async def test_create_task_on_a_closed_group_raises_and_closes_the_coroutine(
    api: ConcurrencyAPI,
) -> None:
    async with api.TaskGroup() as tg:
        pass
    coro = anyio.lowlevel.checkpoint()
    with pytest.raises(RuntimeError):
        tg.create_task(coro)
    # A never-awaited coroutine would warn (an error here); a closed one does not.
    coro.close()


# -- ensure_future ------------------------------------------------------------------------


class _Awaitable:
    def __await__(self) -> Generator[Any, None, str]:
        yield from anyio.lowlevel.checkpoint().__await__()
        return "from __await__"


async def test_ensure_future_returns_futures_and_tasks_unchanged(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    assert api.ensure_future(fut) is fut
    async with api.TaskGroup() as tg:
        task = tg.create_task(anyio.lowlevel.checkpoint())
        assert api.ensure_future(task) is task
        assert api.ensure_future(task, task_group=tg) is task
    fut.cancel()


async def test_ensure_future_wraps_coroutines_and_awaitables_in_the_group(
    api: ConcurrencyAPI,
) -> None:
    async def answer() -> int:
        return 42

    async with api.TaskGroup() as tg:
        task = api.ensure_future(answer(), task_group=tg)
        other = api.ensure_future(_Awaitable(), task_group=tg)
        assert isinstance(task, api.Task)
    assert task.result() == 42
    assert other.result() == "from __await__"


async def test_ensure_future_rejects_what_is_not_awaitable(api: ConcurrencyAPI) -> None:
    with pytest.raises(TypeError, match=r"(?i)future.*coroutine.*awaitable|awaitable.*required"):
        api.ensure_future(42)


class _CoroutineLike:
    """The Coroutine ABC's methods and nothing else: ``__await__`` returns an object
    that is not an iterator, so it can be stepped (as asyncio's Task does) but not
    ``await``-ed."""

    def send(self, value: object) -> object:
        raise StopIteration("from send")

    def throw(self, *exc: object) -> object:
        raise AssertionError("nothing is thrown in")

    def close(self) -> None:
        pass

    def __await__(self) -> Any:
        return self


async def test_coroutine_like_objects_run_as_tasks_and_in_gather(api: ConcurrencyAPI) -> None:
    async with api.TaskGroup() as tg:
        task = api.ensure_future(_CoroutineLike(), task_group=tg)
        assert isinstance(task, api.Task)
    assert task.result() == "from send"
    assert list(await api.gather(_CoroutineLike(), _CoroutineLike())) == ["from send"] * 2


@pytest.mark.differs
async def test_ensure_future_without_a_group(api: ConcurrencyAPI, column: Column) -> None:
    """asyncio makes an ungrouped task; Trio and AnyIO have no place for one."""

    async def answer() -> int:
        return 42

    outcome: str
    try:
        task = api.ensure_future(answer())
    except RuntimeError as exc:
        assert "task_group" in str(exc)  # noqa: PT017 - which branch runs is the result
        outcome = "RuntimeError"
    else:
        assert await task == 42
        outcome = "ungrouped task"
    assert outcome == expect(
        column,
        {"impl_asyncio": "ungrouped task", "impl_trio": "RuntimeError", "shared": "RuntimeError"},
    )


# -- gather -------------------------------------------------------------------------------


async def test_gather_mixes_coroutines_tasks_and_futures_in_argument_order(
    api: ConcurrencyAPI,
) -> None:
    async def slow(value: str) -> str:
        await anyio.sleep(0.02)
        return value

    async def fast(value: str) -> str:
        return value

    fut = api.Future()
    fut.set_result("future")
    async with api.TaskGroup() as tg:
        task = tg.create_task(fast("task"))
        results = await api.gather(slow("slow coroutine"), task, fut, fast("fast coroutine"))
    # typed as a tuple (typeshed's typing of asyncio.gather), a list at run time
    assert list(results) == ["slow coroutine", "task", "future", "fast coroutine"]
    assert await api.gather() == []


async def test_gather_return_exceptions_returns_them_in_place(api: ConcurrencyAPI) -> None:
    async def fail() -> None:
        raise ValueError("in place")

    async def slow() -> str:
        await anyio.sleep(0.02)
        return "not cancelled"

    cancelled = api.Future()
    cancelled.cancel()
    results = await api.gather(fail(), slow(), cancelled, return_exceptions=True)
    assert isinstance(results[0], ValueError)
    assert results[1] == "not cancelled"
    assert isinstance(results[2], api.CancelledError)


@pytest.mark.differs
async def test_gather_failure_and_the_other_awaitables(api: ConcurrencyAPI, column: Column) -> None:
    """asyncio.gather raises the first error and leaves the others running;
    Trio's and AnyIO's gather cancel them and wait until they have stopped."""
    finished: list[str] = []

    async def fail() -> None:
        await anyio.sleep(0.01)
        raise ValueError("first failure")

    async def slow(name: str) -> None:
        try:
            await anyio.sleep(0.2)
            finished.append(name)
        finally:
            finished.append(f"{name} unwound")

    async with api.TaskGroup() as tg:
        outside = tg.create_task(slow("task passed in"))
        with pytest.raises(ValueError, match="first failure"):
            await api.gather(fail(), slow("coroutine"), outside)
        still_running = not outside.done()
        assert still_running is expect(
            column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
        )
        if still_running:
            assert finished == []
            await outside  # asyncio: the leftovers finish on their own
            await anyio.sleep(0.05)
            assert sorted(finished) == [
                "coroutine",
                "coroutine unwound",
                "task passed in",
                "task passed in unwound",
            ]
        else:
            assert outside.cancelled()
            assert sorted(finished) == ["coroutine unwound", "task passed in unwound"]


@pytest.mark.differs
async def test_gather_with_a_bad_argument(api: ConcurrencyAPI, column: Column) -> None:
    """asyncio.gather has already scheduled the coroutines before the bad one
    when it raises TypeError; Trio's and AnyIO's check every argument first."""
    ran: list[str] = []

    async def record() -> None:
        ran.append("ran")

    with pytest.raises(TypeError):
        await api.gather(record(), 42)  # type: ignore[call-overload]  # the bad input under test
    await anyio.sleep(0.01)
    assert ran == expect(column, {"impl_asyncio": ["ran"], "impl_trio": [], "shared": []})


@pytest.mark.differs
async def test_gather_with_two_simultaneous_failures(api: ConcurrencyAPI, column: Column) -> None:
    """Two coroutines fail in their first step, before either can be cancelled.
    asyncio raises the first and drops the second; the Trio and AnyIO versions
    lose neither (an ExceptionGroup of both)."""

    async def fail(message: str) -> None:
        raise ValueError(message)

    with pytest.raises((ValueError, ExceptionGroup)) as raised:
        await api.gather(fail("one"), fail("two"))
    if isinstance(raised.value, ExceptionGroup):
        messages = sorted(str(e) for e in raised.value.exceptions)
    else:
        messages = [str(raised.value)]
    assert messages == expect(
        column, {"impl_asyncio": ["one"], "impl_trio": ["one", "two"], "shared": ["one", "two"]}
    )


async def test_cancelling_gather_cancels_what_it_runs(api: ConcurrencyAPI) -> None:
    unwound: list[str] = []

    async def slow() -> None:
        try:
            await anyio.sleep(10)
        finally:
            unwound.append("unwound")

    with anyio.move_on_after(0.05) as scope:
        await api.gather(slow(), slow())
    assert scope.cancelled_caught
    await anyio.sleep(0.01)
    assert unwound == ["unwound", "unwound"]
