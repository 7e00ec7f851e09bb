"""An FTP server on AnyIO: the shared sans-I/O core, driven by tasks and raw sockets.

All protocol logic is :class:`shared.ftp.Connection`; this shell only performs
the actions it asks for, on any AnyIO backend (asyncio, uvloop, Trio). A session
is one task, the control loop: it feeds the core what the control socket brings
and carries out the actions in order. A transfer is a second task, in its own
cancel scope, in the session's task group; when it ends it records its outcome
and cancels the scope of the control loop's read, so that read doubles as the
wait for "bytes or a finished transfer", and a client that keeps sending gets
nothing read until the core has taken the previous chunk. ABOR is cancellation
at work: on :class:`~shared.ftp.CloseData` the shell cancels the transfer's
scope and waits for the transfer to unwind.

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
import functools
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from shared import ftp
from shared.reactor import open_listener
from shared.readiness import send_all, wait_readable, wait_writable
from shared.servers import listen_backlog

__all__ = ["serve_ftp"]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)
# sendfile 64 KiB at a time, like pyftpdlib: 4 MiB calls doubled the receiving side's
# kernel time and 300 parallel 10 MB downloads took 1.6-1.7 s instead of 0.7 (measured).
_SENDFILE_MAX = 64 * 1024
_FAIR_SHARE = 1024 * 1024  # bytes one download sends before letting the others run
_Outcome = tuple[int, ftp.TransferError | None]  # a finished transfer: (transfer_id, error)
_Transfer = ftp.SendFile | ftp.SendData | ftp.ReceiveFile


@dataclass(frozen=True)
class _Shared:
    """What a server's sessions share: bounded password checks and upload buffers."""

    checks: anyio.CapacityLimiter  # scrypt checks at once: ftp.password_check_slots()
    uploads: anyio.CapacityLimiter  # uploads holding a buffer at once: ftp.UPLOAD_BUFFERS
    buffers: ftp.BufferPool


class _Failed(Exception):
    def __init__(self, error: ftp.TransferError) -> None:
        self.error = error


