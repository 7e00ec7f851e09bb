"""A multiplexed echo server, the Trio way: a task per connection in a nursery.

Each connection is a task running ``receive_some`` / ``send_all`` on a
:class:`trio.SocketStream`; Trio's scheduler multiplexes them on epoll. The
listener is a plain non-blocking socket with an accept loop of our own rather
than :func:`trio.serve_tcp`, for two reasons:

* **Accepting in batches.** ``serve_tcp`` (``serve_listeners``) accepts one
  connection per call to ``SocketListener.accept()``, and each call is a
  checkpoint: the accept loop runs once per scheduler batch, and a batch also
  runs every connection task that is ready. During a storm of connects the
  accept rate drops as the number of busy connections grows, the kernel's
  accept queue (``somaxconn``, 4,096 here) fills, and Linux drops the SYNs
  that do not fit; the clients retransmit them after 1 s, 3 s, 7 s, … — the
  ~10 s tail of time-to-first-reply that ``serve_tcp`` showed at 10,000
  connections. Here the loop waits for the listener to be readable once
  (:func:`trio.lowlevel.wait_readable`) and then calls ``accept()`` until
  ``EAGAIN``, like libuv.
* **Graceful shutdown** needs the handlers to outlive the cancellation of the
  accept loop by a grace period, which ``serve_listeners`` cannot do.

The backlog is ``min(65535, net.core.somaxconn)`` (:func:`listen_backlog`);
``open_tcp_listeners`` asks for 65535 as well and the kernel truncates it, so
the backlog alone is not the difference.

* **Backpressure.** A connection task does not receive again until
  ``send_all`` has handed the previous chunk to the kernel. A client that sends
  without reading fills the socket buffers and then its own ``send`` blocks;
  the server holds one chunk for it.
* **Connection limit.** Past ``max_connections`` open connections, a new one
  is sent :data:`BUSY` (``b"busy\\n"``) and closed by the accept loop itself,
  without starting a task.
* **Graceful shutdown: cancel the scope running** :func:`serve_echo`. The
  accept loop stops and the listener is closed at once. The connection tasks
  run in a nursery inside a shielded scope, so the caller's cancellation does
  not reach them; that nursery gets a deadline ``grace_period`` seconds away
  and is left. Connections that close in time end normally, the rest are
  cancelled at the deadline, and then the cancellation reaches the caller.

Error handling
--------------
A ``port`` already in use raises :exc:`OSError` with ``errno.EADDRINUSE`` and a
message naming the host and port, before ``ready`` is called; other bind and
resolution errors propagate as :exc:`OSError`. ``max_connections`` below 1, a
negative or NaN ``grace_period`` and a ``backlog`` below 1 raise
:exc:`ValueError`. A client that resets its connection ends that connection
only. ``accept()`` failing for lack of descriptors or memory (``EMFILE``,
``ENFILE``, ``ENOBUFS``, ``ENOMEM``) pauses accepting for 0.1 s, as
``serve_listeners`` does; the connection waits in the accept queue.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import trio

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

_CHUNK = 64 * 1024


async def _listen(host: str, port: int, backlog: int) -> socket.socket:
    infos = await trio.socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    return open_listener(infos[0], host, port, backlog)


class _Connections:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0


async def _echo(conn: socket.socket, connections: _Connections) -> None:
    stream = trio.SocketStream(trio.socket.from_stdlib_socket(conn))
    try:
        while True:
            data = await stream.receive_some(_CHUNK)
            if not data:
                break
            await stream.send_all(data)  # no receive until the client takes this
    except trio.BrokenResourceError:
        pass  # reset by the client
    finally:
        connections.open -= 1
        stream.socket.close()  # synchronous: nothing to flush, and safe when cancelled


async def _accept_loop(
    listener: socket.socket, handlers: trio.Nursery, connections: _Connections
) -> None:
    while True:
        await trio.lowlevel.wait_readable(listener)
        accepted, exhausted = accept_ready(listener)
        for conn, _ in accepted:
            if connections.open >= connections.limit:
                refuse(conn, BUSY)
                continue
            connections.open += 1
            handlers.start_soon(_echo, conn, connections)
        if exhausted is not None:
            await trio.sleep(RESOURCE_PAUSE)  # out of descriptors: let connections end first


async def _run_handlers(
    stopping: trio.Event,
    grace_period: float,
    *,
    task_status: trio.TaskStatus[trio.Nursery],
) -> None:
    # Shielded: cancelling serve_echo stops the accept loop but not these tasks.
    with trio.CancelScope(shield=True):
        async with trio.open_nursery() as handlers:
            task_status.started(handlers)
            await stopping.wait()
            # Leaving the block waits for the handlers; the deadline bounds that wait.
            handlers.cancel_scope.deadline = trio.current_time() + grace_period


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
    stopping = trio.Event()
    try:
        async with trio.open_nursery() as nursery:
            handlers = await nursery.start(_run_handlers, stopping, grace_period)
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
