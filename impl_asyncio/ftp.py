"""An FTP server on asyncio: the shared sans-I/O core, driven by tasks and raw sockets.

All protocol logic is :class:`shared.ftp.Connection`; this shell only performs
the actions it asks for. A session is one task, the control loop: it feeds the
core what the control socket brings and carries out the actions in order. It
waits on one future, resolved by whichever comes first: the control socket
readable (a reader callback registered once per session, asyncio's callback
style, rather than ``add_reader``/``remove_reader`` around every read), a
transfer that ended (a second task, which records its outcome), or the
session's one idle timer, moved forward lazily. A client that keeps sending
gets nothing read until the core has taken the previous chunk. ABOR is
cancellation at work: the core asks for :class:`~shared.ftp.CloseData`, the
shell cancels the transfer task and waits for it to unwind.

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
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from shared import ftp
from shared.reactor import open_listener

from .readiness import send_all, wait_readable, wait_writable
from .servers import listen_backlog

__all__ = ["serve_ftp"]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)
# sendfile 64 KiB at a time, like pyftpdlib: 4 MiB calls doubled the receiving side's
# kernel time and 300 parallel 10 MB downloads took 1.6-1.7 s instead of 0.7 (measured).
_SENDFILE_MAX = 64 * 1024
_FAIR_SHARE = 1024 * 1024  # bytes one download sends before letting the others run
_Outcome = tuple[int, ftp.TransferError | None]  # a finished transfer: (transfer_id, error)
_Transfer = ftp.SendFile | ftp.SendData | ftp.ReceiveFile


def _undo(undo: Callable[[_T], object], future: asyncio.Future[_T]) -> None:
    if not future.cancelled() and future.exception() is None:
        undo(future.result())


@dataclass(frozen=True)
class _Shared:
    """What a server's sessions share: bounded password checks and upload buffers."""

    checks: asyncio.Semaphore  # scrypt checks at once: ftp.password_check_slots()
    uploads: asyncio.Semaphore  # uploads holding a buffer at once: ftp.UPLOAD_BUFFERS
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
        self.transfer: asyncio.Task[None] | None = None
        self.listener: socket.socket | None = None
        self.listener_deadline = 0.0
        self.loop = asyncio.get_running_loop()
        # The control loop's wait: woken by the socket, a finished transfer or the idle timer.
        self.wakeup: asyncio.Future[None] | None = None
        self.reading = False  # our reader callback is registered for the control socket
        self.idle_deadline = 0.0
        self.idle_timer: asyncio.TimerHandle | None = None
        self.timed_out = False

    async def run(self) -> None:
        try:
            await self._drive()
        finally:
            if self.reading:
                self.loop.remove_reader(self.sock.fileno())
            if self.idle_timer is not None:
                self.idle_timer.cancel()
            await self._close_data()

    def _wake(self) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

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
        busy = self.transfer is not None and not self.transfer.done()
        if self.wakeup is None or busy:
            return  # not waiting, or a transfer runs: the next read arms it again
        if self.loop.time() < self.idle_deadline:
            self.idle_timer = self.loop.call_at(self.idle_deadline, self._on_idle)
        else:
            self.timed_out = True
            self._wake()

    async def _read(self) -> bytes | None:
        """Control bytes (``b""``: EOF), ``None`` if a transfer ended first, or TimeoutError."""
        loop = self.loop
        if self.transfer is None or self.transfer.done():
            self.idle_deadline = loop.time() + self.opts.idle_timeout
            if self.idle_timer is None:
                self.idle_timer = loop.call_at(self.idle_deadline, self._on_idle)
        if not self.reading:
            loop.add_reader(self.sock.fileno(), self._on_readable)
            self.reading = True
        # Wait first, then read: after a reply the client's next line is rarely there yet,
        # and a recv to find that out is a syscall (EAGAIN) for nothing.
        self.wakeup = loop.create_future()
        try:
            await self.wakeup
        finally:
            self.wakeup = None
        if self.finished:
            return None
        if self.timed_out:
            raise TimeoutError
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
                try:
                    data = await self._read()
                except TimeoutError:
                    await send_all(self.sock, ftp.IDLE_TIMEOUT_REPLY)
                    return
                if data is not None:
                    conn.receive_data(data)
            elif action is ftp.Wait.PAUSED:
                raise AssertionError("every request is answered before looping")
            elif isinstance(action, ftp.SendReply):
                await send_all(self.sock, action.data)
            elif isinstance(action, ftp.Delay):
                await asyncio.sleep(action.seconds)
            elif isinstance(action, ftp.CheckPassword):  # scrypt: on a thread, a few at once
                check = functools.partial(self.users.check, action.user, action.password)
                async with self.shared.checks:
                    checked = await self.loop.run_in_executor(None, check)
                conn.password_checked(*checked)
            elif isinstance(action, ftp.Close):
                return
            elif isinstance(action, ftp.OpenPassiveListener):
                await self._close_data()
                try:
                    self.listener = ftp.open_passive_listener(self.local[0], self.opts)
                except OSError:
                    conn.passive_failed()
                    continue
                self.listener_deadline = self.loop.time() + self.opts.passive_timeout
                conn.passive_opened(self.local[0], self.listener.getsockname()[1])
            elif isinstance(action, ftp.CloseData):
                await self._close_data()
            else:
                self.transfer = asyncio.create_task(self._transfer(action))

    async def _close_data(self) -> None:
        if self.transfer is not None:
            self.transfer.cancel()
            await asyncio.wait([self.transfer])  # unlike `await task`, keeps our own cancel
            self.transfer = None
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    async def _transfer(self, action: _Transfer) -> None:
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
        self._wake()

    async def _io(self, step: Awaitable[_T]) -> _T:
        """One data-connection step, bounded by ``data_timeout``; failures are 426."""
        try:
            async with asyncio.timeout(self.opts.data_timeout):
                return await step
        except (TimeoutError, OSError):
            raise _Failed(ftp.TransferError.CONNECTION_LOST) from None

    async def _open_data(self, target: tuple[str, int] | None) -> socket.socket:
        try:
            if target is not None:  # active mode: the core vetted the address
                sock = ftp.start_connect(target)
                try:
                    async with asyncio.timeout(self.opts.data_timeout):
                        await wait_writable(sock)
                    ftp.finish_connect(sock)
                except BaseException:
                    sock.close()
                    raise
                return sock
            listener, self.listener = self.listener, None  # one connection per PASV
            if listener is None:
                raise _Failed(ftp.TransferError.NO_CONNECTION)
            with listener:
                async with asyncio.timeout_at(self.listener_deadline):
                    allowed = self.conn.data_peer_allowed
                    while (accepted := ftp.accept_data_connection(listener, allowed)) is None:
                        await wait_readable(listener)
            return accepted
        except (TimeoutError, OSError):
            raise _Failed(ftp.TransferError.NO_CONNECTION) from None

    async def _disk(
        self, fn: Callable[..., _T], *args: object, undo: Callable[[_T], object] | None = None
    ) -> _T:
        """Run a file operation on a worker thread; failures are 451."""
        future = self.loop.run_in_executor(None, fn, *args)
        try:
            return await asyncio.shield(future)
        except OSError:
            raise _Failed(ftp.TransferError.LOCAL_ERROR) from None
        except asyncio.CancelledError:
            # A thread cannot be stopped. Undo what it makes (a descriptor, a temporary
            # file) once it is done, even if a second cancel cuts the wait below short;
            # and wait, as Trio's and AnyIO's to_thread do, so cleanup does not race it.
            if undo is not None:
                future.add_done_callback(functools.partial(_undo, undo))
            await asyncio.wait([future])
            raise

    async def _send_file(self, data: socket.socket, action: ftp.SendFile) -> None:
        fd = await self._disk(os.open, action.path, os.O_RDONLY, undo=os.close)
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
                    await asyncio.sleep(0)  # a fast client must not starve the other sessions
        finally:
            os.close(fd)

    async def _receive_file(self, data: socket.socket, action: ftp.ReceiveFile) -> None:
        upload = await self._disk(
            ftp.Upload, action.path, action.offset, action.append, undo=ftp.Upload.discard
        )
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
    """Serve the directory *root* over FTP until this task is cancelled.

    *users* defaults to anonymous read-only access. ``ready(host, port)`` is
    called once with the bound address (``port=0`` binds an ephemeral port).
    """
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, os.path.isdir, root):
        raise NotADirectoryError(errno.ENOTDIR, f"the FTP root must be a directory: {root!r}")
    users = users if users is not None else ftp.Users()
    opts = options if options is not None else ftp.ServerOptions()
    limiter = ftp.AddressLimiter(opts)
    shared = _Shared(
        asyncio.Semaphore(ftp.password_check_slots()),
        asyncio.Semaphore(ftp.UPLOAD_BUFFERS),
        ftp.BufferPool(),
    )
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listener = open_listener(infos[0], host, port, listen_backlog())
    sessions: set[asyncio.Task[None]] = set()

    async def session(sock: socket.socket, address: str) -> None:
        try:
            await _Session(sock, root, users, opts, shared).run()
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
            admitted, exhausted = ftp.accept_control_connections(listener, limiter)
            for sock, address in admitted:
                task = asyncio.create_task(session(sock, address))
                sessions.add(task)
                task.add_done_callback(sessions.discard)
            if exhausted:
                await asyncio.sleep(0.1)  # out of descriptors: let sessions end first
    finally:
        listener.close()
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions)