class _Session:
    def __init__(
        self,
        sock: socket.socket,
        root: str,
        users: ftp.Users,
        opts: ftp.ServerOptions,
        shared: _Shared,
    ) -> None:
        self.sock, self.users, self.opts, self.shared = sock, users, opts, shared
        self.peer, self.local = sock.getpeername(), sock.getsockname()
        self.conn = ftp.Connection(
            ftp.OSFileSystem(), root, client_address=self.peer[:2], users=users, config=opts.core
        )
        self.finished: list[_Outcome] = []  # transfers done, not yet told to the core
        self.waiting: anyio.CancelScope | None = None  # the control loop's read, while it waits
        self.idle = anyio.CancelScope()  # around the control loop; a deadline only while reading
        # The running transfer's scope, and its end (a scope has no "done" of its own); made per
        # transfer, so an idle session holds neither.
        self.transfer: tuple[anyio.CancelScope, anyio.Event] | None = None
        self.listener: socket.socket | None = None
        self.listener_deadline = 0.0
        self.tasks = anyio.create_task_group()  # the transfer's; run() enters it

    async def run(self) -> None:
        async with self.tasks:
            try:
                with self.idle:
                    await self._drive()
                if self.idle.cancelled_caught:
                    await send_all(self.sock, ftp.IDLE_TIMEOUT_REPLY)
            finally:
                with anyio.CancelScope(shield=True):  # cancellation is level-triggered
                    await self._close_data()

    async def _read(self) -> bytes | None:
        """Control bytes (``b""``: EOF), or ``None`` if a transfer ended first (or for nothing)."""
        if self.transfer is not None and not self.transfer[1].is_set():
            # A finished transfer cancels this scope to wake us: cancellation as a wake-up call.
            try:
                with anyio.CancelScope() as self.waiting:
                    await wait_readable(self.sock)
            finally:
                self.waiting = None
        else:
            # The idle timeout: the session's scope, its deadline moved forward for this read
            # only (a new scope with its own deadline for every read cost more, measured).
            self.idle.deadline = anyio.current_time() + self.opts.idle_timeout
            try:
                await wait_readable(self.sock)
            finally:
                self.idle.deadline = math.inf
        if self.finished:
            return None
        # Waited first, then read: after a reply the client's next line is rarely there yet,
        # and a recv to find that out is a syscall (EAGAIN) for nothing.
        try:
            return self.sock.recv(4096)
        except BlockingIOError:
            return None  # woken for nothing: the control loop asks again
        except OSError:  # reset, or closed under us: the core hears EOF
            return b""

    async def _drive(self) -> None:
        conn = self.conn
        while True:
            action = conn.next_action()
            if action is ftp.Wait.NEED_DATA:
                if self.finished:  # tell the core before reading on
                    transfer_id, error = self.finished.pop(0)
                    if error is None:
                        conn.transfer_complete(transfer_id)
                    else:
                        conn.transfer_failed(transfer_id, error)
                    continue
                data = await self._read()
                if data is not None:
                    conn.receive_data(data)
            elif action is ftp.Wait.PAUSED:
                raise AssertionError("every request is answered before looping")
            elif isinstance(action, ftp.SendReply):
                await send_all(self.sock, action.data)
            elif isinstance(action, ftp.Delay):
                await anyio.sleep(action.seconds)
            elif isinstance(action, ftp.CheckPassword):  # scrypt: on a thread, a few at once
                check = functools.partial(self.users.check, action.user, action.password)
                conn.password_checked(
                    *await anyio.to_thread.run_sync(check, limiter=self.shared.checks)
                )
            elif isinstance(action, ftp.Close):
                return
            elif isinstance(action, ftp.OpenPassiveListener):
                await self._close_data()
                try:
                    self.listener = ftp.open_passive_listener(self.local[0], self.opts)
                except OSError:
                    conn.passive_failed()
                    continue
                self.listener_deadline = anyio.current_time() + self.opts.passive_timeout
                conn.passive_opened(self.local[0], self.listener.getsockname()[1])
            elif isinstance(action, ftp.CloseData):
                await self._close_data()
            else:
                self.transfer = scope, done = anyio.CancelScope(), anyio.Event()
                self.tasks.start_soon(self._transfer, action, scope, done)

    async def _close_data(self) -> None:
        if self.transfer is not None:
            scope, done = self.transfer
            scope.cancel()
            await done.wait()
            self.transfer = None
        if self.listener is not None:
            self.listener.close()  # no task waits on it: a transfer takes it before waiting
            self.listener = None

    async def _transfer(
        self, action: _Transfer, scope: anyio.CancelScope, done: anyio.Event
    ) -> None:
        try:
            with scope:  # cancelled by _close_data: then nothing is reported
                try:
                    data = await self._open_data(action.connect_to)
                    with data:
                        if isinstance(action, ftp.SendData):
                            await self._io(send_all(data, action.data))
                        elif isinstance(action, ftp.SendFile):
                            await self._send_file(data, action)
                        else:
                            await self._receive_file(data, action)
                    outcome: _Outcome = (action.transfer_id, None)
                except _Failed as exc:
                    outcome = (action.transfer_id, exc.error)
                except Exception:  # a bug here must not leave the client waiting for a reply
                    _log.exception("FTP transfer %d for %s failed", action.transfer_id, self.peer)
                    outcome = (action.transfer_id, ftp.TransferError.LOCAL_ERROR)
                self.finished.append(outcome)
                if self.waiting is not None:
                    self.waiting.cancel()
        finally:
            done.set()

    async def _io(self, step: Awaitable[_T]) -> _T:
        """One data-connection step, bounded by ``data_timeout``; failures are 426."""
        try:
            with anyio.fail_after(self.opts.data_timeout):
                return await step
        except (TimeoutError, OSError):
            raise _Failed(ftp.TransferError.CONNECTION_LOST) from None

    async def _open_data(self, target: tuple[str, int] | None) -> socket.socket:
        try:
            if target is not None:  # active mode: the core vetted the address
                sock = ftp.start_connect(target)
                try:
                    with anyio.fail_after(self.opts.data_timeout):
                        await wait_writable(sock)
                    ftp.finish_connect(sock)
                except BaseException:
                    sock.close()
                    raise
                return sock
            listener, self.listener = self.listener, None  # one connection per PASV
            if listener is None:
                raise _Failed(ftp.TransferError.NO_CONNECTION)
            with listener, anyio.fail_at(self.listener_deadline):
                allowed = self.conn.data_peer_allowed
                while (accepted := ftp.accept_data_connection(listener, allowed)) is None:
                    await wait_readable(listener)
            return accepted
        except (TimeoutError, OSError):
            raise _Failed(ftp.TransferError.NO_CONNECTION) from None

    async def _disk(self, fn: Callable[..., _T], *args: object) -> _T:
        """Run a file operation on a worker thread; failures are 451."""
        try:  # a thread cannot be stopped: cancelled, this waits and returns what it made
            return await anyio.to_thread.run_sync(fn, *args)
        except OSError:
            raise _Failed(ftp.TransferError.LOCAL_ERROR) from None

    async def _send_file(self, data: socket.socket, action: ftp.SendFile) -> None:
        fd = await self._disk(os.open, action.path, os.O_RDONLY)
        try:
            offset = action.offset
            while True:
                try:
                    sent = os.sendfile(data.fileno(), fd, offset, _SENDFILE_MAX)
                except BlockingIOError:
                    await self._io(wait_writable(data))
                    continue
                except OSError:
                    raise _Failed(ftp.TransferError.CONNECTION_LOST) from None
                if not sent:
                    return  # end of file
                offset += sent
                if offset % _FAIR_SHARE < sent:
                    await anyio.lowlevel.checkpoint()  # a fast client must not starve the others
        finally:
            os.close(fd)

    async def _receive_file(self, data: socket.socket, action: ftp.ReceiveFile) -> None:
        upload = await self._disk(ftp.Upload, action.path, action.offset, action.append)
        try:
            shared = self.shared
            while True:
                await self._io(wait_readable(data))
                # A buffer only for one fill and its write, from the server's pool under its
                # limiter: upload memory is UPLOAD_BUFFERS buffers however many clients store.
                async with shared.uploads:
                    buffer = shared.buffers.take()
                    try:
                        filled, eof = ftp.receive_into(data, buffer)
                    except OSError:
                        raise _Failed(ftp.TransferError.CONNECTION_LOST) from None
                    if filled:
                        await self._disk(upload.write, buffer[:filled])
                    shared.buffers.give(buffer)  # not after a failed write: a thread may read it
                if eof:
                    break
            await self._disk(upload.commit)
        except BaseException:
            upload.discard()  # failed or aborted: nothing appears under the final name
            raise


