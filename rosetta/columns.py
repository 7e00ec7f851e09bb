"""The six columns of async-rosetta: an implementation package on an event loop.

========================  ================  ==================================
column                    package           event loop
========================  ================  ==================================
``asyncio``               ``impl_asyncio``  ``asyncio.Runner``
``asyncio+uvloop``        ``impl_asyncio``  ``asyncio.Runner`` on uvloop
``trio``                  ``impl_trio``     ``trio.run``
``shared/asyncio``        ``shared``        ``anyio.run(backend="asyncio")``
``shared/asyncio+uvloop`` ``shared``        AnyIO's asyncio backend on uvloop
``shared/trio``           ``shared``        ``anyio.run(backend="trio")``
========================  ================  ==================================

The test suite has the same six columns (``tests/conftest.py``), driven by
AnyIO's pytest plugin instead of these runners.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import anyio
import trio

import impl_asyncio
import impl_trio
import shared

__all__ = ["COLUMNS", "Column", "HAVE_UVLOOP", "column_names", "get_column"]

T = TypeVar("T")

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


@dataclass(frozen=True)
class Column:
    """One implementation package on one event loop."""

    name: str
    package: str  # "impl_asyncio", "impl_trio" or "shared"
    backend: str  # "asyncio" or "trio": what the package runs on
    uvloop: bool = False

    @property
    def api(self) -> ModuleType:
        return {"impl_asyncio": impl_asyncio, "impl_trio": impl_trio, "shared": shared}[
            self.package
        ]

    @property
    def available(self) -> bool:
        return HAVE_UVLOOP or not self.uvloop

    @property
    def anyio_backend(self) -> tuple[str, dict[str, Any]]:
        """The ``anyio_backend`` value that AnyIO's pytest plugin takes for this column."""
        if self.backend == "trio":
            return ("trio", {})
        return ("asyncio", {"debug": True, "use_uvloop": self.uvloop})

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, debug: bool = False) -> T:
        """Run ``fn(*args)`` to completion in a fresh event loop of this column."""
        if not self.available:
            raise RuntimeError(f"column {self.name!r} needs uvloop: pip install uvloop")

        async def main() -> T:
            return await fn(*args)

        if self.package == "impl_trio":
            return trio.run(main)
        if self.package == "impl_asyncio":
            factory = None
            if self.uvloop:
                import uvloop

                factory = uvloop.new_event_loop
            with asyncio.Runner(debug=debug, loop_factory=factory) as runner:
                return runner.run(main())
        options: dict[str, Any] = {}
        if self.backend == "asyncio":
            options = {"debug": debug, "use_uvloop": self.uvloop}
        return anyio.run(main, backend=self.backend, backend_options=options)


COLUMNS: tuple[Column, ...] = (
    Column("asyncio", "impl_asyncio", "asyncio"),
    Column("asyncio+uvloop", "impl_asyncio", "asyncio", uvloop=True),
    Column("trio", "impl_trio", "trio"),
    Column("shared/asyncio", "shared", "asyncio"),
    Column("shared/asyncio+uvloop", "shared", "asyncio", uvloop=True),
    Column("shared/trio", "shared", "trio"),
)


def column_names() -> list[str]:
    return [column.name for column in COLUMNS]


def get_column(name: str) -> Column:
    """The column called *name*.

    Error handling
    --------------
    An unknown name raises :exc:`ValueError` listing the column names.
    """
    for column in COLUMNS:
        if column.name == name:
            return column
    raise ValueError(f"unknown column {name!r}; choose from: {', '.join(column_names())}")
