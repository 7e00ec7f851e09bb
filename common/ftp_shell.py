"""The loop-free half of the three FTP shells: what a session does, not how it waits.

Each shell (``impl_asyncio/ftp.py``, ``impl_trio/ftp.py``, ``shared/ftp.py``) runs
the same session: a control loop that feeds :class:`common.ftp.Connection` and
carries out its actions in order, a transfer task per data connection, files moved
with :func:`os.sendfile` and received into pooled buffers. That much is written
once, here, as :class:`SessionBase`; so are the limits a server's sessions share
(:class:`ServerLimits`: password checks a few at once, upload buffers from a pool).
What each library does its own way stays in the shell, side by side, as the hooks
below:

* waiting for the control socket while a transfer may end (``_wait_control``,
  ``_wake``: a future resolved by a reader callback, or a cancel scope cancelled as
  a wake-up call) and the idle timeout (one timer or one scope per session);
* starting a transfer and cancelling it on ABOR (``_start_transfer``,
  ``_close_data``: a task or a scope, and how to wait for it to unwind);
* a deadline (``_until``), a worker thread (``_in_thread``, ``_check_password``
  under the server's limiter), a checkpoint, and the column's readiness functions.

The coroutines here await only what the hooks return, so this module imports no
event loop library; like the core, it does no socket I/O of its own beyond the
plain non-blocking calls the hooks wait for.

Error handling
--------------
A data-connection step that fails or stalls past ``data_timeout`` ends the
transfer with 426 (``CONNECTION_LOST``); a data connection that cannot be opened,
with 425 (``NO_CONNECTION``); a file error, with 451 (``LOCAL_ERROR``); an
unexpected exception is logged and reported as 451, so the client always gets a
reply. An idle control connection gets :data:`~common.ftp_support.IDLE_TIMEOUT_REPLY`.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from common import ftp
from common import ftp_support as support

__all__ = ["Failed", "Outcome", "ServerLimits", "SessionBase", "Transfer"]

T = TypeVar("T")
#: A column's limiter (asyncio.Semaphore, trio.CapacityLimiter, anyio.CapacityLimiter).
Limiter = TypeVar("Limiter", bound=AbstractAsyncContextManager[object])
# sendfile 64 KiB at a time, like pyftpdlib: 4 MiB calls doubled the receiving side's
# kernel time and 300 parallel 10 MB downloads took 1.6-1.7 s instead of 0.7 (measured).
_SENDFILE_MAX = 64 * 1024
_FAIR_SHARE = 1024 * 1024  # bytes one download sends before letting the others run

Outcome = tuple[int, ftp.TransferError | None]  # a finished transfer: (transfer_id, error)
Transfer = ftp.SendFile | ftp.SendData | ftp.ReceiveFile


class Failed(Exception):
    """A transfer ends with *error*; the core turns it into the reply."""

    def __init__(self, error: ftp.TransferError) -> None:
        self.error = error


@dataclass(frozen=True, slots=True)
class ServerLimits(Generic[Limiter]):
    """What a server's sessions share: bounded password checks and upload buffers."""

    checks: Limiter  # scrypt checks at once: support.password_check_slots()
    uploads: Limiter  # uploads holding a buffer at once: support.UPLOAD_BUFFERS
    buffers: support.BufferPool = field(default_factory=support.BufferPool)


