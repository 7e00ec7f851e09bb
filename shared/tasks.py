"""Tasks, backend-agnostic: AnyIO task groups and :class:`anyio.TaskHandle`.

``TaskGroup.create_task`` returns AnyIO's ``TaskHandle`` (AnyIO ≥ 4.14); here it
is wrapped in a :class:`Task`, which is a :class:`~shared.futures.Future` (the
source text's rule: a Task *is* a Future). Where the interfaces differ:

* ``TaskHandle.status`` has a CANCELLING state (cancel requested, coroutine
  still unwinding); a Task reports it as not done, as asyncio does.
* Awaiting a failed ``TaskHandle`` raises ``TaskFailed`` *from* the error;
  awaiting a failed Task raises the error itself, as asyncio does, so
  ``except ValueError`` around ``await task`` works on every backend.
* ``set_result`` / ``set_exception`` on a Task raise :exc:`RuntimeError`
  (asyncio since 3.7): only the coroutine decides the result.
* ``task.cancel()`` cancels the handle's cancel scope: the coroutine sees the
  backend's cancellation at its next checkpoint, and again at every later one
  (level-triggered, as in Trio, on asyncio too); siblings are not affected. A
  coroutine that returns before reaching a checkpoint has finished: its result
  stands (AnyIO's ``TaskHandle`` says FINISHED too).
* A task whose coroutine lets a cancelled Future's :exc:`CancelledError` out
  ends CANCELLED, and its group does not count it as a failure (asyncio's rule).
* A task that fails while a scope around it is being cancelled records its
  error without the backend's cancellation exception, which goes on unwinding
  its scope.
* ``TaskGroup.create_task`` refuses a group that is not entered or is finished
  with asyncio's :exc:`RuntimeError`. In a group shutting down after a failure
  it starts the task, which is cancelled at its first checkpoint (AnyIO's and
  Trio's rule; asyncio refuses it).

``gather`` is not :func:`anyio.gather`: that one takes only coroutines, returns a
tuple and raises the task group's ExceptionGroup. asyncio's ``gather`` takes
Futures and Tasks too, has ``return_exceptions`` and raises the first error
itself, so it is built here on a task group of its own.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Coroutine, Generator, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import anyio
import anyio.abc
from anyio.lowlevel import EventLoopToken

from common.coroutines import drive, is_coroutine

from .futures import _CANCELLED, _FAILED, _FINISHED, CancelledError, Future, _token

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
    """*exc* without the backend's cancellation exception; None if it is only that.

    A task that fails while a cancel scope around it is cancelled can end with a
    group of its error and the cancellation. The cancellation belongs to the scope
    that is unwinding and is re-raised to it; the task's own outcome is the error
    alone, so ``except* SomeError`` around ``await task`` lets no stale one out.
    """
    cancelled = anyio.get_cancelled_exc_class()
    if isinstance(exc, cancelled):
        return None
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(cancelled)[1]
    return exc


class Task(Future[T]):
    """A Future whose result is that of a coroutine running in an AnyIO task group.

    Made by :meth:`TaskGroup.create_task` (or :func:`ensure_future`), never directly.
    It waits on its ``TaskHandle`` rather than on an Event of its own, so a task
    costs one AnyIO task and this object, nothing more.
    """

    __slots__ = ("_handle", "_name")

    _handle: anyio.TaskHandle[None]

    def __init__(self, token: EventLoopToken, name: str) -> None:
        self._init_state(token)
        self._name = name

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
        self._handle.cancel()
        return True

    def __await__(self) -> Generator[Any, None, T]:
        # Awaiting itself would wait forever: asyncio throws this RuntimeError into the
        # coroutine instead. The handle's coroutine (_run, and the task's coroutine inside
        # it) is running right now only if the awaiter is the task itself.
        if getattr(self._handle.coro, "cr_running", False):
            raise RuntimeError(f"Task cannot await on itself: {self!r}")
        return super().__await__()

    def _wait_done(self) -> Any:
        return self._handle.wait()

    # The handle runs _run(coro), not coro: the outcome is recorded here, in asyncio's
    # terms (the original exception, not TaskFailed from it), and the callbacks fire.
    async def _run(self, coro: Coroutine[Any, Any, T]) -> None:
        try:
            value = await coro
        except CancelledError as exc:
            # The coroutine let a cancelled Future's CancelledError out: asyncio counts
            # that task as cancelled, not failed, and its group takes no notice.
            self._state = _CANCELLED
            self._cancel_message = exc.args[0] if exc.args else None
            self._tb = exc.__traceback__
        except BaseException as exc:
            error = _errors_besides_cancelled(exc)
            if error is None:
                self._state = _CANCELLED
                self._tb = exc.__traceback__  # where the coroutine was interrupted
            else:
                self._state = _FAILED
                self._error = error
                self._tb = error.__traceback__
            raise  # to the task group, which cancels the siblings
        else:
            self._state = _FINISHED
            self._value = value
        finally:
            if self._callbacks:
                self._schedule_callbacks()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state.name.lower()} name={self._name!r}>"


class TaskGroup:
    """An AnyIO task group with asyncio's ``create_task``: ``async with TaskGroup() as tg``.

    Error handling
    --------------
    As with every AnyIO task group (and ``asyncio.TaskGroup``): when a task
    raises, the other tasks are cancelled and the group raises an
    :exc:`ExceptionGroup` of the errors when the ``async with`` block exits. A
    task that ends cancelled is not an error. A :exc:`CancelledError` out of the
    block (an awaited Future was cancelled) cancels the tasks and is raised again
    once they stop, unless one failed, as in asyncio. As ``asyncio.TaskGroup`` does,
    :meth:`create_task` raises :exc:`RuntimeError` when the group has not been
    entered or is finished, and a group is entered once. A group that is
    shutting down (cancelled after a failure) still starts a task, as AnyIO's
    does, and the task is cancelled at its first checkpoint; asyncio refuses it,
    which is safe there only because asyncio cancels a woken task as it resumes,
    where AnyIO (like Trio) lets it run on to its next checkpoint.
    """

    def __init__(self) -> None:
        self._group: anyio.abc.TaskGroup = anyio.create_task_group()
        self._token: EventLoopToken | None = None
        self._entered = False

    async def __aenter__(self) -> TaskGroup:
        if self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has already been entered")
        self._entered = True
        await self._group.__aenter__()
        self._token = _token()  # looked up once, shared by every task of the group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        if isinstance(exc, CancelledError):
            # asyncio: a CancelledError out of the body (an awaited Future was cancelled)
            # is a cancellation, not an error: the tasks are cancelled, and it goes on
            # once they have stopped, unless one of them failed (errors come first).
            self._group.cancel_scope.cancel()
            await self._group.__aexit__(None, None, None)
            return False
        return await self._group.__aexit__(exc_type, exc, tb)

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: object = None) -> Task[T]:
        """Start *coro* as a task of this group and return its :class:`Task`."""
        if not is_coroutine(coro):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        refusal = "has not been entered"
        if self._token is not None:
            if name is None:
                name = getattr(coro, "__qualname__", type(coro).__qualname__)
            task: Task[T] = Task(self._token, str(name))
            try:
                task._handle = self._group.create_task(task._run(drive(coro)), name=task._name)
            except RuntimeError:  # the AnyIO group has finished (its tasks are all done)
                refusal = "is finished"
            else:
                return task
        if _CLOSE_REFUSED_CORO:
            coro.close()
        raise RuntimeError(f"TaskGroup {self!r} {refusal}")

    def __repr__(self) -> str:
        if self._token is None:
            return "<TaskGroup new>"
        state = "cancelling" if self._group.cancel_scope.cancel_called else "entered"
        return f"<TaskGroup {state}>"


async def _await(aw: Awaitable[T]) -> T:
    return await aw


def ensure_future(obj: Any, /, *, task_group: TaskGroup | None = None) -> Future[Any]:
    """Return *obj* if it is a Future or Task, else wrap it in a new Task of *task_group*.

    Error handling
    --------------
    Anything that is not a Future, a coroutine or an awaitable raises
    :exc:`TypeError`. A coroutine without *task_group* raises
    :exc:`RuntimeError`: an AnyIO task lives in a task group, so there is no
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
            "ensure_future(coroutine) needs task_group=: an AnyIO task must run in a task group"
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
    """Run the awaitables concurrently in a task group; results in argument order.

    As asyncio's ``gather`` does with ``ensure_future``, every argument is
    coerced first: a Future or Task is waited for as it is, a coroutine gets a
    task of its own (in a task group that ``gather`` owns). An awaitable given
    more than once runs once; each of its places gets its result.

    Error handling
    --------------
    A Future of another event loop run raises :exc:`ValueError` and anything
    not awaitable :exc:`TypeError`, both before anything starts.
    Without *return_exceptions*, the first exception cancels everything else —
    the group's tasks, and the Futures and Tasks that were passed in, which are
    waited for until they have stopped — and is raised. If more than one
    awaitable failed before the cancellation landed, they are all raised
    together as an :exc:`ExceptionGroup`, so none is lost. With
    *return_exceptions*, exceptions (including :exc:`CancelledError` of a
    cancelled Future) are returned in place of results and nothing is
    cancelled. Nothing is left running when ``gather`` returns or raises.
    """
    token = _token()
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
                if aw._token.native_token is not token.native_token:
                    problem = ValueError(
                        f"gather() got {aw!r}, which belongs to another event loop run; "
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
        except Exception as exc:  # the backend's cancellation is a BaseException: it unwinds
            if return_exceptions:
                results[index] = exc
            else:
                errors.append(exc)
                group.cancel_scope.cancel()
        finally:
            if isinstance(target, Future) and not target.done():
                target.cancel()
                if isinstance(target, Task):
                    with anyio.CancelScope(shield=True):
                        await target._wait()

    async with anyio.create_task_group() as group:
        for index, target in enumerate(targets):
            group.start_soon(settle, index, target)

    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup(f"gather(): {len(errors)} awaitables failed", errors)
    return [results[place] for place in places]
