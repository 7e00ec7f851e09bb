"""Tasks, the asyncio way: :class:`asyncio.Task`, :class:`asyncio.TaskGroup`,
``ensure_future`` and ``gather`` from the standard library.

* A Task is a Future that drives a coroutine (``isinstance(task, Future)``).
  Its result can only come from the coroutine: ``set_result`` and
  ``set_exception`` raise :exc:`RuntimeError`, and have since Python 3.7
  (bpo-32363), not 3.8 as some books say.
* ``task.cancel()`` throws :exc:`CancelledError` into the coroutine at its next
  ``await``; ``finally`` blocks run, and awaiting the task raises it again.
  Cancellation is edge-triggered: delivered once, and a coroutine may catch it
  and go on.
* Cancelling a task that awaits a bare Future cancels that Future too.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["Task", "TaskGroup", "ensure_future", "gather"]

T = TypeVar("T")

Task = asyncio.Task

# asyncio.TaskGroup (Python 3.11): a failing child cancels the others and the
# group raises an ExceptionGroup on exit.
TaskGroup = asyncio.TaskGroup


async def _await(aw: Awaitable[T]) -> T:
    return await aw


def ensure_future(
    obj: Awaitable[Any], /, *, task_group: asyncio.TaskGroup | None = None
) -> asyncio.Future[Any]:
    """Return *obj* if it is already a Future or Task, else wrap it in a new Task.

    With *task_group*, a coroutine becomes a task of that group (another
    awaitable too, wrapped in a coroutine); without, an ungrouped task of the
    running loop (``asyncio.ensure_future``), which
    nothing waits for unless you keep a reference and await it.

    Error handling
    --------------
    Anything that is not awaitable raises :exc:`TypeError` naming the accepted
    kinds (a Future, a coroutine or an awaitable).
    """
    if task_group is not None and not asyncio.isfuture(obj):
        if asyncio.iscoroutine(obj):
            return task_group.create_task(obj)
        if inspect.isawaitable(obj):  # as asyncio.ensure_future does, in a coroutine
            return task_group.create_task(_await(obj))
    return asyncio.ensure_future(obj)


async def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> list[Any]:
    """``asyncio.gather``: run the awaitables concurrently, results in argument order.

    Every argument goes through ``ensure_future``: futures and tasks are used
    as they are, coroutines become new tasks.

    Error handling
    --------------
    Without *return_exceptions*, the first exception propagates at once and the
    other awaitables **keep running**: ``gather`` does not cancel them (unless
    ``gather`` itself is cancelled). With *return_exceptions*, exceptions are
    returned in place of results.
    """
    return await asyncio.gather(*aws, return_exceptions=return_exceptions)
