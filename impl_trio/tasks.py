"""Tasks, the Trio way: a task is a nursery child with its own cancel scope.

Trio has no Task object and no ``create_task``: ``nursery.start_soon`` returns
nothing, and results travel by channels or shared variables. To line up with
asyncio, :class:`Task` is a :class:`~impl_trio.futures.Future` whose outcome is
the coroutine's, and :class:`TaskGroup` is a nursery with ``create_task``.

* ``set_result`` / ``set_exception`` on a Task raise :exc:`RuntimeError`, as in
  asyncio: only the coroutine decides the result.
* ``task.cancel()`` cancels the task's own :class:`trio.CancelScope`: the
  coroutine sees :class:`trio.Cancelled` at its next checkpoint, its ``finally``
  blocks run, and awaiting the task raises :exc:`CancelledError`. Trio
  cancellation is level-triggered: a coroutine that catches ``Cancelled`` and
  awaits again is cancelled again. Siblings are not affected.
* ``gather`` runs everything in a nursery it owns, so nothing outlives the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Coroutine, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import outcome
import trio

from .futures import Future, _State

__all__ = ["Task", "TaskGroup", "ensure_future", "gather"]

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")


def _is_cancellation(exc: BaseException) -> bool:
    if isinstance(exc, trio.Cancelled):
        return True
    # A nursery inside the coroutine reports its children's Cancelled as a group.
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(trio.Cancelled)[1] is None
    return False


class Task(Future[T]):
    """A Future whose result is that of a coroutine running in a nursery.

    Made by :meth:`TaskGroup.create_task` (or :func:`ensure_future`), never directly.
    """

    __slots__ = ("_coro", "_name", "_scope")

    def __init__(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> None:
        super().__init__()
        self._coro = coro
        self._name = name if name is not None else getattr(coro, "__qualname__", repr(coro))
        self._scope = trio.CancelScope()

    def get_name(self) -> str:
        return self._name

    def set_result(self, result: T, /) -> None:
        raise RuntimeError("Task does not support set_result operation")

    def set_exception(self, exception: BaseException | type[BaseException], /) -> None:
        raise RuntimeError("Task does not support set_exception operation")

    def cancel(self, msg: Any | None = None) -> bool:
        """Request cancellation; the task is CANCELLED once its coroutine has unwound."""
        if self.done():
            return False
        self._cancel_message = msg
        self._scope.cancel(reason=None if msg is None else str(msg))
        return True

    async def _run(self) -> None:
        with self._scope:
            try:
                value = await self._coro
            except BaseException as exc:
                if _is_cancellation(exc):
                    Future.cancel(self, self._cancel_message)
                else:
                    self._finish_task(outcome.Error(exc))
                raise  # to the scope (our own cancel) or the nursery (errors, outer cancels)
            self._finish_task(outcome.Value(value))

    def _finish_task(self, result: outcome.Value[T] | outcome.Error) -> None:
        # Future.set_result is refused on a Task; the task itself goes through _finish.
        self._finish(_State.FINISHED, result)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state.value} name={self._name!r}>"


class TaskGroup:
    """A nursery with asyncio's ``create_task``: ``async with TaskGroup() as tg``.

    Error handling
    --------------
    As with a nursery (and ``asyncio.TaskGroup``): when a task raises, the other
    tasks are cancelled and the group raises an :exc:`ExceptionGroup` of the
    errors when the ``async with`` block exits.
    """

    def __init__(self) -> None:
        self._nursery_manager = trio.open_nursery()
        self._nursery: trio.Nursery | None = None

    async def __aenter__(self) -> TaskGroup:
        self._nursery = await self._nursery_manager.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return await self._nursery_manager.__aexit__(exc_type, exc, tb)

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> Task[T]:
        """Start *coro* as a task of this group and return its :class:`Task`."""
        if not inspect.iscoroutine(coro):
            raise TypeError(f"create_task() needs a coroutine, got {type(coro).__name__}")
        if self._nursery is None:
            coro.close()
            raise RuntimeError("TaskGroup has not been entered: use 'async with TaskGroup()'")
        task = Task(coro, name=name)
        try:
            self._nursery.start_soon(task._run, name=task.get_name())
        except RuntimeError:
            coro.close()  # the nursery is closed: don't leave a never-awaited coroutine
            raise
        return task


async def _await(aw: Awaitable[T]) -> T:
    return await aw


def ensure_future(obj: Any, /, *, task_group: TaskGroup | None = None) -> Future[Any]:
    """Return *obj* if it is a Future or Task, else wrap it in a new Task of *task_group*.

    Error handling
    --------------
    Anything that is not a Future, a coroutine or an awaitable raises
    :exc:`TypeError`. A coroutine without *task_group* raises
    :exc:`RuntimeError`: every Trio task lives in a nursery, so there is no
    loop-wide place to put it (asyncio makes an ungrouped task here). The
    coroutine is closed, so no "never awaited" warning follows.
    """
    if isinstance(obj, Future):
        return obj
    if inspect.iscoroutine(obj):
        coro: Coroutine[Any, Any, Any] = obj
    elif inspect.isawaitable(obj):
        coro = _await(obj)
    else:
        raise TypeError(
            f"ensure_future() accepts a Future, a Task, a coroutine or an awaitable; "
            f"got {type(obj).__name__}"
        )
    if task_group is None:
        coro.close()
        raise RuntimeError(
            "ensure_future(coroutine) needs task_group=: a Trio task must run in a nursery"
        )
    return task_group.create_task(coro)


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
    """Run the awaitables concurrently in a nursery; results in argument order.

    As asyncio's ``gather`` does with ``ensure_future``, every argument is
    coerced first: a Future or Task is waited for as it is, a coroutine gets a
    task of its own (in a nursery that ``gather`` owns).

    Error handling
    --------------
    Without *return_exceptions*, the first exception cancels everything else —
    the nursery's tasks, and the Futures and Tasks that were passed in, which
    are waited for until they have stopped — and is raised. If more than one
    awaitable failed before the cancellation landed, they are all raised
    together as an :exc:`ExceptionGroup`, so none is lost. With
    *return_exceptions*, exceptions (including :exc:`CancelledError` of a
    cancelled Future) are returned in place of results and nothing is
    cancelled. Nothing is left running when ``gather`` returns or raises.
    """
    targets: list[Awaitable[Any]] = []
    for aw in aws:
        if isinstance(aw, Future) or inspect.iscoroutine(aw):
            targets.append(aw)
        elif inspect.isawaitable(aw):
            targets.append(_await(aw))
        else:
            for target in targets:
                if inspect.iscoroutine(target):
                    target.close()
            raise TypeError(
                f"gather() accepts Futures, Tasks, coroutines and awaitables; "
                f"got {type(aw).__name__}"
            )

    results: list[Any] = [None] * len(targets)
    errors: list[Exception] = []

    async def settle(index: int, target: Awaitable[Any]) -> None:
        try:
            results[index] = await target
        except Exception as exc:  # trio.Cancelled is a BaseException: it unwinds as it should
            if return_exceptions:
                results[index] = exc
            else:
                errors.append(exc)
                nursery.cancel_scope.cancel()
        finally:
            if isinstance(target, Future) and not target.done():
                target.cancel()
                if isinstance(target, Task):
                    with trio.CancelScope(shield=True):
                        await target._wait()

    async with trio.open_nursery() as nursery:
        for index, target in enumerate(targets):
            nursery.start_soon(settle, index, target)

    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup(f"gather(): {len(errors)} awaitables failed", errors)
    return results
