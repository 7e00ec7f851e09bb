"""Blocking work on another thread, backend-agnostic, returning a Future.

AnyIO's own API is ``await anyio.to_thread.run_sync(fn)``: the calling task
waits. asyncio's ``run_in_executor`` returns a Future at once instead, so this one is
built from a ``concurrent.futures`` executor and AnyIO's thread-safe way back
into the event loop:

* The function runs on *executor*, or with ``None`` on a thread pool this
  module keeps (AnyIO's worker threads can only be reached by awaiting).
* When it finishes, the worker thread calls the backend's ``run_sync_soon``
  through the loop's :class:`anyio.lowlevel.EventLoopToken` (``call_soon_threadsafe``
  on asyncio, ``TrioToken.run_sync_soon`` on Trio); the loop thread resolves the
  Future.
* ``contextvars`` are copied to the worker, as ``anyio.to_thread.run_sync`` and
  ``asyncio.to_thread`` do, and unlike asyncio's ``run_in_executor``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

import anyio

from .futures import Future

__all__ = ["run_in_executor"]

T = TypeVar("T")

_default_executor: ThreadPoolExecutor | None = None
_default_executor_lock = threading.Lock()


def _get_default_executor() -> ThreadPoolExecutor:
    global _default_executor
    with _default_executor_lock:
        if _default_executor is None:
            # The size asyncio's default executor has.
            workers = min(32, (os.cpu_count() or 1) + 4)
            _default_executor = ThreadPoolExecutor(workers, thread_name_prefix="shared-executor")
        return _default_executor


def _resolve(future: Future[T], work: concurrent.futures.Future[T]) -> None:
    # Runs in the event loop thread. The future may have been cancelled meanwhile.
    if future.done():
        return
    exc = work.exception()
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(work.result())


def run_in_executor(executor: Executor | None, fn: Callable[..., T], /, *args: Any) -> Future[T]:
    """Run ``fn(*args)`` on another thread; return a Future of its result.

    Error handling
    --------------
    An exception raised by *fn* is set on the Future. Cancelling the Future
    cancels work that has not started; a running thread cannot be interrupted,
    and its result is dropped. If the event loop has stopped when the thread
    finishes, the result has nowhere to go and is dropped too.
    A coroutine function (or a coroutine) raises :exc:`TypeError` at once, as
    asyncio does in debug mode and uvloop always: on a thread it would only make a
    coroutine object that nothing awaits.
    """
    if inspect.iscoroutine(fn) or inspect.iscoroutinefunction(fn):
        raise TypeError("coroutines cannot be used with run_in_executor()")
    future: Future[T] = Future()
    token = future._token
    pool = executor if executor is not None else _get_default_executor()
    work = pool.submit(functools.partial(contextvars.copy_context().run, fn, *args))

    def on_work_done(work: concurrent.futures.Future[T]) -> None:  # in the worker thread
        if work.cancelled():
            return
        with contextlib.suppress(anyio.RunFinishedError):  # the loop has stopped: drop it
            token.backend_class.run_sync_soon(_resolve, (future, work), token.native_token)

    def on_future_done(future: Future[T]) -> None:
        if future.cancelled():
            work.cancel()

    work.add_done_callback(on_work_done)
    future.add_done_callback(on_future_done)
    return future
