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

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from socket import socket
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from common.ftp import Users
    from common.ftp_support import ServerOptions

__all__ = [
    "ConcurrencyAPI",
    "Gather",
    "FutureLike",
    "TaskGroupLike",
    "CancelScopeLike",
    "CancelScopeFactory",
    "CancellationAPI",
    "TickLike",
    "TimerLike",
    "ScheduledCallLike",
    "TimersAPI",
    "ReadinessAPI",
    "ServersAPI",
    "FtpServerAPI",
]

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")


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


class Gather(Protocol):
    """``gather``, with the overloads each package declares (typeshed's for ``asyncio.gather``):
    a tuple per arity up to six, a list beyond; ``T | BaseException`` with
    *return_exceptions*."""

    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, aw1: Awaitable[T1], /, *, return_exceptions: Literal[False] = False
    ) -> Awaitable[tuple[T1]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        /,
        *,
        return_exceptions: Literal[False] = False,
    ) -> Awaitable[tuple[T1, T2]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        /,
        *,
        return_exceptions: Literal[False] = False,
    ) -> Awaitable[tuple[T1, T2, T3]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        aw4: Awaitable[T4],
        /,
        *,
        return_exceptions: Literal[False] = False,
    ) -> Awaitable[tuple[T1, T2, T3, T4]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        aw4: Awaitable[T4],
        aw5: Awaitable[T5],
        /,
        *,
        return_exceptions: Literal[False] = False,
    ) -> Awaitable[tuple[T1, T2, T3, T4, T5]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        aw4: Awaitable[T4],
        aw5: Awaitable[T5],
        aw6: Awaitable[T6],
        /,
        *,
        return_exceptions: Literal[False] = False,
    ) -> Awaitable[tuple[T1, T2, T3, T4, T5, T6]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, *aws: Awaitable[T], return_exceptions: Literal[False] = False
    ) -> Awaitable[list[T]]: ...
    @overload
    def __call__(
        self, aw1: Awaitable[T1], /, *, return_exceptions: bool
    ) -> Awaitable[tuple[T1 | BaseException]]: ...
    @overload
    def __call__(
        self, aw1: Awaitable[T1], aw2: Awaitable[T2], /, *, return_exceptions: bool
    ) -> Awaitable[tuple[T1 | BaseException, T2 | BaseException]]: ...
    @overload
    def __call__(
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        /,
        *,
        return_exceptions: bool,
    ) -> Awaitable[tuple[T1 | BaseException, T2 | BaseException, T3 | BaseException]]: ...
    @overload
    def __call__(
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        aw4: Awaitable[T4],
        /,
        *,
        return_exceptions: bool,
    ) -> Awaitable[
        tuple[T1 | BaseException, T2 | BaseException, T3 | BaseException, T4 | BaseException]
    ]: ...
    @overload
    def __call__(
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        aw4: Awaitable[T4],
        aw5: Awaitable[T5],
        /,
        *,
        return_exceptions: bool,
    ) -> Awaitable[
        tuple[
            T1 | BaseException,
            T2 | BaseException,
            T3 | BaseException,
            T4 | BaseException,
            T5 | BaseException,
        ]
    ]: ...
    @overload
    def __call__(
        self,
        aw1: Awaitable[T1],
        aw2: Awaitable[T2],
        aw3: Awaitable[T3],
        aw4: Awaitable[T4],
        aw5: Awaitable[T5],
        aw6: Awaitable[T6],
        /,
        *,
        return_exceptions: bool,
    ) -> Awaitable[
        tuple[
            T1 | BaseException,
            T2 | BaseException,
            T3 | BaseException,
            T4 | BaseException,
            T5 | BaseException,
            T6 | BaseException,
        ]
    ]: ...
    @overload
    def __call__(
        self, *aws: Awaitable[T], return_exceptions: bool
    ) -> Awaitable[list[T | BaseException]]: ...


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
    @property
    def gather(self) -> Gather: ...
    def run_in_executor(
        self, executor: Executor | None, fn: Callable[..., T], /, *args: Any
    ) -> FutureLike[T]: ...


# -- cancellation.py ---------------------------------------------------------------------


class CancelScopeLike(Protocol):
    """``with scope:`` a block that can be cancelled: Trio's, AnyIO's and impl_asyncio's.

    ``deadline`` is on the event loop's clock (``loop.time()``,
    ``trio.current_time()``, ``anyio.current_time()``); ``math.inf`` means none.
    """

    @property
    def deadline(self) -> float: ...
    @deadline.setter
    def deadline(self, value: float) -> None: ...
    @property
    def shield(self) -> bool: ...
    @shield.setter
    def shield(self, value: bool) -> None: ...
    @property
    def cancel_called(self) -> bool: ...
    @property
    def cancelled_caught(self) -> bool: ...
    def cancel(self) -> None: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, et: Any, exc: Any, tb: Any, /) -> bool | None: ...


class CancelScopeFactory(Protocol):
    """``CancelScope(deadline=..., shield=...)``: keyword-only in all three packages."""

    def __call__(self, *, deadline: float = ..., shield: bool = ...) -> CancelScopeLike: ...


