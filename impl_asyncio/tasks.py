"""Tasks, the asyncio way: :class:`asyncio.Task`, :class:`asyncio.TaskGroup`,
``ensure_future`` and ``gather`` from the standard library.

* A Task is a Future that drives a coroutine (``isinstance(task, Future)``).
  Its result can only come from the coroutine: ``set_result`` and
  ``set_exception`` raise :exc:`RuntimeError`, and have since Python 3.7
  (bpo-32363), not 3.8 as the source text says.
* ``task.cancel()`` throws :exc:`CancelledError` into the coroutine at its next
  ``await``; ``finally`` blocks run, and awaiting the task raises it again.
  Cancellation is edge-triggered: delivered once, and a coroutine may catch it
  and go on.
* Cancelling a task that awaits a bare Future cancels that Future too.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Sequence
from typing import Any, Literal, TypeVar, overload

__all__ = ["Task", "TaskGroup", "ensure_future", "gather"]

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")

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


# Typed as typeshed types asyncio.gather: a tuple per arity, so that unpacking and
# indexing keep each awaitable's type. The value is a list, as asyncio's is.
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[T1], /, *, return_exceptions: Literal[False] = False
) -> tuple[T1]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[T1], aw2: Awaitable[T2], /, *, return_exceptions: Literal[False] = False
) -> tuple[T1, T2]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    /,
    *,
    return_exceptions: Literal[False] = False,
) -> tuple[T1, T2, T3]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    /,
    *,
    return_exceptions: Literal[False] = False,
) -> tuple[T1, T2, T3, T4]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    aw5: Awaitable[T5],
    /,
    *,
    return_exceptions: Literal[False] = False,
) -> tuple[T1, T2, T3, T4, T5]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    aw5: Awaitable[T5],
    aw6: Awaitable[T6],
    /,
    *,
    return_exceptions: Literal[False] = False,
) -> tuple[T1, T2, T3, T4, T5, T6]: ...
@overload
async def gather(*aws: Awaitable[T], return_exceptions: Literal[False] = False) -> list[T]: ...  # type: ignore[overload-overlap]
@overload
async def gather(
    aw1: Awaitable[T1], /, *, return_exceptions: bool
) -> tuple[T1 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[T1], aw2: Awaitable[T2], /, *, return_exceptions: bool
) -> tuple[T1 | BaseException, T2 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[T1], aw2: Awaitable[T2], aw3: Awaitable[T3], /, *, return_exceptions: bool
) -> tuple[T1 | BaseException, T2 | BaseException, T3 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    /,
    *,
    return_exceptions: bool,
) -> tuple[T1 | BaseException, T2 | BaseException, T3 | BaseException, T4 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    aw5: Awaitable[T5],
    /,
    *,
    return_exceptions: bool,
) -> tuple[
    T1 | BaseException,
    T2 | BaseException,
    T3 | BaseException,
    T4 | BaseException,
    T5 | BaseException,
]: ...
@overload
async def gather(
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    aw5: Awaitable[T5],
    aw6: Awaitable[T6],
    /,
    *,
    return_exceptions: bool,
) -> tuple[
    T1 | BaseException,
    T2 | BaseException,
    T3 | BaseException,
    T4 | BaseException,
    T5 | BaseException,
    T6 | BaseException,
]: ...
@overload
async def gather(*aws: Awaitable[T], return_exceptions: bool) -> list[T | BaseException]: ...


async def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> Sequence[Any]:
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
