"""Blocking work on another thread, the Trio way, returning a Future.

Trio's own API is ``await trio.to_thread.run_sync(fn)``: the calling task waits,
and nothing like a Future exists. To line up with asyncio's
``run_in_executor`` this returns an :class:`~impl_trio.futures.Future` at once:

* With ``executor=None`` the function runs on Trio's thread cache
  (:func:`trio.lowlevel.start_thread_soon`, what ``to_thread`` uses); with an
  executor, on that executor.
* When the function finishes, the worker thread hands its ``outcome`` to
  :meth:`trio.lowlevel.TrioToken.run_sync_soon`, the one thread-safe way into a
  Trio run, and the run's thread resolves the Future.
* ``contextvars`` are copied to the worker, as ``trio.to_thread.run_sync`` does.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

import outcome
import trio

from .futures import Future

__all__ = ["run_in_executor"]

T = TypeVar("T")


def _resolve(future: Future[T], result: outcome.Outcome[T]) -> None:
    # Runs in the Trio thread. The future may have been cancelled meanwhile.
    if future.done():
        return
    if isinstance(result, outcome.Value):
        future.set_result(result.value)
    elif isinstance(result, outcome.Error):
        future.set_exception(result.error)


def run_in_executor(executor: Executor | None, fn: Callable[..., T], /, *args: Any) -> Future[T]:
    """Run ``fn(*args)`` on another thread; return a Future of its result.

    Error handling
    --------------
    An exception raised by *fn* is set on the Future. Cancelling the Future
    cancels work that has not started on an executor; a running thread cannot
    be interrupted, and its result is dropped. If the Trio run has ended when
    the thread finishes, the result has nowhere to go and is dropped too.
    A coroutine function (or a coroutine) raises :exc:`TypeError` at once, as
    asyncio does in debug mode and uvloop always: on a thread it would only make a
    coroutine object that nothing awaits.
    """
    if inspect.iscoroutine(fn) or inspect.iscoroutinefunction(fn):
        raise TypeError("coroutines cannot be used with run_in_executor()")
    future: Future[T] = Future()
    token = trio.lowlevel.current_trio_token()
    call = functools.partial(contextvars.copy_context().run, fn, *args)

    def deliver(result: outcome.Outcome[T]) -> None:  # in the worker thread
        with contextlib.suppress(trio.RunFinishedError):  # the run has ended: drop it
            token.run_sync_soon(_resolve, future, result)

    if executor is None:
        trio.lowlevel.start_thread_soon(call, deliver, name=f"run_in_executor {fn!r}")
        return future

    work = executor.submit(call)

    def on_work_done(work: concurrent.futures.Future[T]) -> None:  # in the worker thread
        if work.cancelled():
            return
        exc = work.exception()
        deliver(outcome.Error(exc) if exc is not None else outcome.Value(work.result()))

    def on_future_done(future: Future[T]) -> None:
        if future.cancelled():
            work.cancel()

    work.add_done_callback(on_work_done)
    future.add_done_callback(on_future_done)
    return future
