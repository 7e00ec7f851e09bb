"""What the three FTP shells share that is neither protocol nor async: sockets, files, limits.

The protocol lives in :class:`~common.ftp.Connection`; the event loop in each
shell. What is left is plain synchronous code that would otherwise be written
three times: the server's options, the per-address connection count, binding a
passive listener inside a port range, the control socket's options, the
:class:`~common.ftp.FileSystem` over :mod:`os`, and uploads that land under
their final name only when complete.

Error handling
--------------
:class:`ServerOptions` raises :class:`ValueError` naming the field and what it
accepts. :func:`open_passive_listener` raises :class:`OSError` when no port in
the range is free (the shell answers 425). :class:`Upload` methods raise
:class:`OSError`; :meth:`Upload.discard` never does.
"""

from __future__ import annotations

import errno
import math
import os
import random
import socket
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from common.ftp._commands import format_reply
from common.ftp._connection import Config
from common.listeners import accept_ready, refuse

__all__ = [
    "IDLE_TIMEOUT_REPLY",
    "UPLOAD_BUFFERS",
    "UPLOAD_BUFFER_SIZE",
    "BufferPool",
    "OSFileSystem",
    "ServerOptions",
    "TOO_MANY_REPLY",
    "AddressLimiter",
    "Upload",
    "accept_control_connections",
    "accept_data_connection",
    "configure_control_socket",
    "finish_connect",
    "open_passive_listener",
    "password_check_slots",
    "receive_into",
    "start_connect",
]

