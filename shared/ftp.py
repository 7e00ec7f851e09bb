"""An FTP server on AnyIO: the shared sans-I/O core, driven by tasks and raw sockets.

All protocol logic is :class:`common.ftp.Connection`; this shell only performs
the actions it asks for, on any AnyIO backend (asyncio, uvloop, Trio). A session
is one task, the control loop: it feeds the core what the control socket brings
and carries out the actions in order. A transfer is a second task, in its own
cancel scope, in the session's task group; when it ends it records its outcome
and cancels the scope of the control loop's wait for the socket, so that wait
doubles as the wait for "bytes or a finished transfer", and a client that keeps
sending gets nothing read until the core has taken the previous chunk. ABOR is
cancellation at work: on :class:`~common.ftp.CloseData` the shell cancels the
transfer's scope and waits for the transfer to unwind.

What a session does (the dispatch of the core's actions, opening a data connection,
the sendfile and upload loops) is :class:`common.ftp_shell.SessionBase`, the same in
the three shells; this file holds what is AnyIO's own: the task group; the session's
one idle scope around the control loop, its deadline moved forward for each wait;
a transfer's scope and its wake-up by cancellation; the deadlines; worker threads,
with a limiter of the server's own for password checks.

Sockets are non-blocking and moved with :mod:`shared.readiness`; files are
opened and written on worker threads (``anyio.to_thread.run_sync``), and
downloads go out with :func:`os.sendfile`, so file bytes never pass through
Python. AnyIO has no sendfile, hence raw sockets, not ``anyio.abc.SocketStream``.

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

import errno
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from common import ftp
from common import ftp_support as support
from common.ftp_shell import ServerLimits, SessionBase, Transfer
from common.listeners import RESOURCE_PAUSE, listen_backlog, open_listener

from .readiness import send_all, wait_readable, wait_writable

__all__ = ["serve_ftp"]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)


class _Session(SessionBase[anyio.CapacityLimiter]):
    def __init__(
        self,
        sock: socket.socket,
        root: str,
        users: ftp.Users,
        opts: support.ServerOptions,
        limits: ServerLimits[anyio.CapacityLimiter],
    ) -> None:
        super().__init__(sock, root, users, opts, limits)
        self.waiting: anyio.CancelScope | None = None  # the control loop's wait, in a transfer
        self.idle = anyio.CancelScope()  # around the control loop; a deadline only while waiting
        # The running transfer's scope, and its end (a scope has no "done" of its own); made
        # per transfer, so an idle session holds neither (an AnyIO Event on asyncio: 760 B).
        self.transfer: tuple[anyio.CancelScope, anyio.Event] | None = None
        self.tasks = anyio.create_task_group()  # the transfer's; run() enters it

    async def run(self) -> None:
        async with self.tasks:
            try:
                with self.idle:
                    await self.drive()
                if self.idle.cancelled_caught:
                    await send_all(self.sock, support.IDLE_TIMEOUT_REPLY)
            finally:
                with anyio.CancelScope(shield=True):  # cancellation is level-triggered
                    await self._close_data()

    async def _wait_control(self) -> None:
        if self.transfer is not None and not self.transfer[1].is_set():
            # A finished transfer cancels this scope to wake us: cancellation as a wake-up call.
            try:
                with anyio.CancelScope() as self.waiting:
                    await wait_readable(self.sock)
            finally:
                self.waiting = None
        else:
            # The idle timeout: the session's scope, its deadline moved forward for this wait
            # only (a new scope with its own deadline for every read cost more, measured).
            self.idle.deadline = anyio.current_time() + self.opts.idle_timeout
            try:
                await wait_readable(self.sock)
            finally:
                self.idle.deadline = math.inf

    def _wake(self) -> None:
        if self.waiting is not None:
            self.waiting.cancel()

    def _start_transfer(self, action: Transfer) -> None:
        self.transfer = scope, done = anyio.CancelScope(), anyio.Event()
        self.tasks.start_soon(self._transfer, action, scope, done)

    async def _transfer(
        self, action: Transfer, scope: anyio.CancelScope, done: anyio.Event
    ) -> None:
        try:
            with scope:  # cancelled by _close_data: then nothing is reported
                await self._perform(action)
        finally:
            done.set()

    async def _close_data(self) -> None:
        if self.transfer is not None:
            scope, done = self.transfer
            scope.cancel()
            await done.wait()
            self.transfer = None
        self._close_listener()

    async def _until(self, deadline: float, step: Awaitable[_T]) -> _T:
        with anyio.fail_at(deadline):
            return await step

    async def _in_thread(
        self, fn: Callable[..., _T], *args: object, undo: Callable[[_T], object] | None = None
    ) -> _T:
        # A thread cannot be stopped: cancelled, this waits and returns what it made (the
        # cancellation comes at the next checkpoint), so the caller cleans it up; no undo.
        return await anyio.to_thread.run_sync(fn, *args)

    async def _check_password(self, check: Callable[[], _T]) -> _T:
        # A limiter of its own, not the default one: file operations need those threads.
        return await anyio.to_thread.run_sync(check, limiter=self.limits.checks)

    def _now(self) -> float:
        return anyio.current_time()

    async def _sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    async def _checkpoint(self) -> None:
        await anyio.lowlevel.checkpoint()

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
    """Serve the directory *root* over FTP until the enclosing scope is cancelled.

    *users* defaults to anonymous read-only access. ``ready(host, port)`` is
    called once with the bound address (``port=0`` binds an ephemeral port).
    """
    if not await anyio.to_thread.run_sync(os.path.isdir, root):
        raise NotADirectoryError(errno.ENOTDIR, f"the FTP root must be a directory: {root!r}")
    users = users if users is not None else ftp.Users()
    opts = options if options is not None else support.ServerOptions()
    limiter = support.AddressLimiter(opts)
    limits = ServerLimits(
        anyio.CapacityLimiter(support.password_check_slots()),  # not the default limiter's 40
        anyio.CapacityLimiter(support.UPLOAD_BUFFERS),
    )
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listener = open_listener(infos[0], host, port, listen_backlog())

    async def session(sock: socket.socket, address: str) -> None:
        try:
            await _Session(sock, root, users, opts, limits).run()
        except* OSError:
            pass  # the control connection broke: the session is over, the server is fine
        except* Exception:  # a bug: raised on, it would cancel the whole server in AnyIO
            _log.exception("FTP session for %s failed", address)
        finally:
            sock.close()
            limiter.release(address)

    try:
        async with anyio.create_task_group() as sessions:  # cancelled: cancels every session
            if ready is not None:
                ready(*listener.getsockname()[:2])
            while True:
                await wait_readable(listener)
                admitted, exhausted = support.accept_control_connections(listener, limiter)
                for sock, address in admitted:
                    sessions.start_soon(session, sock, address)
                if exhausted:
                    await anyio.sleep(RESOURCE_PAUSE)  # out of descriptors: let sessions end
    finally:
        listener.close()
