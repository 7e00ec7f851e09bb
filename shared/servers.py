"""A multiplexed echo server on AnyIO: a task per connection in a task group.

The same server as ``impl_trio.servers``, written once for every AnyIO backend
(asyncio, asyncio on uvloop, Trio). Each connection is a task running ``recv``
/ ``send`` on its non-blocking socket, waiting with :func:`anyio.wait_readable`
and :func:`anyio.wait_writable`. The listener is a
plain non-blocking socket with an accept loop of our own rather than
``anyio.create_tcp_listener(...).serve(handler)``, for two reasons:

* **Accepting in batches.** ``serve`` awaits ``accept()`` once per connection,
  and each ``accept()`` is a checkpoint plus, on asyncio, a ``sock_accept``
  future: one connection per pass of the event loop. During a storm of
  connects the kernel's accept queue (``somaxconn``, 4,096 here) fills faster
  than that, Linux drops the SYNs that do not fit, and their clients retransmit
  after 1 s, 3 s, 7 s, … — the ~10 s tail of time-to-first-reply that an AnyIO
  listener showed at 10,000 connections. Here the loop waits for the listener
  once (:func:`anyio.wait_readable`) and then calls ``accept()`` until
  ``EAGAIN``, like libuv, and starts the handler tasks only after that
  (starting a task costs ten times an ``accept()``).
* **Graceful shutdown** needs the connection tasks to outlive the cancellation
  of the accept loop by a grace period.

The backlog is ``min(65535, net.core.somaxconn)`` (:func:`listen_backlog`);
``create_tcp_listener`` asks for 65536 and the kernel truncates it to
``somaxconn`` as well, so the backlog alone is not the difference.

* **Backpressure.** A connection task calls ``recv`` on the non-blocking socket
  and does not call it again until ``send`` has handed the whole chunk to the
  kernel, waiting with :func:`anyio.wait_writable` when the socket buffer is
  full. A client that sends without reading fills the socket buffers and then
  its own ``send`` blocks; the server holds one chunk for it. (AnyIO's
  ``SocketStream`` on uvloop does not bound this: see ``_echo``.)
* **Connection limit.** Past ``max_connections`` open connections, a new one
  is sent :data:`BUSY` (``b"busy\\n"``) and closed by the accept loop itself,
  without starting a task.
* **Graceful shutdown: cancel the scope running** :func:`serve_echo`. The
  accept loop stops and the listener is closed at once. The connection tasks
  run in a task group inside a shielded scope, so the caller's cancellation
  does not reach them; that group gets a deadline ``grace_period`` seconds
  away and is left. Connections that close in time end normally, the rest are
  cancelled at the deadline, and then the cancellation reaches the caller.

Error handling
--------------
A ``port`` already in use raises :exc:`OSError` with ``errno.EADDRINUSE`` and a
message naming the host and port, before ``ready`` is called; other bind and
resolution errors propagate as :exc:`OSError`. ``max_connections`` below 1, a
negative or NaN ``grace_period`` and a ``backlog`` below 1 raise
:exc:`ValueError`. A client that resets its connection ends that connection
only. ``accept()`` failing for lack of descriptors or memory (``EMFILE``,
``ENFILE``, ``ENOBUFS``, ``ENOMEM``) pauses accepting for 0.1 s; the connection
waits in the accept queue.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Callable

import anyio
import anyio.abc
import anyio.lowlevel

from common.checks import check_count, check_seconds
from common.listeners import (
    BUSY,
    RESOURCE_PAUSE,
    accept_ready,
    listen_backlog,
    open_listener,
    refuse,
)

__all__ = ["BUSY", "listen_backlog", "serve_echo"]

# Handler tasks started between two drains of the listener (see _accept_loop).
_SPAWN_CHUNK = 256
_CHUNK = 64 * 1024


async def _listen(host: str, port: int, backlog: int) -> socket.socket:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return open_listener(infos[0], host, port, backlog)


class _Connections:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0


async def _echo(conn: socket.socket, connections: _Connections) -> None:
    # The socket itself, not an anyio SocketStream: on asyncio, AnyIO's stream protocol
    # pauses reading only when the receiving task wakes up, and uvloop reads up to 32
    # times 256 KiB per readiness event before that, so a client that never reads
    # could park 8 MiB in the queue (measured: tests/test_servers.py, backpressure).
    try:
        while True:
            try:
                data = conn.recv(_CHUNK)
            except BlockingIOError:
                await anyio.wait_readable(conn)
                continue
            if not data:
                break  # the client is done sending; all of its echo has been sent
            view = memoryview(data)
            waited = False
            while view:
                try:
                    view = view[conn.send(view) :]
                except BlockingIOError:
                    await anyio.wait_writable(conn)  # no recv until the client takes this
                    waited = True
            if not waited:
                await anyio.lowlevel.checkpoint()  # a client that never pauses must not hog
    except ConnectionError:
        pass  # reset by the client
    finally:
        connections.open -= 1
        conn.close()


async def _accept_loop(
    listener: socket.socket, handlers: anyio.abc.TaskGroup, connections: _Connections
) -> None:
    # Accepting has priority over starting handler tasks. An accept() is a few microseconds;
    # a start_soon() on the asyncio backend about 40 (measured: one drain of 9,934 accepts
    # took 480 ms). Spawning as each connection came in ran the kernel's accept queue
    # (somaxconn, 4,096) over whenever the server's core was shared (319-688 SYNs dropped,
    # time-to-first-reply p99 1.7-2.1 s). So the queue is emptied into `pending` first,
    # and the listener is drained again after every _SPAWN_CHUNK tasks started.
    pending: deque[socket.socket] = deque()
    try:
        while True:
            await anyio.wait_readable(listener)
            while True:
                await _drain(listener, pending)
                if not pending:
                    break
                for _ in range(min(_SPAWN_CHUNK, len(pending))):
                    conn = pending.popleft()
                    if connections.open >= connections.limit:
                        refuse(conn, BUSY)
                        continue
                    connections.open += 1
                    handlers.start_soon(_echo, conn, connections)
    finally:
        for conn in pending:  # accepted but never started: cancelled before its turn
            conn.close()


async def _drain(listener: socket.socket, pending: deque[socket.socket]) -> None:
    """Accept until ``EAGAIN``, appending to *pending*."""
    accepted, exhausted = accept_ready(listener)
    pending.extend(conn for conn, _ in accepted)
    if exhausted is not None:
        await anyio.sleep(RESOURCE_PAUSE)  # out of descriptors: let connections end first


async def _run_handlers(
    stopping: anyio.Event,
    grace_period: float,
    *,
    task_status: anyio.abc.TaskStatus[anyio.abc.TaskGroup],
) -> None:
    # Shielded: cancelling serve_echo stops the accept loop but not these tasks.
    with anyio.CancelScope(shield=True):
        async with anyio.create_task_group() as handlers:
            task_status.started(handlers)
            await stopping.wait()
            # Leaving the block waits for the handlers; the deadline bounds that wait.
            handlers.cancel_scope.deadline = anyio.current_time() + grace_period


async def serve_echo(
    host: str,
    port: int,
    *,
    max_connections: int = 10_000,
    ready: Callable[[str, int], object] | None = None,
    grace_period: float = 5.0,
    backlog: int | None = None,
) -> None:
    """Echo every byte back to its sender until the enclosing scope is cancelled.

    ``ready(host, port)`` is called once with the bound address (``port=0``
    binds an ephemeral port). Cancellation is the shutdown: stop accepting,
    serve open connections for up to ``grace_period`` seconds, cancel the rest,
    let the cancellation go on.
    """
    check_count("max_connections", max_connections, minimum=1)
    grace_period = check_seconds("grace_period", grace_period)
    backlog = listen_backlog() if backlog is None else check_count("backlog", backlog, minimum=1)
    listener = await _listen(host, port, backlog)
    connections = _Connections(max_connections)
    stopping = anyio.Event()
    try:
        async with anyio.create_task_group() as tg:
            handlers = await tg.start(_run_handlers, stopping, grace_period)
            try:
                if ready is not None:
                    bound_host, bound_port = listener.getsockname()[:2]
                    ready(bound_host, bound_port)
                await _accept_loop(listener, handlers, connections)
            finally:
                listener.close()  # no task waits on it: the loop above has ended
                stopping.set()
    finally:
        listener.close()
