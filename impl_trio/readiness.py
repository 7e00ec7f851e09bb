"""Readiness, the Trio way: ``await trio.lowlevel.wait_readable(sock)``.

Trio has no callbacks to register: waiting for a descriptor is an ``await`` like
any other, a checkpoint that cancel scopes can interrupt, and cleanup is Trio's
business. It lives in ``trio.lowlevel`` because Trio's own sockets
(``trio.socket``) already wait this way inside ``recv`` and ``send``; a program
needs it only for descriptors Trio does not wrap.

Underneath, Trio registers the descriptor with epoll (kqueue, IOCP elsewhere) for
the duration of the wait, in one-shot style, and wakes the task.

``recv_some`` and ``send_all`` are the demonstration: a non-blocking socket read
and write built on nothing but the two waits.

Error handling
--------------
A second task waiting for the same direction of the same socket raises
:exc:`trio.BusyResourceError`. Cancelling a wait raises ``trio.Cancelled`` and
leaves nothing registered. ``trio.lowlevel.notify_closing(sock)`` wakes waiters
with :exc:`trio.ClosedResourceError` before a socket is closed. ``recv_some``
and ``send_all`` raise what the socket raises; the socket must be non-blocking.
"""

from __future__ import annotations

import socket

import trio

__all__ = ["wait_readable", "wait_writable", "recv_some", "send_all"]


async def wait_readable(sock: socket.socket) -> None:
    """Return once *sock* has data to read (or EOF, or an error to report)."""
    await trio.lowlevel.wait_readable(sock)


async def wait_writable(sock: socket.socket) -> None:
    """Return once *sock* has room in its send buffer (or an error to report)."""
    await trio.lowlevel.wait_writable(sock)


async def recv_some(sock: socket.socket, max_bytes: int = 65536) -> bytes:
    """Up to *max_bytes* from the non-blocking *sock*, waiting until there are some;
    ``b""`` at EOF."""
    while True:
        try:
            return sock.recv(max_bytes)
        except (BlockingIOError, InterruptedError):
            await wait_readable(sock)


async def send_all(sock: socket.socket, data: bytes) -> None:
    """Send all of *data* on the non-blocking *sock*, waiting for room as needed."""
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view) :]
        except (BlockingIOError, InterruptedError):
            await wait_writable(sock)
