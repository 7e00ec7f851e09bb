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
  awaits again is cancelled again. Siblings are not affected. A coroutine that
  returns before reaching a checkpoint has finished: its result stands.
* A task whose coroutine lets a cancelled Future's :exc:`CancelledError` out
  ends CANCELLED, and its group does not count it as a failure (asyncio's rule).
* A task that fails while a scope around it is being cancelled records its
  error without the ``trio.Cancelled`` (which goes on unwinding its scope).
* ``gather`` runs everything in a nursery it owns, so nothing outlives the call.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Coroutine, Generator, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import outcome
import trio

from common.coroutines import drive, is_coroutine

from .futures import CancelledError, Future, _State

__all__ = ["Task", "TaskGroup", "ensure_future", "gather"]

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")

# asyncio's TaskGroup.create_task closes a coroutine it refuses from 3.13 on (gh-115957);
# before, the caller is left to close it. The TaskGroup follows the running Python.
_CLOSE_REFUSED_CORO = sys.version_info >= (3, 13)


def _errors_besides_cancelled(exc: BaseException) -> BaseException | None:
    """*exc* without the ``trio.Cancelled`` it may hold; None if it is only that.

    A task that fails while a cancel scope around it is cancelled ends with a group of
    its error and ``Cancelled``. The ``Cancelled`` belongs to the scope that is unwinding
    and is re-raised to it; the task's own outcome is the error alone, so that
    ``except* SomeError`` around ``await task`` does not let a stale ``Cancelled`` out.
    """
    if isinstance(exc, trio.Cancelled):
        return None
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(trio.Cancelled)[1]
    return exc


class Task(Future[T]):
    """A Future whose result is that of a coroutine running in a nursery.

    Made by :meth:`TaskGroup.create_task` (or :func:`ensure_future`), never directly.
    """

    __slots__ = ("_coro", "_name", "_scope")

    def __init__(self, coro: Coroutine[Any, Any, T], *, name: object = None) -> None:
        super().__init__()
        self._coro = coro
        if name is None:
            name = getattr(coro, "__qualname__", type(coro).__qualname__)
        self._name = str(name)
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

    def __await__(self) -> Generator[Any, None, T]:
        # Awaiting itself would wait forever: asyncio throws this RuntimeError into the
        # coroutine instead. The coroutine is running right now only if it is the awaiter.
        if getattr(self._coro, "cr_running", False):
            raise RuntimeError(f"Task cannot await on itself: {self!r}")
        return super().__await__()

    async def _run(self) -> None:
        with self._scope:
            try:
                value = await drive(self._coro)
            except CancelledError as exc:
                # The coroutine let a cancelled Future's CancelledError out: asyncio counts
                # that task as cancelled, not failed, and its group takes no notice.
                self._end_cancelled(exc.args[0] if exc.args else None, exc.__traceback__)
                return
            except BaseException as exc:
                error = _errors_besides_cancelled(exc)
                if error is None:
                    self._end_cancelled(self._cancel_message, exc.__traceback__)
                else:
                    self._finish(_State.FINISHED, outcome.Error(error))
                    self._tb = error.__traceback__
                raise  # to the scope (our own cancel) or the nursery (errors, outer cancels)
            self._finish(_State.FINISHED, outcome.Value(value))

    def _end_cancelled(self, msg: Any | None, tb: TracebackType | None) -> None:
        # Future.set_result and cancel are refused or redirected on a Task; the task
        # itself goes through _finish.
        self._cancel_message = msg
        self._finish(_State.CANCELLED, None)
        self._tb = tb  # where the coroutine was interrupted, for the first reader

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state.value} name={self._name!r}>"


