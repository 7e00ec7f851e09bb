"""An FTP server on asyncio: the shared sans-I/O core, driven by tasks and raw sockets.

All protocol logic is :class:`common.ftp.Connection`; this shell only performs
the actions it asks for. A session is one task, the control loop: it feeds the
core what the control socket brings and carries out the actions in order. It
waits on one future, resolved by whichever comes first: the control socket
readable (a reader callback registered once per session, asyncio's callback
style, rather than ``add_reader``/``remove_reader`` around every read), a
transfer that ended (a second task, which records its outcome), or the
session's one idle timer, moved forward lazily. A client that keeps sending
gets nothing read until the core has taken the previous chunk. ABOR is
cancellation at work: the core asks for :class:`~common.ftp.CloseData`, the
shell cancels the transfer task and waits for it to unwind.

What a session does (the dispatch of the core's actions, opening a data connection,
the sendfile and upload loops) is :class:`common.ftp_shell.SessionBase`, the same in
the three shells; this file holds what is asyncio's own: that future and its
callbacks, a task per transfer, cancelled once and waited for,
``asyncio.timeout_at``, ``run_in_executor`` with what a cancelled thread made
undone, and a semaphore in front of it for password checks.

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
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from common import ftp
from common import ftp_support as support
from common.ftp_shell import ServerLimits, SessionBase, Transfer
from common.listeners import RESOURCE_PAUSE, listen_backlog, open_listener

from .readiness import send_all, wait_readable, wait_writable

__all__ = ["serve_ftp"]

_T = TypeVar("_T")


def _undo(undo: Callable[[_T], object], future: asyncio.Future[_T]) -> None:
    if not future.cancelled() and future.exception() is None:
        undo(future.result())


class _Session(SessionBase[asyncio.Semaphore]):
    def __init__(
        self,
        sock: socket.socket,
        root: str,
        users: ftp.Users,
        opts: support.ServerOptions,
        limits: ServerLimits[asyncio.Semaphore],
    ) -> None:
        super().__init__(sock, root, users, opts, limits)
        self.transfer: asyncio.Task[None] | None = None
        self.loop = asyncio.get_running_loop()
        # The control loop's wait: woken by the socket, a finished transfer or the idle timer.
        self.wakeup: asyncio.Future[None] | None = None
        self.reading = False  # our reader callback is registered for the control socket
        self.idle_deadline = 0.0
        self.idle_timer: asyncio.TimerHandle | None = None
        self.timed_out = False

    async def run(self) -> None:
        try:
            await self.drive()
        finally:
            if self.reading:
                self.loop.remove_reader(self.sock.fileno())
            if self.idle_timer is not None:
                self.idle_timer.cancel()
            await self._close_data()

    def _busy(self) -> bool:
        return self.transfer is not None and not self.transfer.done()

    def _on_readable(self) -> None:
        # Registered once and kept across reads (measured: add_reader plus remove_reader for
        # every read were 6 syscalls and ~11 us on uvloop). It is level-triggered: firing
        # while nobody waits, it would fire on every loop iteration, so then it goes.
        if self.wakeup is None:
            self.loop.remove_reader(self.sock.fileno())
            self.reading = False
        else:
            self._wake()

    def _on_idle(self) -> None:
        # One timer per session, moved forward lazily (not a new timer for every read).
        self.idle_timer = None
        if self.wakeup is None or self._busy():
            return  # not waiting, or a transfer runs: the next wait arms it again
        if self.loop.time() < self.idle_deadline:
            self.idle_timer = self.loop.call_at(self.idle_deadline, self._on_idle)
        else:
            self.timed_out = True
            self._wake()

    async def _wait_control(self) -> None:
        loop = self.loop
        if not self._busy():
            self.idle_deadline = loop.time() + self.opts.idle_timeout
            if self.idle_timer is None:
                self.idle_timer = loop.call_at(self.idle_deadline, self._on_idle)
        if not self.reading:
            loop.add_reader(self.sock.fileno(), self._on_readable)
            self.reading = True
        self.wakeup = loop.create_future()
        try:
            await self.wakeup
        finally:
            self.wakeup = None
        timed_out, self.timed_out = self.timed_out, False
        if timed_out and not self.finished:  # a transfer that ended just then wins
            raise TimeoutError

    def _wake(self) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

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

    async def _check_password(self, check: Callable[[], _T]) -> _T:
        async with self.limits.checks:  # not the executor's own queue: files need its threads
            return await self._in_thread(check)

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
    limits = ServerLimits(
        asyncio.Semaphore(support.password_check_slots()), asyncio.Semaphore(support.UPLOAD_BUFFERS)
    )
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listener = open_listener(infos[0], host, port, listen_backlog())
    sessions: set[asyncio.Task[None]] = set()

    async def session(sock: socket.socket, address: str) -> None:
        try:
            await _Session(sock, root, users, opts, limits).run()
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
