"""Listening sockets, the same for every server in the project: bind, listen, accept.

The three columns' echo servers and FTP shells, the from-scratch reactor and the
I/O models differ in how they *wait* for a listener to become readable; what they
do once it is readable is plain socket code, written once here:

* :func:`open_listener` binds and listens, naming the port when it is in use;
* :func:`host_port` writes an address the way every message here does;
* :func:`listen_backlog` is the largest backlog the kernel takes;
* :func:`accept_ready` accepts until ``EAGAIN`` with one policy for failures;
* :func:`refuse` tells a connection over a limit why it is closed (:data:`BUSY`);
* :func:`raise_fd_limit` lifts the descriptor limit that many connections hit.

Error handling
--------------
:func:`open_listener` raises :exc:`OSError` naming the host and port, and closes
the socket on every failure. :func:`accept_ready` never raises for a client that
gave up (``ECONNABORTED``) or for lack of descriptors or memory (it reports
that); any other failure of ``accept()`` propagates.
"""

from __future__ import annotations

import contextlib
import errno
import resource
import socket
from typing import Any

__all__ = [
    "ACCEPT_BATCH",
    "BUSY",
    "RESOURCE_ERRNOS",
    "RESOURCE_PAUSE",
    "accept_ready",
    "host_port",
    "listen_backlog",
    "listener_address",
    "open_listener",
    "raise_fd_limit",
    "refuse",
]

BUSY = b"busy\n"
"""What an echo connection over the limit receives before it is closed."""

# Accepts per readiness event: in effect "until EAGAIN", like libuv. The accept queue holds
# at most somaxconn connections, and a cap of 256 or 1,024 per wake-up still let it
# overflow at 10,000 connects (1,700-2,800 SYNs dropped, p99 2-3 s); the cap only bounds a
# pathological flood.
ACCEPT_BATCH = 65535

#: ``accept()`` failures that mean "out of descriptors or memory": stop accepting for
#: :data:`RESOURCE_PAUSE` seconds (connections wait in the kernel's queue) instead of
#: spinning on a listener that stays readable.
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
RESOURCE_PAUSE = 0.1

AddressInfo = tuple[int, int, int, str, tuple[Any, ...]]


def listen_backlog() -> int:
    """The largest listen backlog the kernel accepts: ``min(65535, net.core.somaxconn)``.

    Linux silently truncates a larger value to ``somaxconn``; 65535 is the cap because
    some kernels keep the backlog in 16 bits. A storm of connects needs the whole queue.
    """
    try:
        with open("/proc/sys/net/core/somaxconn", encoding="ascii") as f:
            somaxconn = int(f.read())
    except (OSError, ValueError):
        somaxconn = socket.SOMAXCONN
    return max(1, min(65535, somaxconn))


def raise_fd_limit() -> int:
    """Raise this process's soft ``RLIMIT_NOFILE`` to the hard limit; return the new soft
    limit. Many connections need many descriptors, and the soft limit is often 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # e.g. hard = infinity beyond nr_open
            pass
    return soft


def host_port(host: str, port: int) -> str:
    """``HOST:PORT``, an IPv6 address in brackets (``[::1]:2121``) as in a URL."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listener_address(host: str, port: int) -> AddressInfo:
    """A ``getaddrinfo``-shaped entry for *host* without a lookup: IPv6 if it has a colon.

    For the synchronous servers, which take a literal address; the event-loop servers
    resolve *host* with their loop's ``getaddrinfo`` instead.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return (family, socket.SOCK_STREAM, 0, "", (host, port))


def open_listener(
    address_info: AddressInfo, host: str, port: int, backlog: int, *, blocking: bool = False
) -> socket.socket:
    """A listening socket (non-blocking unless *blocking*) for one ``getaddrinfo`` entry.

    Error handling
    --------------
    A port in use raises :exc:`OSError` with ``errno.EADDRINUSE`` and the message
    ``cannot listen on HOST:PORT: port PORT is in use``; any other failure to bind
    raises :exc:`OSError` with its errno and a message naming the host and port
    (:func:`host_port`: an IPv6 host in brackets). The socket is closed on every failure.
    """
    family, kind, proto, _, address = address_info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = f"port {port} is in use"
            else:
                reason = exc.strerror or str(exc)
            where = host_port(host, port)
            raise OSError(exc.errno, f"cannot listen on {where}: {reason}") from None
        sock.listen(backlog)
        sock.setblocking(blocking)
    except BaseException:
        sock.close()
        raise
    return sock


def accept_ready(
    listener: socket.socket, limit: int = ACCEPT_BATCH
) -> tuple[list[tuple[socket.socket, Any]], OSError | None]:
    """Accept until ``EAGAIN`` (at most *limit*); return the new non-blocking sockets
    with their peer addresses, and the resource error that stopped accepting, if any.

    One policy for every server: a client that gave up while queued
    (``ECONNABORTED``) is skipped; a failure in :data:`RESOURCE_ERRNOS` ends the batch
    and is returned, and the caller waits :data:`RESOURCE_PAUSE` before accepting
    again; any other error propagates (the sockets accepted so far are closed first).
    """
    accepted: list[tuple[socket.socket, Any]] = []
    for _ in range(limit):
        try:
            sock, peer = listener.accept()
        except (BlockingIOError, InterruptedError):
            break
        except OSError as exc:
            if exc.errno == errno.ECONNABORTED:
                continue  # gone before we got to it
            if exc.errno in RESOURCE_ERRNOS:
                return accepted, exc
            for sock, _ in accepted:
                sock.close()
            raise
        sock.setblocking(False)  # accept() hands out a blocking socket
        accepted.append((sock, peer))
    return accepted, None


def refuse(sock: socket.socket, message: bytes) -> None:
    """Send *message* to a connection that will not be served, and close it.

    A few bytes fit in an empty socket buffer, so the send does not block; a client
    that is gone already is not an error.
    """
    with contextlib.suppress(OSError):
        sock.send(message)
    sock.close()
