"""run_in_executor: blocking work on another thread, a Future back — six columns."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

import impl_asyncio
from common.interface import ConcurrencyAPI
from rosetta.columns import Column

from .conftest import expect

pytestmark = pytest.mark.anyio

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")


def _blocking_add(a: int, b: int) -> tuple[int, int]:
    return a + b, threading.get_ident()


@pytest.mark.parametrize("use_default", [True, False], ids=["default", "explicit"])
async def test_returns_a_future_resolved_on_the_loop_thread(
    api: ConcurrencyAPI, use_default: bool
) -> None:
    """The source text: the executor returns a Future, not a Task; another thread does
    the work and the loop thread is told by a callback."""
    loop_thread = threading.get_ident()
    resolved_on: list[int] = []
    with ThreadPoolExecutor(2) as pool:
        fut = api.run_in_executor(None if use_default else pool, _blocking_add, 2, 3)
        assert isinstance(fut, api.Future)  # type: ignore[arg-type]
        assert not isinstance(fut, api.Task)
        fut.add_done_callback(lambda _: resolved_on.append(threading.get_ident()))
        total, worker_thread = await fut
    await anyio.sleep(0.01)
    assert total == 5
    assert worker_thread != loop_thread
    assert resolved_on == [loop_thread]


async def test_exception_from_the_function_arrives_through_the_future(
    api: ConcurrencyAPI,
) -> None:
    def fail() -> None:
        raise OSError("disk on fire")

    fut = api.run_in_executor(None, fail)
    with pytest.raises(OSError, match="disk on fire"):
        await fut
    assert isinstance(fut.exception(), OSError)


@pytest.mark.differs
async def test_contextvars_reach_the_worker_or_not(api: ConcurrencyAPI, column: Column) -> None:
    """asyncio's run_in_executor does not copy the context to the worker;
    Trio's thread API and the shared version do."""
    request_id.set("req-17")
    seen = await api.run_in_executor(None, request_id.get, "<not set>")
    assert seen == expect(
        column, {"impl_asyncio": "<not set>", "impl_trio": "req-17", "shared": "req-17"}
    )


async def test_cancelling_the_future_cancels_work_not_yet_started(api: ConcurrencyAPI) -> None:
    release = threading.Event()
    ran: list[str] = []
    with ThreadPoolExecutor(1) as pool:
        blocker = api.run_in_executor(pool, release.wait, 5)
        queued = api.run_in_executor(pool, ran.append, "queued ran")
        assert queued.cancel() is True
        # The cancellation reaches the executor from a done callback, on the loop's next turn.
        await anyio.sleep(0.01)
        release.set()
        assert await blocker is True
    assert queued.cancelled()
    assert ran == []


async def test_many_calls_resolve_in_any_order(api: ConcurrencyAPI) -> None:
    futures = [api.run_in_executor(None, pow, n, 2) for n in range(200)]
    assert await api.gather(*futures) == [n * n for n in range(200)]


async def _sleepy(seconds: float) -> float:
    await anyio.sleep(seconds)
    return seconds


@pytest.mark.parametrize(
    "fn", [_sleepy, functools.partial(_sleepy, 0)], ids=["coroutine function", "partial of one"]
)
async def test_a_coroutine_function_is_refused(api: ConcurrencyAPI, fn: object) -> None:
    """Running ``async def`` on a thread would only make a coroutine object there, never
    run it: refused with asyncio's own TypeError (uvloop always, asyncio in debug mode)."""
    with pytest.raises(TypeError, match=r"^coroutines cannot be used with run_in_executor\(\)$"):
        api.run_in_executor(None, fn, 0)  # type: ignore[arg-type]  # the bad input under test
    with ThreadPoolExecutor(1) as pool, pytest.raises(TypeError, match="coroutines cannot"):
        api.run_in_executor(pool, fn, 0)  # type: ignore[arg-type]


def test_impl_asyncio_refuses_a_coroutine_function_outside_debug_mode() -> None:
    """asyncio checks only in debug mode; impl_asyncio checks always, as uvloop does."""

    async def main() -> None:
        with pytest.raises(TypeError, match="coroutines cannot be used with run_in_executor"):
            impl_asyncio.run_in_executor(None, _sleepy, 0)

    asyncio.run(main(), debug=False)
