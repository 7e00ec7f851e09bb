"""A multiplexed echo server, the asyncio way: a ``Protocol`` on ``loop.create_server``.

One event loop serves every connection. There is no task per connection: the
loop calls the :class:`asyncio.Protocol` of a connection back (``data_received``,
``connection_lost``) when its socket is ready, and the protocol answers with
``transport.write``, which never blocks. This is the shape of uvloop's own echo
benchmark, and it runs unchanged on uvloop (``transport``, ``pause_reading`` and
the write-buffer limits are the same API there).

* **Accepting in batches.** The listening socket is opened with the largest
  backlog the kernel takes, ``min(65535, net.core.somaxconn)``
  (:func:`listen_backlog`). asyncio's selector loop then accepts up to
  ``backlog`` connections each time the listener is readable, and libuv (uvloop)
  accepts until ``EAGAIN``: a connection storm is taken off the kernel's accept
  queue in one go instead of one connection per loop iteration. (``start_server``
  and ``create_server`` default to a backlog of 100, which is also their batch.)
* **Backpressure.** ``data_received`` writes straight back. When the transport's
  write buffer passes :data:`_HIGH_WATER` (the client is not reading),
  ``pause_writing`` pauses *reading* from that client; ``resume_writing`` resumes
  it once the buffer has drained below a quarter of that. So a client that sends
  without reading makes the server hold at most the high-water mark plus one
  read, and then the kernel's socket buffers fill and the client's ``send``
  blocks.
* **Connection limit.** Past ``max_connections`` open connections, a new one is
  accepted, sent :data:`BUSY` (``b"busy\\n"``) and closed: the client learns why,
  instead of hanging in the accept queue.
* **Graceful shutdown: cancel the task running** :func:`serve_echo`. It stops
  accepting (the listening socket is closed at once), keeps serving the open
  connections for ``grace_period`` seconds or until they have all closed, then
  aborts the rest, and re-raises the :exc:`asyncio.CancelledError`. During the
  grace period the open connections are served as before, so a client that has
  a message in flight gets its echo and can close.

Error handling
--------------
A ``port`` already in use raises :exc:`OSError` with ``errno.EADDRINUSE`` and a
message naming the host and port, before ``ready`` is called; other bind and
resolution errors propagate as :exc:`OSError`. ``max_connections`` below 1, a
negative or NaN ``grace_period`` and a ``backlog`` below 1 raise
:exc:`ValueError`. A client that resets its connection only ends that
connection. An exception raised by ``ready`` propagates after the listener is
closed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import cast

from common.checks import check_count, check_seconds
from common.listeners import BUSY, listen_backlog, open_listener

__all__ = ["BUSY", "listen_backlog", "serve_echo"]

# Pause reading from a client once this much echo is waiting to be sent to it.
_HIGH_WATER = 64 * 1024


async def _listen(host: str, port: int, backlog: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return open_listener(infos[0], host, port, backlog)


class _Connections:
    """The open connections of one server, and an event for "none left"."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: set[asyncio.Transport] = set()
        self.none_open = asyncio.Event()
        self.none_open.set()


class _EchoProtocol(asyncio.Protocol):
    def __init__(self, connections: _Connections) -> None:
        self._connections = connections
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        connections = self._connections
        if len(connections.open) >= connections.limit:
            transport.write(BUSY)  # fits in an empty socket buffer: written at once
            transport.close()
            return
        self._transport = transport
        connections.open.add(transport)
        connections.none_open.clear()
        transport.set_write_buffer_limits(high=_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def eof_received(self) -> bool:
        return False  # the client is done sending: close once the echo is flushed

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is None:
            return
        connections = self._connections
        connections.open.discard(self._transport)
        if not connections.open:
            connections.none_open.set()
        self._transport = None


async def serve_echo(
    host: str,
    port: int,
    *,
    max_connections: int = 10_000,
    ready: Callable[[str, int], object] | None = None,
    grace_period: float = 5.0,
    backlog: int | None = None,
) -> None:
    """Echo every byte back to its sender until this task is cancelled.

    ``ready(host, port)`` is called once with the bound address (``port=0``
    binds an ephemeral port). Cancelling the task is the shutdown: stop
    accepting, serve open connections for up to ``grace_period`` seconds, abort
    the rest, re-raise the cancellation.
    """
    check_count("max_connections", max_connections, minimum=1)
    grace_period = check_seconds("grace_period", grace_period)
    backlog = listen_backlog() if backlog is None else check_count("backlog", backlog, minimum=1)
    loop = asyncio.get_running_loop()
    sock = await _listen(host, port, backlog)
    connections = _Connections(max_connections)
    try:
        # backlog is passed again: create_server calls listen() itself, and asyncio's
        # selector loop uses it as the number of accepts per readiness event.
        server = await loop.create_server(
            lambda: _EchoProtocol(connections), sock=sock, backlog=backlog
        )
    except BaseException:
        sock.close()
        raise
    try:
        if ready is not None:
            bound_host, bound_port = sock.getsockname()[:2]
            ready(bound_host, bound_port)
        await loop.create_future()  # until cancelled
    finally:
        server.close()  # stop accepting; open connections are left alone
        try:
            async with asyncio.timeout(grace_period):
                await connections.none_open.wait()
        except TimeoutError:
            pass
        finally:
            for transport in list(connections.open):
                transport.abort()
            await server.wait_closed()
            # abort() reports connection_lost with call_soon: let it run.
            await asyncio.sleep(0)
