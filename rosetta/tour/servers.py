"""The tour's echo-server scenarios: ``serve_echo`` of each column, and its helpers.

The clients are plain non-blocking sockets driven by the column's readiness
functions, closed by a ``with`` whatever happens. Servers listen on 127.0.0.1,
port 0, and are shut down as their docstrings say: by cancelling the task or scope
they run in. A scenario's own timeout is 1 s; the servers' grace periods are
shorter. :mod:`rosetta.tour.ftp` starts its servers with the helpers here.
"""

from __future__ import annotations

import errno
import importlib
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from rosetta.tour.scenarios import (
    ASIDES,
    Aside,
    Env,
    Outcome,
    scenario,
)

SERVERS = "servers"
HOST = "127.0.0.1"
SECONDS = 1.0  # each scenario's timeout


# -- servers ---------------------------------------------------------------------------------


def _servers(env: Env) -> ModuleType:
    """The column's ``servers`` module: ``BUSY`` is not exported by the package itself."""
    return importlib.import_module(f"{env.column.package}.servers")


@dataclass
class _Server:
    port: int
    scope: Any  # the column's CancelScope around serve_echo: cancelling it is the shutdown
    task: Any  # returns scope.cancelled_caught once serve_echo has ended


@asynccontextmanager
async def _serving_with(
    env: Env, start: Callable[[Callable[[str, int], object]], Awaitable[None]], seconds: float
) -> AsyncIterator[_Server]:
    """``start(ready)`` in a task, listening within *seconds*; shut down (if the scenario
    did not) after, by cancelling the scope it runs in. Any of the column's servers."""
    bound = env.api.Future()
    scope = env.api.CancelScope()

    async def serve() -> bool:
        with scope:
            await start(lambda host, port: bound.set_result(port))
        return bool(scope.cancelled_caught)

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(serve())
        port = await env.within(seconds, bound)
        try:
            yield _Server(port, scope, task)
        finally:
            scope.cancel()


def _serving(env: Env, **options: Any) -> AbstractAsyncContextManager[_Server]:
    """serve_echo on an ephemeral port in a task; shut down (if the scenario did not) after."""
    return _serving_with(
        env, lambda ready: env.api.serve_echo(HOST, 0, ready=ready, **options), seconds=0.5
    )


async def _connect(env: Env, port: int) -> socket.socket:
    """A non-blocking client socket connected to *port*, with wait_writable for the connect."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        err = sock.connect_ex((HOST, port))
        if err == errno.EINPROGRESS:
            await env.api.wait_writable(sock)
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise OSError(err, os.strerror(err))  # OSError picks the subclass, e.g. refused
    except BaseException:
        sock.close()
        raise
    return sock


async def _receive(env: Env, sock: socket.socket, size: int) -> bytes:
    """Up to *size* bytes: fewer only if the server closes first."""
    data = bytearray()
    while len(data) < size:
        chunk = await env.api.recv_some(sock, size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def _round_trip(env: Env, sock: socket.socket, message: bytes) -> bytes:
    await env.api.send_all(sock, message)
    return await _receive(env, sock, len(message))


@scenario(
    SERVERS,
    "one echo",
    "serve_echo(127.0.0.1, port 0) in a task; a client sends b'hello' and reads it back, "
    "closes, and then the server's cancel scope is cancelled: that is the shutdown.",
    seconds=SECONDS,
)
async def _one_echo(env: Env) -> Outcome:
    async with _serving(env, grace_period=0.2) as server:
        with await _connect(env, server.port) as client:
            echoed = await _round_trip(env, client, b"hello")
        server.scope.cancel()
    return [f"client got {echoed!r}", f"server stopped, cancelled_caught → {server.task.result()}"]


@scenario(
    SERVERS,
    "over the limit: busy",
    "max_connections=1. The first client is served; the second is accepted, sent BUSY and "
    "closed at once, instead of waiting unanswered in the accept queue.",
    seconds=SECONDS,
)
async def _busy(env: Env) -> Outcome:
    busy = _servers(env).BUSY
    async with _serving(env, max_connections=1, grace_period=0.2) as server:
        with await _connect(env, server.port) as first:
            served = await _round_trip(env, first, b"ok")
            with await _connect(env, server.port) as second:
                told = await _receive(env, second, len(busy))
                after = await env.api.recv_some(second, 16)
    return [
        f"first: echo {served!r}",
        f"second: {told!r} (BUSY: {told == busy}), then {'EOF' if not after else repr(after)}",
    ]


@scenario(
    SERVERS,
    "graceful shutdown",
    "grace_period=0.5: cancelling the scope closes the listener at once, yet a client "
    "already connected still gets its echo; it closes, and the server stops before the "
    "grace period is over.",
    seconds=SECONDS,
)
async def _graceful(env: Env) -> Outcome:
    events: list[str] = []
    grace = 0.5
    async with _serving(env, grace_period=grace) as server:
        with await _connect(env, server.port) as client:
            events.append(f"before: echo {await _round_trip(env, client, b'hi')!r}")
            server.scope.cancel()
            cancelled_at = time.monotonic()
            await env.sleep(0.05)  # let the server close its listener
            try:
                with await _connect(env, server.port):
                    events.append("shutting down: a new client connects")
            except ConnectionRefusedError:
                events.append("shutting down: a new client is refused")
            events.append(f"in flight: echo {await _round_trip(env, client, b'last words')!r}")
        # The client has closed: the server need not wait out the grace period.
        caught = await env.within(SECONDS, server.task)
        early = time.monotonic() - cancelled_at < grace
        events.append(
            f"server stopped (cancelled_caught → {caught}) before the grace ended: {early}"
        )
    return events


def _listen_lines() -> list[str]:
    packages = ("impl_asyncio", "impl_trio", "shared")
    modules = [importlib.import_module(f"{package}.servers") for package in packages]
    backlogs = {module.listen_backlog() for module in modules}
    busy = {module.BUSY for module in modules}
    return [
        f"listen_backlog() → {', '.join(map(str, sorted(backlogs)))} here, in all three packages"
        if len(backlogs) == 1
        else f"listen_backlog() differs between packages: {sorted(backlogs)}",
        "min(65535, net.core.somaxconn): Linux silently truncates a larger backlog.",
        f"BUSY → {', '.join(map(repr, busy))}: what a client over max_connections receives.",
    ]


ASIDES.append(Aside(SERVERS, "listen_backlog() and BUSY", _listen_lines))
