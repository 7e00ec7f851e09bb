"""A small reactor: a callback event loop over ``select``, ``poll`` or ``epoll``.

Standard library only; no asyncio, no Trio. It is what an event loop is once the
coroutines are taken away: a table of "call this when that descriptor is ready",
a clock for "call this later", and one system call that waits for readiness.
The waiting call is pluggable by name so the three can be compared, and each
mechanism calls its system call directly, so its cost is visible in the code:

``select``
    :func:`select.select` takes the *whole* interest set on every call: three
    lists that CPython copies into ``fd_set`` bitmaps and the kernel scans
    descriptor by descriptor, then returns lists the caller scans again. An
    ``fd_set`` is a fixed bitmap of ``FD_SETSIZE`` (1024 on Linux) bits, so a
    descriptor numbered 1024 or more cannot be waited for at all: registering
    one raises :exc:`FDSetSizeError` here, up front, instead of a bare
    ``ValueError: filedescriptor out of range in select()`` later.
``poll``
    :class:`select.poll` keeps the interest set in user space and passes an array
    of ``pollfd`` to the kernel on every call: no fixed limit, but the kernel
    still walks every entry each time, so the cost grows with the number of
    *watched* descriptors, ready or not.
``epoll``
    :class:`select.epoll` keeps the interest set *in the kernel*
    (``epoll_ctl`` on register/modify/unregister); ``epoll_wait`` returns only
    the descriptors that are ready, so a call costs about the same with ten
    idle descriptors or ten thousand. Level-triggered here, like the others.

:func:`serve_echo` is a complete echo server on the reactor: batched accepts, a
connection limit, bounded per-connection buffers (backpressure) and a stop
event. ``async-rosetta serve echo --impl reactor-epoll|reactor-poll|reactor-select``
runs it; ``async-rosetta bench io-models`` measures one loop iteration of each
mechanism against the number of idle descriptors.

Error handling
--------------
An exception from a callback is never swallowed: the reactor logs it on the
``shared.reactor`` logger together with the descriptor, stops watching that
descriptor (reading and writing), and calls the ``on_error`` the callback was
registered with (the echo server closes the connection there). Without an
``on_error`` the exception propagates out of :meth:`Reactor.run_once`. A
``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
``SystemExit``) always propagates.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import logging
import resource
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "FD_SETSIZE",
    "MECHANISMS",
    "EVENT_READ",
    "EVENT_WRITE",
    "BUSY",
    "FDSetSizeError",
    "Mechanism",
    "SelectMechanism",
    "PollMechanism",
    "EpollMechanism",
    "make_mechanism",
    "Reactor",
    "Timer",
    "serve_echo",
    "listen_backlog",
    "open_listener",
    "raise_fd_limit",
]

logger = logging.getLogger(__name__)

FD_SETSIZE = 1024
"""The size of glibc's ``fd_set`` bitmap: ``select`` cannot watch a descriptor >= this."""

MECHANISMS = ("select", "poll", "epoll")

EVENT_READ = 1
EVENT_WRITE = 2

BUSY = b"busy\n"
"""What a connection over the limit receives before it is closed (as in ``servers.py``)."""

# The echo server's tuning, with the reason for each number.
# Accepts per readiness event: in effect "until EAGAIN", like libuv. A cap of 256 let the
# accept queue (somaxconn, 4,096) overflow in a 10,000-connect storm; the cap only bounds
# a pathological flood.
ACCEPT_BATCH = 65535
RECV_SIZE = 64 * 1024
HIGH_WATER = 64 * 1024  # stop reading from a client whose unsent echo exceeds this ...
LOW_WATER = 16 * 1024  # ... and resume once it has drained below this
STOP_CHECK = 0.1  # seconds: the longest the loop waits before looking at ``stop``
EMFILE_PAUSE = 0.1  # out of descriptors: stop accepting this long, then try again


class FDSetSizeError(ValueError):
    """A descriptor too large for ``select``: its ``fd_set`` holds only FD_SETSIZE bits."""

    def __init__(self, fd: int) -> None:
        super().__init__(
            f"file descriptor {fd} is >= FD_SETSIZE ({FD_SETSIZE}): select() cannot watch it. "
            "Use the 'poll' or 'epoll' mechanism, which have no such limit."
        )
        self.fd = fd


