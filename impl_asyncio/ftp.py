"""An FTP server on asyncio: the shared sans-I/O core, driven by tasks and raw sockets.

All protocol logic is :class:`common.ftp.Connection`; this shell only performs
the actions it asks for. A session is one task, the control loop: it feeds the
core what the control socket brings and carries out the actions in order. A
transfer is a second task; when it ends it records its outcome and cancels the
control loop's read, so that read doubles as the wait for "bytes or a finished
transfer", and a client that keeps sending gets nothing read until the core
has taken the previous chunk. ABOR is cancellation at work: the core asks for
:class:`~common.ftp.CloseData`, the shell cancels the transfer task and waits
for it to unwind.

What a session does (the dispatch of the core's actions, opening a data connection,
the sendfile and upload loops) is :class:`common.ftp_shell.SessionBase`, the same in
the three shells; this file holds what is asyncio's own: a task per transfer,
cancelled once and waited for, the wake-up by cancelling a scope,
``asyncio.timeout_at`` and ``run_in_executor`` with what a cancelled thread made
undone.

Sockets are non-blocking and moved with :mod:`impl_asyncio.readiness` (the
loop's ``add_reader``/``add_writer``); files are opened and written on worker
threads (``run_in_executor``), and downloads go out with :func:`os.sendfile`,
so file bytes never pass through Python. asyncio's own ``loop.sock_sendfile``
does the same on the selector loop, but uvloop does not implement it.

Error handling
--------------
A *root* that is not a directory raises :exc:`NotADirectoryError`; a port in
use raises :exc:`OSError` naming it, before ``ready`` is called. Clients never
see an exception: the core turns bad input into replies, a connection over the
limits gets 421 and is closed, a silent one gets 421 after ``idle_timeout``, a
stalled transfer fails with 426 after ``data_timeout``, a file error with 451.
Cancelling :func:`serve_ftp` closes the listener and every session.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import math
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from common import ftp
from common import ftp_support as support
from common.ftp_shell import SessionBase, Transfer
from common.listeners import RESOURCE_PAUSE, listen_backlog, open_listener

from .cancellation import CancelScope
from .readiness import recv_some, send_all, wait_readable, wait_writable

__all__ = ["serve_ftp"]

_T = TypeVar("_T")


def _undo(undo: Callable[[_T], object], future: asyncio.Future[_T]) -> None:
    if not future.cancelled() and future.exception() is None:
        undo(future.result())


class _Session(SessionBase):
    def __init__(
        self, sock: socket.socket, root: str, users: ftp.Users, opts: support.ServerOptions
    ) -> None:
        super().__init__(sock, root, users, opts)
        self.waiting: CancelScope | None = None  # the control loop's read, while it waits
        self.transfer: asyncio.Task[None] | None = None
        self.loop = asyncio.get_running_loop()

    async def run(self) -> None:
        try:
            await self.drive()
        finally:
            await self._close_data()

    async def _read(self) -> bytes | None:
        busy = self.transfer is not None and not self.transfer.done()
        deadline = math.inf if busy else self.loop.time() + self.opts.idle_timeout
        # A finished transfer cancels this scope to wake us: cancellation as a wake-up
        # call, safe here since recv_some only reads after its wait returns.
        try:
            with CancelScope(deadline=deadline) as self.waiting:
                try:
                    return await recv_some(self.sock, 4096)
                except OSError:  # reset, or closed under us: the core hears EOF
                    return b""
        finally:
            self.waiting = None
        if self.finished:
            return None
        raise TimeoutError

    def _wake(self) -> None:
        if self.waiting is not None:
            self.waiting.cancel()

    def _start_transfer(self, action: Transfer) -> None:
        # Cancelled by _close_data: the CancelledError ends it, and nothing is reported.
        self.transfer = asyncio.create_task(self._perform(action))

    async def _close_data(self) -> None:
        if self.transfer is not None:
            self.transfer.cancel()
            await asyncio.wait([self.transfer])  # unlike `await task`, keeps our own cancel
            self.transfer = None
        self._close_listener()

    async def _until(self, deadline: float, step: Awaitable[_T]) -> _T:
        async with asyncio.timeout_at(deadline):
            return await step

    async def _in_thread(
        self, fn: Callable[..., _T], *args: object, undo: Callable[[_T], object] | None = None
    ) -> _T:
        future = self.loop.run_in_executor(None, fn, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # A thread cannot be stopped. Undo what it makes (a descriptor, a temporary
            # file) once it is done, even if a second cancel cuts the wait below short;
            # and wait, as Trio's and AnyIO's to_thread do, so cleanup does not race it.
            if undo is not None:
                future.add_done_callback(functools.partial(_undo, undo))
            await asyncio.wait([future])
            raise

    def _now(self) -> float:
        return self.loop.time()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _checkpoint(self) -> None:
        await asyncio.sleep(0)

    async def _send_all(self, sock: socket.socket, data: bytes) -> None:
        await send_all(sock, data)

    async def _wait_readable(self, sock: socket.socket) -> None:
        await wait_readable(sock)

    async def _wait_writable(self, sock: socket.socket) -> None:
        await wait_writable(sock)


async def serve_ftp(
    root: str,
    host: str = "127.0.0.1",
    port: int = 2121,
    *,
    users: ftp.Users | None = None,
    options: support.ServerOptions | None = None,
    ready: Callable[[str, int], object] | None = None,
) -> None:
    """Serve the directory *root* over FTP until this task is cancelled.

    *users* defaults to anonymous read-only access. ``ready(host, port)`` is
    called once with the bound address (``port=0`` binds an ephemeral port).
    """
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, os.path.isdir, root):
        raise NotADirectoryError(errno.ENOTDIR, f"the FTP root must be a directory: {root!r}")
    users = users if users is not None else ftp.Users()
    opts = options if options is not None else support.ServerOptions()
    limiter = support.AddressLimiter(opts)
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listener = open_listener(infos[0], host, port, listen_backlog())
    sessions: set[asyncio.Task[None]] = set()

    async def session(sock: socket.socket, address: str) -> None:
        try:
            await _Session(sock, root, users, opts).run()
        except OSError:
            pass  # the control connection broke: the session is over, the server is fine
        finally:
            sock.close()
            limiter.release(address)

    try:
        if ready is not None:
            ready(*listener.getsockname()[:2])
        while True:
            await wait_readable(listener)
            admitted, exhausted = support.accept_control_connections(listener, limiter)
            for sock, address in admitted:
                task = asyncio.create_task(session(sock, address))
                sessions.add(task)
                task.add_done_callback(sessions.discard)
            if exhausted:
                await asyncio.sleep(RESOURCE_PAUSE)  # out of descriptors: let sessions end
    finally:
        listener.close()
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions)
