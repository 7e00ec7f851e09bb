"""Blocking work on a thread pool, the asyncio way: ``loop.run_in_executor``.

The call returns an :class:`asyncio.Future`, not a Task: no coroutine runs. The
executor's worker thread runs the function; when it finishes, the
``concurrent.futures.Future`` it completed calls back into the loop thread with
``loop.call_soon_threadsafe``, which resolves the asyncio Future
(``asyncio.futures.wrap_future``).

``contextvars`` are **not** copied to the worker: the function sees the worker
thread's own context. (``asyncio.to_thread`` copies them; ``run_in_executor``
never has.)
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

__all__ = ["run_in_executor"]

T = TypeVar("T")


def run_in_executor(
    executor: Executor | None, fn: Callable[..., T], /, *args: Any
) -> asyncio.Future[T]:
    """Run ``fn(*args)`` in *executor* (``None``: the loop's default thread pool).

    Error handling
    --------------
    An exception raised by *fn* is set on the returned Future and raised where
    it is awaited. Cancelling the Future cancels the work only if it has not
    started; a running thread cannot be interrupted. A coroutine function (or a
    coroutine) raises :exc:`TypeError` at once: on a thread it would only make a
    coroutine object that nothing awaits.
    """
    if inspect.iscoroutine(fn) or inspect.iscoroutinefunction(fn):
        # asyncio's own message; asyncio checks only in debug mode, uvloop always.
        raise TypeError("coroutines cannot be used with run_in_executor()")
    return asyncio.get_running_loop().run_in_executor(executor, fn, *args)