#: Sent before closing a control connection that stayed silent past ``idle_timeout``.
IDLE_TIMEOUT_REPLY = format_reply(421, "Idle timeout; closing the control connection.")
#: Sent to a connection over ``max_connections`` or ``max_per_address``, then closed.
TOO_MANY_REPLY = format_reply(421, "Too many connections; try again later.")


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """Limits and timeouts of a server (the protocol's own settings are in ``core``).

    Timeouts are in seconds. ``passive_ports`` is an inclusive ``(first, last)``
    range for PASV/EPSV listeners (for a firewall), or ``None`` for any free port.
    """

    idle_timeout: float = 300.0  # control connection silent, no transfer running
    data_timeout: float = 30.0  # a data connection moving no byte
    passive_timeout: float = 30.0  # a passive listener nobody connects to
    max_connections: int = 1000
    max_per_address: int = 50
    passive_ports: tuple[int, int] | None = None
    core: Config = field(default_factory=Config)

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "data_timeout", "passive_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number of seconds; got {value!r}")
            if math.isnan(value) or value <= 0:
                raise ValueError(f"{name} must be a number of seconds > 0; got {value!r}")
        for name in ("max_connections", "max_per_address"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if self.passive_ports is not None:
            first, last = self.passive_ports
            if not 1024 <= first <= last <= 65535:
                raise ValueError(
                    "passive_ports must be a range FIRST-LAST with "
                    f"1024 <= FIRST <= LAST <= 65535; got {first}-{last}"
                )


def password_check_slots() -> int:
    """How many password checks a server runs at once: one per core, less the loop's own.

    A check is ~55 ms of CPU and 16 MiB (scrypt, ``n=2**14``): more at once than
    cores gains nothing and costs 16 MiB each. The shells pass this to a limiter of
    their own, so a login flood queues in the event loop instead of occupying the
    worker threads that file operations need.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


class AddressLimiter:
    """Counts open control connections, in total and per client address."""

    def __init__(self, options: ServerOptions) -> None:
        self._max_total = options.max_connections
        self._max_each = options.max_per_address
        self._per_address: Counter[str] = Counter()
        self.total = 0

    def admit(self, host: str) -> bool:
        """Count a new connection from *host*; ``False`` (nothing counted) if over a limit."""
        if self.total >= self._max_total or self._per_address[host] >= self._max_each:
            return False
        self.total += 1
        self._per_address[host] += 1
        return True

    def release(self, host: str) -> None:
        """Forget one connection from *host* (one admitted earlier)."""
        self.total -= 1
        self._per_address[host] -= 1
        if not self._per_address[host]:
            del self._per_address[host]  # bounded by open connections, not by history


def configure_control_socket(sock: socket.socket) -> None:
    """Options every shell sets on an accepted control connection.

    ``SO_OOBINLINE``: ftplib sends ABOR's Telnet IP/Synch as TCP urgent data;
    inline, that byte arrives in the stream (where the core filters it) instead
    of being left out of band. ``TCP_NODELAY``: replies are small and each one
    is awaited by the client, so Nagle's algorithm would only add delay.
    """
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def accept_control_connections(
    listener: socket.socket, limiter: AddressLimiter
) -> tuple[list[tuple[socket.socket, str]], bool]:
    """Accept until ``EAGAIN``; return the admitted ``(socket, address)`` pairs and
    whether accepting stopped for lack of resources (then pause before the next try).

    Draining the queue on each readiness event keeps a storm of connects from
    overflowing the kernel's backlog (:func:`common.listeners.accept_ready`). Connections
    over a limit are sent 421 and closed here; admitted ones are non-blocking
    and configured with :func:`configure_control_socket`.
    """
    accepted, exhausted = accept_ready(listener)
    admitted: list[tuple[socket.socket, str]] = []
    for sock, peer in accepted:
        if not limiter.admit(peer[0]):
            refuse(sock, TOO_MANY_REPLY)
            continue
        try:
            configure_control_socket(sock)
        except OSError:  # reset already
            limiter.release(peer[0])
            sock.close()
            continue
        admitted.append((sock, peer[0]))
    return admitted, exhausted is not None


def accept_data_connection(
    listener: socket.socket, allowed: Callable[[str], bool]
) -> socket.socket | None:
    """Accept a passive data connection from an *allowed* peer, or ``None`` if none waits.

    Connections from other addresses (someone racing for the port) are closed,
    and the caller goes on waiting for the client's own.

    Error handling: raises :class:`OSError` if the listener fails.
    """
    while True:
        try:
            sock, peer = listener.accept()
        except BlockingIOError:
            return None
        if allowed(peer[0]):
            sock.setblocking(False)
            return sock
        sock.close()


def start_connect(target: tuple[str, int]) -> socket.socket:
    """A non-blocking socket connecting to *target* (active mode); wait until it is
    writable, then call :func:`finish_connect`.

    Error handling: raises :class:`OSError` if the connection fails at once.
    """
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    code = sock.connect_ex(target)
    if code not in (0, errno.EINPROGRESS):
        sock.close()
        raise OSError(code, os.strerror(code))
    return sock


def finish_connect(sock: socket.socket) -> None:
    """Raise :class:`OSError` if the connection :func:`start_connect` began failed."""
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OSError(code, os.strerror(code))


def open_passive_listener(local_host: str, options: ServerOptions) -> socket.socket:
    """A non-blocking listener on the control connection's local address.

    Binding to that address (not a wildcard) means the data connection reaches
    the interface the client already uses. Within ``options.passive_ports``
    (any free port if ``None``), start at a random
    port so concurrent sessions do not all race for the first one.

    Error handling: raises :class:`OSError` if no port is free.
    """
    family = socket.AF_INET6 if ":" in local_host else socket.AF_INET
    candidates, ports = [0], options.passive_ports
    if ports is not None:
        first, last = ports
        start = random.randint(first, last)
        candidates = [*range(start, last + 1), *range(first, start)]
    for port in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((local_host, port))
            sock.listen(8)
            sock.setblocking(False)
        except OSError:
            sock.close()
            continue
        return sock
    raise OSError(f"no free passive port in {ports[0]}-{ports[1]}" if ports else "cannot listen")


#: Bytes received per thread hop when storing: with 256 KiB, the hops cost a single
#: 200 MB STOR a third of its speed (measured).
UPLOAD_BUFFER_SIZE = 1024 * 1024
#: Uploads that may hold a buffer at once (receiving into it, or its write on a thread):
#: a server's upload memory is at most this many buffers, however many clients store.
#: Each buffer was per upload: 300 parallel STORs peaked at 333 MiB (pyftpdlib: 32 MiB).
UPLOAD_BUFFERS = 8


class BufferPool:
    """Upload buffers, reused: one is taken for a fill and its write, then given back.

    Not thread-safe and not bounded itself: the shells take and give on the event
    loop, under a limiter of :data:`UPLOAD_BUFFERS`, so no more than that many
    ever exist. A buffer whose write did not finish (a cancelled thread may still
    read it) is simply not given back.
    """

    def __init__(self, size: int = UPLOAD_BUFFER_SIZE, keep: int = UPLOAD_BUFFERS) -> None:
        self.size, self._keep = size, keep
        self._free: list[memoryview] = []

    def take(self) -> memoryview:
        return self._free.pop() if self._free else memoryview(bytearray(self.size))

    def give(self, buffer: memoryview) -> None:
        if len(self._free) < self._keep:
            self._free.append(buffer)


def receive_into(sock: socket.socket, buffer: memoryview) -> tuple[int, bool]:
    """Fill *buffer* from the non-blocking *sock* until it is full, nothing more waits, or EOF.

    Returns ``(bytes received, whether the peer closed)``. Error handling: raises
    :class:`OSError` (not ``BlockingIOError``, which ends the fill) if the socket fails.
    """
    filled = 0
    while filled < len(buffer):
        try:
            got = sock.recv_into(buffer[filled:])
        except BlockingIOError:
            return filled, False
        if not got:
            return filled, True
        filled += got
    return filled, False


class OSFileSystem:
    """:class:`common.ftp.FileSystem` over :mod:`os`: metadata calls, all quick."""

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def stat(self, path: str) -> os.stat_result:
        return os.stat(path)

    def listdir(self, path: str) -> list[str]:
        return os.listdir(path)

    def mkdir(self, path: str) -> None:
        os.mkdir(path)

    def rmdir(self, path: str) -> None:
        os.rmdir(path)

    def remove(self, path: str) -> None:
        os.remove(path)

    def rename(self, src: str, dst: str) -> None:
        os.rename(src, dst)


# What mkstemp adds to the prefix ".NAME.": 8 random characters and the ".part" suffix.
_TEMP_EXTRA = len("..") + 8 + len(".part")


def _temp_prefix(directory: str, name: str) -> str:
    """``.NAME.``, with NAME cut (in bytes) so the temporary name fits the directory's limit.

    Any name the file system accepts can then be stored: a 255-byte name would
    otherwise get a 270-byte temporary name and fail with ENAMETOOLONG.
    """
    try:
        limit = os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = -1
    room = (limit if limit > 0 else 255) - _TEMP_EXTRA
    encoded = os.fsencode(name)
    if len(encoded) > room:
        # A UTF-8 sequence cut in two decodes to surrogates and encodes back unchanged.
        name = os.fsdecode(encoded[: max(room, 0)])
    return f".{name}."


class Upload:
    """An upload written to a temporary file beside *path*, renamed over it when complete.

    An interrupted STOR therefore never leaves a half-written file under the
    final name, and a file being replaced stays intact until the new one is
    whole. For REST (*offset* > 0) and APPE the temporary file starts as a copy
    of the existing file's first *offset* bytes (or all of it). Call from a
    worker thread: the copy and every write may block on the disk.

    Error handling: the constructor, :meth:`write` and :meth:`commit` raise
    :class:`OSError` (the temporary file is removed if the constructor fails);
    the constructor also raises it when *offset* lies beyond the end of the
    file or the file is missing (REST), rather than write at another offset.
    :meth:`discard` never raises.
    """

    def __init__(self, path: str, offset: int, append: bool) -> None:
        self.path = path
        directory, name = os.path.split(path)
        fd, self.temp_path = tempfile.mkstemp(
            prefix=_temp_prefix(directory, name), suffix=".part", dir=directory
        )
        self._file = os.fdopen(fd, "wb", buffering=0)
        try:
            if append or offset:
                try:
                    with open(path, "rb") as old:
                        size = os.fstat(old.fileno()).st_size
                        if not append and offset > size:  # it shrank since the core checked
                            raise OSError(errno.EINVAL, f"REST {offset} beyond the end ({size})")
                        keep = size if append else offset
                        while keep:
                            done = os.copy_file_range(old.fileno(), fd, keep)
                            if not done:
                                break
                            keep -= done
                except FileNotFoundError:
                    if not append:
                        raise  # REST on a file gone since the core checked it: never offset 0
        except BaseException:
            self.discard()
            raise

    def write(self, data: bytes | memoryview) -> None:
        """Append *data* (all of it: a raw write may take only part)."""
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) or 0 :]

    def commit(self) -> None:
        """Rename the complete temporary file over the final name."""
        os.fchmod(self._file.fileno(), 0o644)  # mkstemp creates it 0600
        self._file.close()
        os.replace(self.temp_path, self.path)

    def discard(self) -> None:
        """Close and remove the temporary file (an aborted or failed upload)."""
        try:
            self._file.close()
            os.unlink(self.temp_path)
        except OSError:
            pass