# -- the three readiness mechanisms ---------------------------------------------------------


class Mechanism(Protocol):
    """Wait for readiness: the one system call a reactor is built around.

    ``events`` is a mask of :data:`EVENT_READ` and :data:`EVENT_WRITE`. ``poll``
    returns ``(fd, mask)`` for every ready descriptor; an error or hang-up is
    reported as both readable and writable, so the next ``recv``/``send`` raises
    or returns ``b""`` and the owner finds out.
    """

    name: str

    def register(self, fd: int, events: int) -> None: ...
    def modify(self, fd: int, events: int) -> None: ...
    def unregister(self, fd: int) -> None: ...
    def poll(self, timeout: float | None) -> list[tuple[int, int]]: ...
    def close(self) -> None: ...


class SelectMechanism:
    """``select.select``: the interest set is re-sent, and re-scanned, on every call."""

    name = "select"

    def __init__(self) -> None:
        self._readers: set[int] = set()
        self._writers: set[int] = set()

    def register(self, fd: int, events: int) -> None:
        if fd >= FD_SETSIZE:
            raise FDSetSizeError(fd)
        self.modify(fd, events)

    def modify(self, fd: int, events: int) -> None:
        for wanted, fds in ((EVENT_READ, self._readers), (EVENT_WRITE, self._writers)):
            if events & wanted:
                fds.add(fd)
            else:
                fds.discard(fd)

    def unregister(self, fd: int) -> None:
        self._readers.discard(fd)
        self._writers.discard(fd)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        if not self._readers and not self._writers:
            # select() with three empty lists is just a sleep; say so rather than rely on it.
            if timeout is not None:
                time.sleep(timeout)
            return []
        # The kernel gets two bitmaps built from these lists on every call, O(highest fd).
        readable, writable, _ = select.select(self._readers, self._writers, [], timeout)
        ready: dict[int, int] = {}
        for fd in readable:
            ready[fd] = EVENT_READ
        for fd in writable:
            ready[fd] = ready.get(fd, 0) | EVENT_WRITE
        return list(ready.items())

    def close(self) -> None:
        self._readers.clear()
        self._writers.clear()


class PollMechanism:
    """``select.poll``: no size limit, but every call passes and scans every watched fd."""

    name = "poll"
    _IN = select.POLLIN | select.POLLPRI
    _OUT = select.POLLOUT
    _FAIL = select.POLLERR | select.POLLHUP | select.POLLNVAL

    def __init__(self) -> None:
        self._poll = select.poll()

    def _mask(self, events: int) -> int:
        return (self._IN if events & EVENT_READ else 0) | (self._OUT if events & EVENT_WRITE else 0)

    def register(self, fd: int, events: int) -> None:
        self._poll.register(fd, self._mask(events))

    def modify(self, fd: int, events: int) -> None:
        self._poll.modify(fd, self._mask(events))

    def unregister(self, fd: int) -> None:
        self._poll.unregister(fd)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        # poll() takes milliseconds; round up so a short wait is never a busy spin.
        ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
        return [(fd, self._events(mask)) for fd, mask in self._poll.poll(ms)]

    def _events(self, mask: int) -> int:
        if mask & self._FAIL:
            return EVENT_READ | EVENT_WRITE
        return (EVENT_READ if mask & self._IN else 0) | (EVENT_WRITE if mask & self._OUT else 0)

    def close(self) -> None:
        pass  # a poll object holds no descriptor of its own