class SessionBase(Generic[Limiter]):
    """One control connection: the core, its pending outcomes, its passive listener."""

    def __init__(
        self,
        sock: socket.socket,
        root: str,
        users: ftp.Users,
        opts: support.ServerOptions,
        limits: ServerLimits[Limiter],
    ) -> None:
        self.sock, self.users, self.opts, self.limits = sock, users, opts, limits
        self.peer, self.local = sock.getpeername(), sock.getsockname()
        self.conn = ftp.Connection(
            support.OSFileSystem(),
            root,
            client_address=self.peer[:2],
            users=users,
            config=opts.core,
        )
        self.finished: list[Outcome] = []  # transfers done, not yet told to the core
        self.listener: socket.socket | None = None
        self.listener_deadline = 0.0

    # -- what each shell provides -------------------------------------------------------

    def _now(self) -> float:
        """The loop's clock, the one deadlines are on."""
        raise NotImplementedError

    async def _wait_control(self) -> None:
        """Return when the control socket is readable or a transfer has ended (waking
        for nothing is allowed). After ``idle_timeout`` with no transfer running, end
        the session: raise :exc:`TimeoutError`, or cancel a scope around :meth:`drive`
        that sends :data:`~common.ftp_support.IDLE_TIMEOUT_REPLY` once it has caught it."""
        raise NotImplementedError

    def _wake(self) -> None:
        """A transfer has finished: wake the control loop's :meth:`_wait_control`."""
        raise NotImplementedError

    def _start_transfer(self, action: Transfer) -> None:
        """Run ``self._perform(action)`` as a task the shell can cancel."""
        raise NotImplementedError

    async def _close_data(self) -> None:
        """Cancel the running transfer and wait for it to unwind; close the listener."""
        raise NotImplementedError

    async def _until(self, deadline: float, step: Awaitable[T]) -> T:
        """Await *step*; :exc:`TimeoutError` if *deadline* passes first."""
        raise NotImplementedError

    async def _in_thread(
        self, fn: Callable[..., T], *args: object, undo: Callable[[T], object] | None = None
    ) -> T:
        """``fn(*args)`` on a worker thread. Cancelled, wait for the thread, and pass what
        it made to *undo* (a thread cannot be stopped)."""
        raise NotImplementedError

    async def _check_password(self, check: Callable[[], T]) -> T:
        """*check* (scrypt: ~55 ms of CPU, 16 MiB) on a worker thread, under
        ``limits.checks``: a login flood queues on the loop, not in the threads."""
        raise NotImplementedError

    async def _sleep(self, seconds: float) -> None:
        raise NotImplementedError

    async def _checkpoint(self) -> None:
        raise NotImplementedError

    async def _send_all(self, sock: socket.socket, data: bytes) -> None:
        raise NotImplementedError

    async def _wait_readable(self, sock: socket.socket) -> None:
        raise NotImplementedError

    async def _wait_writable(self, sock: socket.socket) -> None:
        raise NotImplementedError

    # -- the control loop ---------------------------------------------------------------

    async def drive(self) -> None:
        """Feed the core and carry out its actions until it closes the session."""
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
                    await self._wait_control()
                except TimeoutError:
                    await self._send_all(self.sock, support.IDLE_TIMEOUT_REPLY)
                    return
                if self.finished:
                    continue  # a transfer ended: the core hears of it first
                # Waited first, then read: after a reply the client's next line is rarely
                # there yet, and a recv to find that out is a syscall (EAGAIN) for nothing.
                try:
                    data = self.sock.recv(4096)
                except BlockingIOError:
                    continue  # woken for nothing: wait again
                except OSError:  # reset, or closed under us: the core hears EOF
                    data = b""
                conn.receive_data(data)
            elif action is ftp.Wait.PAUSED:
                raise AssertionError("every request is answered before looping")
            elif isinstance(action, ftp.SendReply):
                await self._send_all(self.sock, action.data)
            elif isinstance(action, ftp.Delay):
                await self._sleep(action.seconds)
            elif isinstance(action, ftp.CheckPassword):  # scrypt: on a thread, a few at once
                check = functools.partial(self.users.check, action.user, action.password)
                conn.password_checked(*await self._check_password(check))
            elif isinstance(action, ftp.Close):
                return
            elif isinstance(action, ftp.OpenPassiveListener):
                await self._close_data()
                try:
                    self.listener = support.open_passive_listener(self.local[0], self.opts)
                except OSError:
                    conn.passive_failed()
                    continue
                self.listener_deadline = self._now() + self.opts.passive_timeout
                conn.passive_opened(self.local[0], self.listener.getsockname()[1])
            elif isinstance(action, ftp.CloseData):
                await self._close_data()
            else:
                self._start_transfer(action)

    def _close_listener(self) -> None:
        if self.listener is not None:
            self.listener.close()  # no task waits on it: a transfer takes it before waiting
            self.listener = None

    # -- a transfer ---------------------------------------------------------------------

    async def _perform(self, action: Transfer) -> None:
        """Move the data, then record the outcome and wake the control loop. A
        cancellation (ABOR, the session ending) propagates: nothing is reported."""
        try:
            data = await self._open_data(action.connect_to)
            with data:
                if isinstance(action, ftp.SendData):
                    await self._io(self._send_all(data, action.data))
                elif isinstance(action, ftp.SendFile):
                    await self._send_file(data, action)
                else:
                    await self._receive_file(data, action)
            outcome: Outcome = (action.transfer_id, None)
        except Failed as exc:
            outcome = (action.transfer_id, exc.error)
        except Exception:  # a bug here must not leave the client waiting for a reply
            log = logging.getLogger(type(self).__module__)  # the shell's logger
            log.exception("FTP transfer %d for %s failed", action.transfer_id, self.peer)
            outcome = (action.transfer_id, ftp.TransferError.LOCAL_ERROR)
        self.finished.append(outcome)
        self._wake()

    async def _io(self, step: Awaitable[T]) -> T:
        """One data-connection step, bounded by ``data_timeout``; failures are 426."""
        try:
            return await self._until(self._now() + self.opts.data_timeout, step)
        except (TimeoutError, OSError):
            raise Failed(ftp.TransferError.CONNECTION_LOST) from None

    async def _open_data(self, target: tuple[str, int] | None) -> socket.socket:
        try:
            if target is not None:  # active mode: the core vetted the address
                sock = support.start_connect(target)
                try:
                    deadline = self._now() + self.opts.data_timeout
                    await self._until(deadline, self._wait_writable(sock))
                    support.finish_connect(sock)
                except BaseException:
                    sock.close()
                    raise
                return sock
            listener, self.listener = self.listener, None  # one connection per PASV
            if listener is None:
                raise Failed(ftp.TransferError.NO_CONNECTION)
            with listener:
                return await self._until(self.listener_deadline, self._accept_data(listener))
        except (TimeoutError, OSError):
            raise Failed(ftp.TransferError.NO_CONNECTION) from None

    async def _accept_data(self, listener: socket.socket) -> socket.socket:
        allowed = self.conn.data_peer_allowed
        while (accepted := support.accept_data_connection(listener, allowed)) is None:
            await self._wait_readable(listener)
        return accepted

    async def _disk(
        self, fn: Callable[..., T], *args: object, undo: Callable[[T], object] | None = None
    ) -> T:
        """A file operation on a worker thread; failures are 451."""
        try:
            return await self._in_thread(fn, *args, undo=undo)
        except OSError:
            raise Failed(ftp.TransferError.LOCAL_ERROR) from None

    async def _send_file(self, data: socket.socket, action: ftp.SendFile) -> None:
        fd = await self._disk(os.open, action.path, os.O_RDONLY, undo=os.close)
        try:
            offset = action.offset
            while True:
                try:
                    sent = os.sendfile(data.fileno(), fd, offset, _SENDFILE_MAX)
                except BlockingIOError:
                    await self._io(self._wait_writable(data))
                    continue
                except OSError:
                    raise Failed(ftp.TransferError.CONNECTION_LOST) from None
                if not sent:
                    return  # end of file
                offset += sent
                if offset % _FAIR_SHARE < sent:
                    await self._checkpoint()  # a fast client must not starve the others
        finally:
            os.close(fd)

    async def _receive_file(self, data: socket.socket, action: ftp.ReceiveFile) -> None:
        upload = await self._disk(
            support.Upload, action.path, action.offset, action.append, undo=support.Upload.discard
        )
        try:
            limits = self.limits
            while True:
                await self._io(self._wait_readable(data))
                # A buffer only for one fill and its write, from the server's pool under its
                # limiter: upload memory is UPLOAD_BUFFERS buffers however many clients store.
                async with limits.uploads:
                    buffer = limits.buffers.take()
                    try:
                        filled, eof = support.receive_into(data, buffer)
                    except OSError:
                        raise Failed(ftp.TransferError.CONNECTION_LOST) from None
                    if filled:
                        await self._disk(upload.write, buffer[:filled])
                    limits.buffers.give(buffer)  # not after a failed write: a thread may read it
                if eof:
                    break
            await self._disk(upload.commit)
        except BaseException:
            upload.discard()  # failed or aborted: nothing appears under the final name
            raise
