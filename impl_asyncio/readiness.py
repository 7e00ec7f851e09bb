"""Readiness, the asyncio way: a callback, ``loop.add_reader``, turned into an await.

Under every coroutine API sits a readiness loop (``fromscratch.reactor`` is one). asyncio
exposes it as callbacks: ``loop.add_reader(fd, callback)`` calls *callback* on the
loop each time *fd* is readable, until ``loop.remove_reader(fd)``. To *await*
readiness, register a callback that resolves a Future, await the Future, and
unregister whatever happens (a cancelled waiter must not leave its callback behind).
uvloop implements ``add_reader``/``add_writer`` too, on libuv's ``uv_poll_t``.

Two sharp edges of the raw API, handled here:

* asyncio keeps **one** reader and one writer per descriptor: a second
  ``add_reader`` silently replaces the first, whose waiter would then never wake.
  :func:`wait_readable` refuses a second waiter with :exc:`RuntimeError`, as
  Trio and AnyIO do with ``BusyResourceError``.
* ``add_reader`` is level-triggered and repeats: the callback must remove itself
  (here the ``finally`` does) or it runs on every loop iteration.

``recv_some`` and ``send_all`` are the demonstration: a non-blocking socket read
and write built on nothing but the two waits, as ``loop.sock_recv`` and
``loop.sock_sendall`` are.

Error handling
--------------
A second waiter for the same direction of the same socket raises
:exc:`RuntimeError`. Cancelling a wait unregisters its callback. ``recv_some``
and ``send_all`` raise what the socket raises (``ConnectionResetError``,
``BrokenPipeError``); the socket must be non-blocking.
"""

from __future__ import annotations

import asyncio
import socket
import weakref

__all__ = ["wait_readable", "wait_writable", "recv_some", "send_all"]

# The descriptors each loop has a waiter on, per direction: the check asyncio lacks.
_waiting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[tuple[int, str]]] = (
    weakref.WeakKeyDictionary()
)


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():  # it may have been cancelled in the same loop iteration
        fut.set_result(None)


async def _wait(sock: socket.socket, direction: str) -> None:
    loop = asyncio.get_running_loop()
    fd = sock.fileno()
    busy = _waiting.setdefault(loop, set())
    if (fd, direction) in busy:
        raise RuntimeError(f"another task is already waiting for fd {fd} to be {direction}")
    fut = loop.create_future()
    if direction == "readable":
        loop.add_reader(fd, _wake, fut)
    else:
        loop.add_writer(fd, _wake, fut)
    busy.add((fd, direction))
    try:
        await fut
    finally:
        busy.discard((fd, direction))
        if direction == "readable":
            loop.remove_reader(fd)
        else:
            loop.remove_writer(fd)


async def wait_readable(sock: socket.socket) -> None:
    """Return once *sock* has data to read (or EOF, or an error to report)."""
    await _wait(sock, "readable")


async def wait_writable(sock: socket.socket) -> None:
    """Return once *sock* has room in its send buffer (or an error to report)."""
    await _wait(sock, "writable")


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
