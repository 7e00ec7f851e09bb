"""Readiness on AnyIO: ``await anyio.wait_readable(sock)``, on asyncio or Trio.

AnyIO 4.7 replaced ``wait_socket_readable(sock)`` (now deprecated) with
``wait_readable(obj)``, which takes a socket or any object with ``fileno()``, or
the descriptor itself. On Trio it is ``trio.lowlevel.wait_readable``; on asyncio
it is ``loop.add_reader`` with a Future, much as ``impl_asyncio.readiness`` does
by hand (on Windows' Proactor loop, which has no ``add_reader``, it falls back to
a selector thread).

``recv_some`` and ``send_all`` are the demonstration: a non-blocking socket read
and write built on nothing but the two waits.

Error handling
--------------
A second task waiting for the same direction of the same socket raises
:exc:`anyio.BusyResourceError` on every backend. Cancelling a wait leaves nothing
registered. ``anyio.notify_closing(sock)`` wakes waiters with
:exc:`anyio.ClosedResourceError` before a socket is closed. ``recv_some`` and
``send_all`` raise what the socket raises; the socket must be non-blocking.
"""

from __future__ import annotations

import socket

import anyio

__all__ = ["wait_readable", "wait_writable", "recv_some", "send_all"]


async def wait_readable(sock: socket.socket) -> None:
    """Return once *sock* has data to read (or EOF, or an error to report)."""
    await anyio.wait_readable(sock)


async def wait_writable(sock: socket.socket) -> None:
    """Return once *sock* has room in its send buffer (or an error to report)."""
    await anyio.wait_writable(sock)


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