class CancellationAPI(Protocol):
    """The ``cancellation`` module of a package: ``impl_asyncio.cancellation`` and the others."""

    @property
    def CancelScope(self) -> CancelScopeFactory: ...

    def move_on_after(self, seconds: float, *, shield: bool = False) -> CancelScopeLike: ...
    def fail_after(
        self, seconds: float, *, shield: bool = False
    ) -> AbstractContextManager[CancelScopeLike]: ...
    def wait_for(self, aw: Awaitable[T], timeout: float | None) -> Awaitable[T]: ...
    def shielded(self, aw: Awaitable[T]) -> Awaitable[T]: ...


# -- timers.py -------------------------------------------------------------------------------

Missed = Literal["skip", "burst"]


class TickLike(Protocol):
    """What ``on_timer`` and ``async for tick in timer`` receive."""

    @property
    def count(self) -> int: ...
    @property
    def scheduled(self) -> float: ...
    @property
    def missed(self) -> int: ...


class TimerLike(Protocol):
    """``Timer``: ActionScript 3's Timer in seconds, ticking in a task group."""

    on_timer: Callable[[Any], object] | None
    on_timer_complete: Callable[[Any], object] | None

    @property
    def delay(self) -> float: ...
    @property
    def repeat_count(self) -> int: ...
    @property
    def current_count(self) -> int: ...
    @property
    def missed_count(self) -> int: ...
    @property
    def running(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def reset(self) -> None: ...
    def __aiter__(self) -> AsyncIterator[Any]: ...


class ScheduledCallLike(Protocol):
    """What ``set_interval`` and ``set_timeout`` return."""

    @property
    def active(self) -> bool: ...
    @property
    def calls(self) -> int: ...
    def clear(self) -> None: ...


class TimersAPI(Protocol):
    """The ``timers`` names of a package. ``task_group`` is the package's own group
    (``impl_trio`` also takes a ``trio.Nursery``, ``shared`` an AnyIO task group)."""

    @property
    def Tick(self) -> type[TickLike]: ...

    def Timer(
        self,
        delay: float,
        repeat_count: int = 0,
        *,
        task_group: Any,
        on_timer: Callable[[Any], object] | None = None,
        on_timer_complete: Callable[[Any], object] | None = None,
        missed: Missed = "skip",
    ) -> TimerLike: ...
    def set_interval(
        self,
        fn: Callable[..., object],
        period: float,
        *args: Any,
        task_group: Any,
        missed: Missed = "skip",
    ) -> ScheduledCallLike: ...
    def set_timeout(
        self, fn: Callable[..., object], delay: float, *args: Any, task_group: Any
    ) -> ScheduledCallLike: ...
    def interval(
        self, period: float, count: int | None = None, *, missed: Missed = "skip"
    ) -> AsyncIterator[int]: ...


# -- readiness.py ----------------------------------------------------------------------------


class ReadinessAPI(Protocol):
    """The ``readiness`` module of a package: await a socket's readiness, then use it.

    asyncio builds it from ``loop.add_reader`` callbacks, Trio has
    ``trio.lowlevel.wait_readable``, AnyIO ``anyio.wait_readable``.
    """

    def wait_readable(self, sock: socket, /) -> Awaitable[None]: ...
    def wait_writable(self, sock: socket, /) -> Awaitable[None]: ...
    def recv_some(self, sock: socket, max_bytes: int = 65536, /) -> Awaitable[bytes]: ...
    def send_all(self, sock: socket, data: bytes, /) -> Awaitable[None]: ...


# -- servers.py ------------------------------------------------------------------------------


class ServersAPI(Protocol):
    """The ``servers`` module of a package: a multiplexed echo server.

    Shutdown is the cancellation of the task (asyncio) or scope (Trio, AnyIO) running
    ``serve_echo``: it stops accepting, serves open connections for ``grace_period``
    seconds, then cuts the rest.
    """

    @property
    def BUSY(self) -> bytes: ...

    def listen_backlog(self) -> int: ...
    def serve_echo(
        self,
        host: str,
        port: int,
        *,
        max_connections: int = 10_000,
        ready: Callable[[str, int], object] | None = None,
        grace_period: float = 5.0,
        backlog: int | None = None,
    ) -> Coroutine[Any, Any, None]: ...


# -- ftp -------------------------------------------------------------------------------------


class FtpServerAPI(Protocol):
    """The FTP server module of a package: ``impl_asyncio.ftp``, ``impl_trio.ftp``,
    ``shared.ftp``.

    ``serve_ftp`` serves the directory *root* until cancelled (a task in asyncio, a
    scope in Trio and AnyIO); ``ready(host, port)`` is called once it listens, and
    ``port=0`` binds an ephemeral port. The protocol itself is the shared sans-I/O
    core in :mod:`common.ftp`.
    """

    def serve_ftp(
        self,
        root: str,
        host: str = "127.0.0.1",
        port: int = 2121,
        *,
        users: Users | None = None,
        options: ServerOptions | None = None,
        ready: Callable[[str, int], object] | None = None,
    ) -> Coroutine[Any, Any, None]: ...
