"""The six columns of async-rosetta: an implementation package on an event loop.

==================  ================  ==================================
column              package           event loop
==================  ================  ==================================
``asyncio``         ``impl_asyncio``  ``asyncio.Runner``
``uvloop``          ``impl_asyncio``  ``asyncio.Runner`` on uvloop
``trio``            ``impl_trio``     ``trio.run``
``shared-asyncio``  ``shared``        ``anyio.run(backend="asyncio")``
``shared-uvloop``   ``shared``        AnyIO's asyncio backend on uvloop
``shared-trio``     ``shared``        ``anyio.run(backend="trio")``
==================  ================  ==================================

:class:`Column` is the one seam between the command line (and the tests) and the
columns, as AnyIO's ``get_async_backend()`` is between its API and its backends:
it knows a column's name, package and event loop, runs a coroutine on that loop,
and hands out the loop's own primitives (sleep, clock, the cancellation
exception, a timeout, serving until a signal). Each event loop's side is a small
class below, and the loop library is imported only when a column is used, so
``async-rosetta --help`` loads none of them. The names in the first column of the
table are the only spelling: the CLI's ``--impl`` and ``--column``, JSON rows,
tables and plots all use them.
"""

from __future__ import annotations

import importlib
import importlib.util
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, TypeVar

__all__ = [
    "COLUMNS",
    "Column",
    "HAVE_UVLOOP",
    "Loop",
    "Package",
    "column_names",
    "get_column",
]

T = TypeVar("T")

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None

