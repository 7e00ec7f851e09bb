"""The interface every package of async-rosetta satisfies.

``impl_asyncio``, ``impl_trio`` and ``shared`` are three *modules* with the same
public names. :class:`ConcurrencyAPI` describes such a module, so a line like::

    api: ConcurrencyAPI = impl_trio

is a type check: mypy compares the module's names with the protocol's members
and fails when a package drifts (a renamed function, a missing keyword, a
method that returns the wrong thing). The test suite does exactly that for the
three packages.

The protocol is deliberately the *common* shape. Each package has more (asyncio's
``Future.get_loop()``, Trio's nursery, AnyIO's task handles); the protocol names
what a user may rely on when switching between them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Generator
from concurrent.futures import Executor
from typing import Any, Protocol, TypeVar

__all__ = ["ConcurrencyAPI", "FutureLike", "TaskGroupLike"]

T = TypeVar("T")


class FutureLike(Protocol[T]):
    """What ``Future`` and ``Task`` offer in all three packages (asyncio's names)."""

    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> T: ...
    def exception(self) -> BaseException | None: ...
    def set_result(self, result: T, /) -> None: ...
    def set_exception(self, exception: BaseException | type[BaseException], /) -> None: ...
    def cancel(self, msg: Any | None = None) -> bool: ...
    # Callbacks are typed loosely on purpose: asyncio's stubs say ``Callable[[Self], object]``
    # and a protocol cannot spell "the implementing class" for three unrelated classes.
    def add_done_callback(self, fn: Callable[[Any], object], /) -> None: ...
    def remove_done_callback(self, fn: Callable[[Any], object], /) -> int: ...
    def __await__(self) -> Generator[Any, None, T]: ...


class TaskGroupLike(Protocol):
    """``async with TaskGroup() as tg: tg.create_task(coro)`` in all three packages."""

    async def __aenter__(self) -> Any: ...
    async def __aexit__(self, et: Any, exc: Any, tb: Any, /) -> Any: ...
    def create_task(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> FutureLike[T]: ...


class ConcurrencyAPI(Protocol):
    """A package of async-rosetta: ``impl_asyncio``, ``impl_trio`` or ``shared``."""

    @property
    def Future(self) -> Callable[[], FutureLike[Any]]: ...
    @property
    def Task(self) -> type[FutureLike[Any]]: ...
    @property
    def TaskGroup(self) -> Callable[[], TaskGroupLike]: ...
    @property
    def CancelledError(self) -> type[BaseException]: ...
    @property
    def InvalidStateError(self) -> type[Exception]: ...

    def ensure_future(self, obj: Any, /, *, task_group: Any = None) -> FutureLike[Any]: ...
    def gather(
        self, *aws: Awaitable[Any], return_exceptions: bool = False
    ) -> Awaitable[list[Any]]: ...
    def run_in_executor(
        self, executor: Executor | None, fn: Callable[..., T], /, *args: Any
    ) -> FutureLike[T]: ...