class EpollMechanism:
    """``select.epoll``: the interest set lives in the kernel; only ready fds come back."""

    name = "epoll"
    _IN = select.EPOLLIN | select.EPOLLPRI
    _OUT = select.EPOLLOUT
    _FAIL = select.EPOLLERR | select.EPOLLHUP

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._registered = 0

    def _mask(self, events: int) -> int:
        return (self._IN if events & EVENT_READ else 0) | (self._OUT if events & EVENT_WRITE else 0)

    def register(self, fd: int, events: int) -> None:
        self._epoll.register(fd, self._mask(events))
        self._registered += 1

    def modify(self, fd: int, events: int) -> None:
        self._epoll.modify(fd, self._mask(events))

    def unregister(self, fd: int) -> None:
        self._epoll.unregister(fd)
        self._registered -= 1

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        # maxevents=-1 is *not* "no limit" in CPython: it is FD_SETSIZE - 1 = 1023. With
        # 10,000 busy clients the listener then came back only every ~10th call, behind
        # the clients; ask for as many events as there are fds (as selectors.EpollSelector).
        ready = self._epoll.poll(-1 if timeout is None else timeout, max(1, self._registered))
        return [(fd, self._events(mask)) for fd, mask in ready]

    def _events(self, mask: int) -> int:
        if mask & self._FAIL:
            return EVENT_READ | EVENT_WRITE
        return (EVENT_READ if mask & self._IN else 0) | (EVENT_WRITE if mask & self._OUT else 0)

    def close(self) -> None:
        self._epoll.close()


def make_mechanism(name: str) -> Mechanism:
    """The mechanism called *name*: ``"select"``, ``"poll"`` or ``"epoll"``.

    Error handling
    --------------
    An unknown name raises :exc:`ValueError` listing the names; ``"epoll"`` where
    the platform has none (not Linux) raises :exc:`ValueError` too.
    """
    if name == "select":
        return SelectMechanism()
    if name == "poll":
        return PollMechanism()
    if name == "epoll":
        if not hasattr(select, "epoll"):
            raise ValueError("epoll is Linux only; use 'poll' or 'select'")
        return EpollMechanism()
    raise ValueError(f"unknown mechanism {name!r}; choose from: {', '.join(MECHANISMS)}")


# -- the reactor ----------------------------------------------------------------------------


@dataclass(order=True)
class Timer:
    """A call scheduled by :meth:`Reactor.call_later`; ``cancel()`` it to drop it."""

    when: float
    seq: int
    callback: Callable[[], object] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class _Watch:
    """What the reactor knows about one descriptor."""

    reader: Callable[[], object] | None = None
    writer: Callable[[], object] | None = None
    on_error: Callable[[BaseException], object] | None = None

    @property
    def events(self) -> int:
        return (EVENT_READ if self.reader else 0) | (EVENT_WRITE if self.writer else 0)