Package = Literal["impl_asyncio", "impl_trio", "shared"]
Loop = Literal["asyncio", "trio"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Asyncio:
    """asyncio's side: ``asyncio.Runner`` (on uvloop if asked), a task cancelled once."""

    @staticmethod
    def run(main: Callable[[], Coroutine[Any, Any, T]], uvloop: bool, debug: bool) -> T:
        import asyncio

        factory = None
        if uvloop:
            import uvloop as uvloop_module

            factory = uvloop_module.new_event_loop
        with asyncio.Runner(debug=debug, loop_factory=factory) as runner:
            return runner.run(main())

    @staticmethod
    async def serve_until_signal(serve: Callable[[], Coroutine[Any, Any, None]]) -> None:
        # asyncio's shutdown is one task.cancel(): a cancel scope would re-cancel the task
        # at every step and cut the server's own grace period short.
        import asyncio

        loop = asyncio.get_running_loop()
        task = loop.create_task(serve())
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            if task.cancelled():  # the signal's cancel, not ours: a normal stop
                return
            raise
        finally:
            for signum in _SIGNALS:
                loop.remove_signal_handler(signum)

    @staticmethod
    async def sleep(seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)

    @staticmethod
    def now() -> float:
        import asyncio

        return asyncio.get_running_loop().time()

    @staticmethod
    def cancelled_exc_class() -> type[BaseException]:
        import asyncio

        return asyncio.CancelledError

    @staticmethod
    def fail_after(seconds: float) -> AbstractAsyncContextManager[object]:
        import asyncio

        return asyncio.timeout(seconds)


class _Trio:
    """Trio's side: ``trio.run``, a nursery whose scope is cancelled."""

    @staticmethod
    def run(main: Callable[[], Coroutine[Any, Any, T]], uvloop: bool, debug: bool) -> T:
        import trio

        return trio.run(main)

    @staticmethod
    async def serve_until_signal(serve: Callable[[], Coroutine[Any, Any, None]]) -> None:
        import trio

        with trio.open_signal_receiver(*_SIGNALS) as signals:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(serve)
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    break

    @staticmethod
    async def sleep(seconds: float) -> None:
        import trio

        await trio.sleep(seconds)

    @staticmethod
    def now() -> float:
        import trio

        return trio.current_time()

    @staticmethod
    def cancelled_exc_class() -> type[BaseException]:
        import trio

        return trio.Cancelled

    @staticmethod
    @asynccontextmanager
    async def fail_after(seconds: float) -> AsyncIterator[object]:
        import trio

        try:
            with trio.fail_after(seconds) as scope:
                yield scope
        except trio.TooSlowError:
            raise TimeoutError(f"timed out after {seconds} s") from None


class _AnyIO:
    """AnyIO's side: ``anyio.run`` on the column's backend, a task group cancelled."""

    @staticmethod
    def run(
        main: Callable[[], Coroutine[Any, Any, T]], backend: str, uvloop: bool, debug: bool
    ) -> T:
        import anyio

        options: dict[str, Any] = {}
        if backend == "asyncio":
            options = {"debug": debug, "use_uvloop": uvloop}
        return anyio.run(main, backend=backend, backend_options=options)

    @staticmethod
    async def serve_until_signal(serve: Callable[[], Coroutine[Any, Any, None]]) -> None:
        import anyio

        with anyio.open_signal_receiver(*_SIGNALS) as signals:
            async with anyio.create_task_group() as tg:
                tg.start_soon(serve)
                async for _ in signals:
                    tg.cancel_scope.cancel()
                    break

    @staticmethod
    async def sleep(seconds: float) -> None:
        import anyio

        await anyio.sleep(seconds)

    @staticmethod
    def now() -> float:
        import anyio

        return anyio.current_time()

    @staticmethod
    def cancelled_exc_class() -> type[BaseException]:
        import anyio

        return anyio.get_cancelled_exc_class()

    @staticmethod
    @asynccontextmanager
    async def fail_after(seconds: float) -> AsyncIterator[object]:
        import anyio

        with anyio.fail_after(seconds) as scope:
            yield scope


@dataclass(frozen=True)
class Column:
    """One implementation package on one event loop."""

    name: str
    package: Package
    loop: Loop  # what the package runs on: "asyncio" (or uvloop) or "trio"
    uvloop: bool = False

    # -- what it is -------------------------------------------------------------------------

    @property
    def api(self) -> ModuleType:
        """The column's package, imported on first use."""
        return importlib.import_module(self.package)

    def module(self, concept: str) -> ModuleType:
        """The column's module for *concept* (the same file name in every package)."""
        return importlib.import_module(f"{self.package}.{concept}")

    @property
    def available(self) -> bool:
        return HAVE_UVLOOP or not self.uvloop

    @property
    def native_asyncio(self) -> bool:
        """Plain asyncio (``impl_asyncio``): asyncio's own Task and Future, so one
        ``CancelledError`` delivered once (edge-triggered) and the loop's exception
        handler; the other columns cancel a scope at every checkpoint (level-triggered)."""
        return self.package == "impl_asyncio"

    @property
    def native_trio(self) -> bool:
        """Trio itself (``impl_trio``), as opposed to AnyIO on Trio (``shared-trio``)."""
        return self.package == "impl_trio"

    @property
    def on_trio(self) -> bool:
        return self.loop == "trio"

    @property
    def anyio_backend(self) -> tuple[str, dict[str, Any]]:
        """The ``anyio_backend`` value that AnyIO's pytest plugin takes for this column."""
        if self.loop == "trio":
            return ("trio", {})
        return ("asyncio", {"debug": True, "use_uvloop": self.uvloop})

    # -- running ----------------------------------------------------------------------------

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, debug: bool = False) -> T:
        """Run ``fn(*args)`` to completion in a fresh event loop of this column.

        Error handling: :exc:`ModuleNotFoundError` (``name="uvloop"``) if the column needs
        uvloop and it is missing; the command line turns it into "install the cli extra".
        """
        if not self.available:
            raise ModuleNotFoundError(
                f"column {self.name!r} needs uvloop, from the 'cli' extra: "
                "pip install 'async-rosetta[cli]'",
                name="uvloop",
            )

        async def main() -> T:
            return await fn(*args)

        if self.package == "shared":
            return _AnyIO.run(main, self.loop, self.uvloop, debug)
        return self._native.run(main, self.uvloop, debug)

    def serve_until_signal(self, serve: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``serve()`` on this column's loop until SIGINT or SIGTERM, then shut it
        down the way the package's users would: cancel its task (asyncio) or scope."""
        self.run(self._side.serve_until_signal, serve)

    # -- the loop's own primitives, for code that runs inside the column ------------------

    async def sleep(self, seconds: float) -> None:
        await self._side.sleep(seconds)

    def now(self) -> float:
        """The clock the column's timers and deadlines are on."""
        return self._side.now()

    def cancelled_exc_class(self) -> type[BaseException]:
        """What a cancelled coroutine sees in this column."""
        return self._side.cancelled_exc_class()

    def fail_after(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """A block that raises :exc:`TimeoutError` after *seconds*, the loop's own way."""
        return self._side.fail_after(seconds)

    @property
    def _native(self) -> type[_Asyncio] | type[_Trio]:
        return _Trio if self.loop == "trio" else _Asyncio

    @property
    def _side(self) -> type[_Asyncio] | type[_Trio] | type[_AnyIO]:
        return _AnyIO if self.package == "shared" else self._native


COLUMNS: tuple[Column, ...] = (
    Column("asyncio", "impl_asyncio", "asyncio"),
    Column("uvloop", "impl_asyncio", "asyncio", uvloop=True),
    Column("trio", "impl_trio", "trio"),
    Column("shared-asyncio", "shared", "asyncio"),
    Column("shared-uvloop", "shared", "asyncio", uvloop=True),
    Column("shared-trio", "shared", "trio"),
)

# The names the tour's --column took before there was one spelling, still accepted there.
_OLD_NAMES = {
    "asyncio+uvloop": "uvloop",
    "shared/asyncio": "shared-asyncio",
    "shared/asyncio+uvloop": "shared-uvloop",
    "shared/trio": "shared-trio",
}


def column_names() -> list[str]:
    return [column.name for column in COLUMNS]


def get_column(name: str) -> Column:
    """The column called *name* (or by its old name, see ``_OLD_NAMES``).

    Error handling
    --------------
    An unknown name raises :exc:`ValueError` listing the column names.
    """
    name = _OLD_NAMES.get(name, name)
    for column in COLUMNS:
        if column.name == name:
            return column
    raise ValueError(f"unknown column {name!r}; choose from: {', '.join(column_names())}")