class TaskGroup:
    """A nursery with asyncio's ``create_task``: ``async with TaskGroup() as tg``.

    Error handling
    --------------
    As with a nursery (and ``asyncio.TaskGroup``): when a task raises, the other
    tasks are cancelled and the group raises an :exc:`ExceptionGroup` of the
    errors when the ``async with`` block exits. A task that ends cancelled is
    not an error. A :exc:`CancelledError` out of the block (an awaited Future was
    cancelled) cancels the tasks and is raised again once they stop, unless one
    failed, as in asyncio. As ``asyncio.TaskGroup`` does, :meth:`create_task` raises
    :exc:`RuntimeError` when the group has not been entered or is finished, and
    a group is entered once. A group that is shutting down (cancelled after a
    failure) still starts a task, as a nursery does, and the task is cancelled
    at its first checkpoint; asyncio refuses it (``RuntimeError``), which is
    safe there only because asyncio cancels a woken task as it resumes, where
    Trio lets it run on to its next checkpoint.
    """

    def __init__(self) -> None:
        self._nursery_manager = trio.open_nursery()
        self._nursery: trio.Nursery | None = None
        self._entered = False
        self._exiting = False

    async def __aenter__(self) -> TaskGroup:
        if self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has already been entered")
        self._entered = True
        self._nursery = await self._nursery_manager.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self._exiting = True
        try:
            if isinstance(exc, CancelledError) and self._nursery is not None:
                # asyncio: a CancelledError out of the body (an awaited Future was
                # cancelled) is a cancellation, not an error: the tasks are cancelled, and
                # it goes on once they have stopped, unless one of them failed (errors
                # come first).
                self._nursery.cancel_scope.cancel()
                await self._nursery_manager.__aexit__(None, None, None)
                return False
            return await self._nursery_manager.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            if group.split(trio.Cancelled)[1] is not None:
                raise
            # Only cancellations: one Cancelled goes on to the scope that owns it, as out
            # of asyncio's TaskGroup and AnyIO's (which does exactly this on Trio).
            raise trio.Cancelled._create() from group
        finally:
            del exc, tb

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: object = None) -> Task[T]:
        """Start *coro* as a task of this group and return its :class:`Task`."""
        if not is_coroutine(coro):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        nursery = self._nursery
        refusal = None
        if nursery is None:
            refusal = "has not been entered"
        elif self._exiting and not nursery.child_tasks:
            refusal = "is finished"
        if refusal is None:
            assert nursery is not None
            task = Task(coro, name=name)
            try:
                nursery.start_soon(task._run, name=task.get_name())
            except RuntimeError:  # the nursery has closed
                refusal = "is finished"
            else:
                return task
        if _CLOSE_REFUSED_CORO:
            coro.close()
        raise RuntimeError(f"TaskGroup {self!r} {refusal}")

    def __repr__(self) -> str:
        if self._nursery is None:
            return "<TaskGroup new>"
        state = "cancelling" if self._nursery.cancel_scope.cancel_called else "entered"
        return f"<TaskGroup {state}>"


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
    if is_coroutine(obj):
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
    task of its own (in a nursery that ``gather`` owns). An awaitable given more
    than once runs once; each of its places gets its result.

    Error handling
    --------------
    A Future of another ``trio.run`` raises :exc:`ValueError` and anything not
    awaitable :exc:`TypeError`, both before anything starts.
    Without *return_exceptions*, the first exception cancels everything else —
    the nursery's tasks, and the Futures and Tasks that were passed in, which
    are waited for until they have stopped — and is raised. If more than one
    awaitable failed before the cancellation landed, they are all raised
    together as an :exc:`ExceptionGroup`, so none is lost. With
    *return_exceptions*, exceptions (including :exc:`CancelledError` of a
    cancelled Future) are returned in place of results and nothing is
    cancelled. Nothing is left running when ``gather`` returns or raises.
    """
    token = trio.lowlevel.current_trio_token()
    # One task per distinct awaitable, as asyncio.gather does: the same coroutine given
    # twice runs once, and both places get its result.
    targets: list[Awaitable[Any]] = []
    places: list[int] = []  # argument i's result is that of targets[places[i]]
    seen: dict[int, int] = {}
    for aw in aws:
        place = seen.get(id(aw))
        if place is None:
            problem = None
            if isinstance(aw, Future):
                if aw._token is not token:
                    problem = ValueError(
                        f"gather() got {aw!r}, which belongs to another trio.run(); "
                        f"every Future must belong to this one"
                    )
                target: Awaitable[Any] = aw
            elif is_coroutine(aw):
                target = drive(aw)  # a coroutine-like object is stepped as a Task would
            elif inspect.isawaitable(aw):
                target = _await(aw)
            else:
                problem = TypeError(
                    f"gather() accepts Futures, Tasks, coroutines and awaitables; "
                    f"got {type(aw).__name__}"
                )
            if problem is not None:
                for earlier in aws:  # nothing has started: leave no coroutine behind
                    if earlier is aw:
                        break
                    if is_coroutine(earlier):
                        earlier.close()
                for wrapper in targets:
                    if inspect.iscoroutine(wrapper):
                        wrapper.close()
                raise problem
            place = seen[id(aw)] = len(targets)
            targets.append(target)
        places.append(place)

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
    return [results[place] for place in places]
