"""Run a server of the column's package in the test's event loop, and stop it the way
that package's users would: the one place the tests start and stop servers.

asyncio's servers run as a plain task, cancelled once (AnyIO's cancel scopes re-cancel a
task on every step, which would cut asyncio's own grace period short); Trio's and
AnyIO's run in a cancel scope that is cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from rosetta.columns import Column

Ready = Callable[[str, int], None]


@dataclass
class Running:
    host: str
    port: int
    shutdown: Callable[[], object]  # start the shutdown: cancel the server
    stopped: anyio.Event  # set once the server's coroutine has returned


@asynccontextmanager
async def running_in(
    column: Column, serve: Callable[[Ready], Coroutine[Any, Any, None]]
) -> AsyncIterator[Running]:
    """``serve(ready)`` until the block ends (or the test shuts it down earlier).

    *serve* must call ``ready(host, port)`` exactly once, when it listens.
    """
    bound: list[tuple[str, int]] = []
    listening = anyio.Event()
    stopped = anyio.Event()

    def ready(host: str, port: int) -> None:
        bound.append((host, port))
        listening.set()

    async with anyio.create_task_group() as tg:
        if column.native_asyncio:  # cancelled once, as asyncio's users do
            task = asyncio.get_running_loop().create_task(serve(ready))
            task.add_done_callback(lambda _: stopped.set())
            shutdown: Callable[[], object] = task.cancel
        else:
            scope = anyio.CancelScope()

            async def run() -> None:
                try:
                    with scope:
                        await serve(ready)
                finally:
                    stopped.set()

            tg.start_soon(run)
            shutdown = scope.cancel
        with anyio.fail_after(5):
            await listening.wait()
        assert len(bound) == 1
        server = Running(*bound[0], shutdown, stopped)
        try:
            yield server
        finally:
            shutdown()
            with anyio.fail_after(10):
                await stopped.wait()
        if column.native_asyncio:
            with pytest.raises(asyncio.CancelledError):
                await task