class Reactor:
    """Call a function when a descriptor is ready, or when a delay has passed.

    One reader and one writer per descriptor (a second ``add_reader`` replaces
    the first, as in asyncio). Not thread-safe: use it from the thread that
    runs it.
    """

    def __init__(self, mechanism: str = "epoll") -> None:
        self._mechanism = make_mechanism(mechanism)
        self._watches: dict[int, _Watch] = {}
        self._first: set[int] = set()  # fds whose callbacks run before the others'
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self.iterations = 0  # run_once calls so far
        self.dispatched = 0  # callbacks run so far (readiness and timers)

    @property
    def mechanism(self) -> str:
        return self._mechanism.name

    def __len__(self) -> int:
        """The number of watched descriptors."""
        return len(self._watches)

    # -- readiness ----------------------------------------------------------------------

    def add_reader(
        self,
        fd: int,
        callback: Callable[[], object],
        *,
        on_error: Callable[[BaseException], object] | None = None,
        first: bool = False,
    ) -> None:
        """Call *callback* whenever *fd* is readable.

        With ``first=True`` it runs before the callbacks of the other descriptors
        that are ready in the same iteration (a listener: take new connections off
        the kernel's accept queue before serving the connected clients).

        Error handling
        --------------
        With ``select``, a descriptor >= :data:`FD_SETSIZE` raises
        :exc:`FDSetSizeError` here, and nothing is registered.
        """
        self._set(fd, callback, None, on_error)
        if first:
            self._first.add(fd)

    def add_writer(
        self,
        fd: int,
        callback: Callable[[], object],
        *,
        on_error: Callable[[BaseException], object] | None = None,
    ) -> None:
        """Call *callback* whenever *fd* is writable; see :meth:`add_reader`."""
        self._set(fd, None, callback, on_error)

    def remove_reader(self, fd: int) -> bool:
        """Stop watching *fd* for reading; ``True`` if it was."""
        return self._clear(fd, read=True)

    def remove_writer(self, fd: int) -> bool:
        """Stop watching *fd* for writing; ``True`` if it was."""
        return self._clear(fd, read=False)

    def remove(self, fd: int) -> None:
        """Forget *fd* entirely. Call it before closing the descriptor."""
        if self._watches.pop(fd, None) is not None:
            self._mechanism.unregister(fd)
        self._first.discard(fd)

    def _set(
        self,
        fd: int,
        reader: Callable[[], object] | None,
        writer: Callable[[], object] | None,
        on_error: Callable[[BaseException], object] | None,
    ) -> None:
        watch = self._watches.get(fd)
        if watch is None:
            watch = _Watch(reader, writer, on_error)
            self._mechanism.register(fd, watch.events)  # may raise: then nothing is kept
            self._watches[fd] = watch
            return
        before = watch.events
        watch.reader = reader or watch.reader
        watch.writer = writer or watch.writer
        watch.on_error = on_error or watch.on_error
        if watch.events != before:
            self._mechanism.modify(fd, watch.events)

    def _clear(self, fd: int, *, read: bool) -> bool:
        watch = self._watches.get(fd)
        if watch is None or (watch.reader if read else watch.writer) is None:
            return False
        if read:
            watch.reader = None
            self._first.discard(fd)
        else:
            watch.writer = None
        if watch.events:
            self._mechanism.modify(fd, watch.events)
        else:
            del self._watches[fd]
            self._mechanism.unregister(fd)
        return True

    # -- time ----------------------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        """Call *callback* once, *delay* seconds from now (``time.monotonic``)."""
        timer = Timer(time.monotonic() + delay, next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        return timer

    # -- the loop ------------------------------------------------------------------------

    def run_once(self, timeout: float | None = None) -> int:
        """Wait at most *timeout* seconds (``None``: until something happens), then
        run the callbacks of everything that became ready or due. Returns how many ran.

        Error handling
        --------------
        See the module docstring: a failing callback is logged with its descriptor
        and that descriptor is dropped; without an ``on_error`` it propagates.
        """
        self.iterations += 1
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        if self._timers:
            until_due = max(0.0, self._timers[0].when - time.monotonic())
            timeout = until_due if timeout is None else min(timeout, until_due)
        ran = 0
        ready = self._mechanism.poll(timeout)
        if self._first and len(ready) > 1:
            # O(ready): the few "first" fds to the front, the rest in kernel order.
            first = self._first
            ready = [r for r in ready if r[0] in first] + [r for r in ready if r[0] not in first]
        for fd, events in ready:
            # A callback earlier in this batch may have removed or replaced this fd.
            if events & EVENT_READ:
                watch = self._watches.get(fd)
                if watch is not None and watch.reader is not None:
                    self._call(fd, watch, watch.reader)
                    ran += 1
            if events & EVENT_WRITE:
                watch = self._watches.get(fd)
                if watch is not None and watch.writer is not None:
                    self._call(fd, watch, watch.writer)
                    ran += 1
        now = time.monotonic()
        while self._timers and self._timers[0].when <= now:
            timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.callback()  # no descriptor to blame: a timer's error propagates
                ran += 1
        self.dispatched += ran
        return ran

    def _call(self, fd: int, watch: _Watch, callback: Callable[[], object]) -> None:
        try:
            callback()
        except Exception as exc:
            logger.exception("reactor: callback for fd %d failed; dropping the fd", fd)
            self.remove(fd)
            if watch.on_error is None:
                raise
            watch.on_error(exc)

    def run(
        self, stop: threading.Event | Callable[[], bool], *, check_every: float = STOP_CHECK
    ) -> None:
        """Run until *stop* is set (an Event) or returns true (a callable), looking
        at it at least every *check_every* seconds."""
        done = stop.is_set if isinstance(stop, threading.Event) else stop
        while not done():
            self.run_once(check_every)

    def close(self) -> None:
        """Forget every descriptor and timer and release the mechanism (epoll's fd).
        The watched descriptors themselves are their owners' to close."""
        self._watches.clear()
        self._first.clear()
        self._timers.clear()
        self._mechanism.close()

    def __enter__(self) -> Reactor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- the echo server ------------------------------------------------------------------------


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


def listen_backlog() -> int:
    """``min(65535, net.core.somaxconn)``: the kernel silently caps a larger backlog
    anyway, and a storm of connects needs the whole queue."""
    try:
        with open("/proc/sys/net/core/somaxconn", encoding="ascii") as f:
            somaxconn = int(f.read())
    except (OSError, ValueError):
        somaxconn = socket.SOMAXCONN
    return max(1, min(65535, somaxconn))


class _Connection:
    """One client: a non-blocking socket and the bytes still to echo back to it."""

    __slots__ = ("closing", "fd", "out", "paused", "server", "sock")

    def __init__(self, server: _EchoServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.fd = sock.fileno()
        self.out = bytearray()
        self.paused = False  # not reading: too much unsent output (backpressure)
        self.closing = False  # the client sent EOF: close once ``out`` is flushed

    def on_readable(self) -> None:
        try:
            data = self.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # reset by the peer, and friends: nothing left to do for it
            self.close()
            return
        if not data:
            self.closing = True
            self.server.reactor.remove_reader(self.fd)
            if not self.out:
                self.close()
            return
        self.out += data
        self.flush()
        if self.fd not in self.server.connections:
            return  # flush found the connection dead and closed it
        if len(self.out) > HIGH_WATER and not self.paused:
            # The client sends faster than it reads: stop reading, so its data waits in
            # the kernel's buffers (and then TCP's window) rather than in our memory.
            self.paused = True
            self.server.reactor.remove_reader(self.fd)

    def flush(self) -> None:
        """Send what we can now; watch for writability only while something is left."""
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.close()
            return
        del self.out[:sent]
        reactor = self.server.reactor
        if self.out:
            reactor.add_writer(self.fd, self.flush, on_error=self._on_error)
        else:
            reactor.remove_writer(self.fd)
            if self.closing:
                self.close()
                return
        if self.paused and not self.closing and len(self.out) <= LOW_WATER:
            self.paused = False
            reactor.add_reader(self.fd, self.on_readable, on_error=self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        self.close()

    def close(self) -> None:
        if self.server.connections.pop(self.fd, None) is None:
            return  # already closed
        self.server.reactor.remove(self.fd)
        self.sock.close()


class _EchoServer:
    def __init__(self, reactor: Reactor, listener: socket.socket, max_connections: int) -> None:
        self.reactor = reactor
        self.listener = listener
        self.max_connections = max_connections
        self.connections: dict[int, _Connection] = {}
        self.refused = 0  # over the connection limit
        self.refused_select = 0  # fd too large for select
        self._accepting = True

    def start(self) -> None:
        self.reactor.add_reader(self.listener.fileno(), self.on_acceptable, first=True)

    def on_acceptable(self) -> None:
        # Level-triggered: whatever is left after a batch is reported again next
        # iteration, after the clients already connected have had their turn.
        for _ in range(ACCEPT_BATCH):
            try:
                sock, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # the client gave up while queued
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._pause_accepting(exc)
                    return
                raise
            self._admit(sock)

    def _admit(self, sock: socket.socket) -> None:
        if len(self.connections) >= self.max_connections:
            # The limit's refusal: accept, say BUSY, close. The client learns why instead
            # of hanging in the accept queue; the backlog never fills with clients we won't
            # serve. Five bytes fit in an empty socket buffer: the send does not block.
            self.refused += 1
            sock.setblocking(False)
            with contextlib.suppress(OSError):  # a client gone already
                sock.send(BUSY)
            sock.close()
            return
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(self, sock)
        try:
            self.reactor.add_reader(conn.fd, conn.on_readable, on_error=conn._on_error)
        except FDSetSizeError:
            if not self.refused_select:
                logger.warning(
                    "select: refusing connections whose fd is >= FD_SETSIZE (%d); "
                    "use --impl reactor-poll or reactor-epoll",
                    FD_SETSIZE,
                )
            self.refused_select += 1
            sock.close()
            return
        self.connections[conn.fd] = conn

    def _pause_accepting(self, exc: OSError) -> None:
        # Out of descriptors: the listener stays readable, so stop watching it for a
        # moment instead of spinning on EMFILE. Connections that close meanwhile free fds.
        logger.warning("accept failed (%s); pausing accepts for %.1f s", exc, EMFILE_PAUSE)
        self.reactor.remove_reader(self.listener.fileno())
        self.reactor.call_later(EMFILE_PAUSE, self.start)

    def close(self) -> None:
        for conn in list(self.connections.values()):
            conn.close()
        self.reactor.remove(self.listener.fileno())
        self.listener.close()


def open_listener(
    address_info: tuple[int, int, int, str, tuple[object, ...]],
    host: str,
    port: int,
    backlog: int,
) -> socket.socket:
    """A non-blocking listening socket for one ``getaddrinfo`` result.

    The echo servers of the three packages resolve *host* their own way (the
    loop's ``getaddrinfo``), then all bind the same way, here.

    Error handling
    --------------
    A port in use raises :exc:`OSError` with ``errno.EADDRINUSE`` and a message
    naming the port; any other failure propagates. The socket is closed on every
    failure.
    """
    family, kind, proto, _, address = address_info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    errno.EADDRINUSE, f"cannot listen on {host}:{port}: port {port} is in use"
                ) from None
            raise
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((host, port))
        except OSError as exc:
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            reason = f"port {port} is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise OSError(exc.errno, f"cannot listen on {where}: {reason}") from exc
        listener.listen(listen_backlog())
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


def serve_echo(
    host: str,
    port: int,
    *,
    mechanism: str = "epoll",
    max_connections: int = 10_000,
    ready: Callable[[tuple[str, int]], object] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve the echo protocol on *host*:*port* until *stop* is set or Ctrl-C.

    Every byte a client sends comes back to it, in order. Port 0 picks a free port;
    ``ready((host, port))`` is called once the socket listens, with the real port.
    Blocks the calling thread; run it in a thread of its own to serve in the
    background. *stop* is looked at least every 100 ms.

    * **Accepting in batches**: each time the listener is readable, connections
      are accepted until ``EAGAIN`` before the loop turns to the connected clients.
    * **Connection limit**: beyond *max_connections* open connections, a new one
      is accepted, sent :data:`BUSY` (``b"busy\\n"``) and closed.
    * **Backpressure**: a client whose unsent echo exceeds 64 KiB is not read
      from until that drains below 16 KiB, so a client that sends and never
      reads costs at most ~128 KiB here; its further data waits in TCP.
    * **select**: a connection whose descriptor is >= 1024 cannot be watched; it
      is closed at once and a warning is logged (once).

    Error handling
    --------------
    A port in use, or any other failure to listen, raises :exc:`OSError` naming
    the host and port; an unknown *mechanism* raises :exc:`ValueError`. A client
    that resets or misbehaves is closed; the others are served on. On return,
    for whatever reason (stop, ``KeyboardInterrupt``, which ends serving quietly,
    or an exception), every socket it opened is closed.
    """
    if max_connections < 1:
        raise ValueError(f"max_connections must be at least 1, not {max_connections}")
    raise_fd_limit()
    reactor = Reactor(mechanism)  # validates the name before we bind anything
    try:
        listener = _listen(host, port)
        server = _EchoServer(reactor, listener, max_connections)
        try:
            server.start()  # with select, the listener itself may be >= FD_SETSIZE
            if ready is not None:
                ready((host, listener.getsockname()[1]))
            reactor.run(stop if stop is not None else (lambda: False))
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    finally:
        reactor.close()


def _main() -> None:  # pragma: no cover - a manual check: python -m shared.reactor [mech] [port]
    import sys

    mechanism = sys.argv[1] if len(sys.argv) > 1 else "epoll"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
    logging.basicConfig(level=logging.INFO)
    serve_echo(
        "127.0.0.1",
        port,
        mechanism=mechanism,
        ready=lambda addr: print(f"echo ({mechanism}) on {addr[0]}:{addr[1]}", file=sys.stderr),
    )


if __name__ == "__main__":  # pragma: no cover
    _main()