async def serve_ftp(
    root: str,
    host: str = "127.0.0.1",
    port: int = 2121,
    *,
    users: ftp.Users | None = None,
    options: ftp.ServerOptions | None = None,
    ready: Callable[[str, int], object] | None = None,
) -> None:
    """Serve the directory *root* over FTP until the enclosing scope is cancelled.

    *users* defaults to anonymous read-only access. ``ready(host, port)`` is
    called once with the bound address (``port=0`` binds an ephemeral port).
    """
    if not await anyio.to_thread.run_sync(os.path.isdir, root):
        raise NotADirectoryError(errno.ENOTDIR, f"the FTP root must be a directory: {root!r}")
    users = users if users is not None else ftp.Users()
    opts = options if options is not None else ftp.ServerOptions()
    limiter = ftp.AddressLimiter(opts)
    shared = _Shared(
        anyio.CapacityLimiter(ftp.password_check_slots()),  # not the default limiter's 40
        anyio.CapacityLimiter(ftp.UPLOAD_BUFFERS),
        ftp.BufferPool(),
    )
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listener = open_listener(infos[0], host, port, listen_backlog())

    async def session(sock: socket.socket, address: str) -> None:
        try:
            await _Session(sock, root, users, opts, shared).run()
        except* OSError:
            pass  # the control connection broke: the session is over, the server is fine
        except* Exception:  # a bug: raised on, it would cancel the whole server in AnyIO
            _log.exception("FTP session for %s failed", address)
        finally:
            sock.close()
            limiter.release(address)

    try:
        async with anyio.create_task_group() as sessions:  # cancelled: every session is cancelled
            if ready is not None:
                ready(*listener.getsockname()[:2])
            while True:
                await wait_readable(listener)
                admitted, exhausted = ftp.accept_control_connections(listener, limiter)
                for sock, address in admitted:
                    sessions.start_soon(session, sock, address)
                if exhausted:
                    await anyio.sleep(0.1)  # out of descriptors: let sessions end first
    finally:
        listener.close()
