"""The Unix I/O models, as four echo servers that each improve on the one before.

Every I/O operation on a socket has two phases: **waiting** until the kernel has
data (or room), and **copying** it between kernel and process. The five models
of Unix network programming (Stevens, *UNIX Network Programming*, ch. 6) differ
in who waits, where, and for how many descriptors at once:

1. **Blocking I/O.** ``recv`` puts the thread to sleep until data arrives, then
   copies it. Simple and cheap per call, but a thread waits on one descriptor
   only: :func:`serve_blocking` serves one client, and the next one queues in
   the backlog until the first leaves.
2. **Non-blocking I/O.** ``recv`` on an ``O_NONBLOCK`` socket returns at once,
   with data or with ``EAGAIN`` (:exc:`BlockingIOError`). One thread can now
   juggle many sockets, but only by asking each one again and again:
   :func:`serve_busy_polling` burns a whole core while every client is idle.
3. **I/O multiplexing.** ``select``/``poll``/``epoll`` wait on *many*
   descriptors at once and say which are ready; the (non-blocking) ``recv`` that
   follows never waits. One thread, no spinning: :func:`serve_multiplexed`, on
   :mod:`fromscratch.reactor`. This is what asyncio, Trio, uvloop (libuv) and every
   event loop are built on. The usual workaround for model 1's one-at-a-time
   is a thread per client, :func:`serve_threaded`: blocking calls again, with the
   kernel's scheduler doing the multiplexing at the price of a stack per client.
4. **Signal-driven I/O.** ``fcntl(F_SETOWN)`` + ``O_ASYNC``: the kernel sends
   ``SIGIO`` when a descriptor *may* be ready. Not shown, because it does not
   carry over to a useful Python server: the signal says "something happened"
   without saying which descriptor (learning that needs ``F_SETSIG`` and
   real-time signals' ``siginfo``, which Python's ``signal`` module never
   passes to a handler); for TCP it fires for many conditions besides new data;
   a Python handler runs only between bytecodes of the main thread; and the
   program ends up calling ``select``/``poll`` anyway to find out what is ready.
   It is model 3 with extra steps and worse error reporting.
5. **Asynchronous I/O** (POSIX ``aio_read``/``aio_write``). The kernel does
   *both* phases and notifies on completion. Not shown, because it cannot be
   reached from the standard library (no ``aio_*`` bindings; ``os`` has none),
   glibc implements it for sockets with a pool of threads doing blocking I/O
   (model 1 in disguise), and Linux's own completion interfaces, ``io_submit``
   (useful for ``O_DIRECT`` files only) and ``io_uring``, need third-party
   bindings. A
   completion model is what Windows' IOCP and asyncio's ``ProactorEventLoop``
   use.

Every server here speaks the same protocol: every byte a client sends comes back,
in order, and a client's EOF is answered by closing once its bytes are sent. Each
takes ``(host, port, *, ready=None, stop=None)``: ``ready((host, port))`` is
called once listening (port 0 picks a free one); ``stop``, a
:class:`threading.Event`, ends it within about 100 ms. Every socket a server opens
is closed before it returns.

Error handling
--------------
A failure to listen raises :exc:`OSError` naming the host and port. A client
that resets is dropped and the server goes on. ``KeyboardInterrupt`` propagates
(after the sockets are closed), except from :func:`serve_multiplexed`, which
returns quietly like :func:`fromscratch.reactor.serve_echo`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

from common.listeners import listen_backlog, listener_address, open_listener

from . import reactor

__all__ = [
    "MODELS",
    "EchoServer",
    "serve_blocking",
    "serve_threaded",
    "serve_busy_polling",
    "serve_multiplexed",
]

Ready = Callable[[tuple[str, int]], object]

CHUNK = 64 * 1024
STOP_CHECK = 0.1  # seconds: how often a blocked or idle server looks at ``stop``


class EchoServer(Protocol):
    """The signature every server of this module has."""

    def __call__(
        self,
        host: str,
        port: int,
        *,
        ready: Ready | None = None,
        stop: threading.Event | None = None,
    ) -> None: ...


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def _listen(host: str, port: int, ready: Ready | None) -> socket.socket:
    address = listener_address(host, port)
    listener = open_listener(address, host, port, listen_backlog(), blocking=True)
    try:
        if ready is not None:
            ready((host, listener.getsockname()[1]))
    except BaseException:
        listener.close()
        raise
    return listener


# -- 1. blocking: one client at a time ------------------------------------------------------


def _echo_blocking(conn: socket.socket, stop: threading.Event | None) -> None:
    """Echo on one blocking socket until EOF, reset or *stop*."""
    # The timeout is there only so a server in a test can be stopped; with it the
    # socket is still blocking in the sense that matters: this thread waits in recv.
    conn.settimeout(STOP_CHECK)
    while not _stopped(stop):
        try:
            data = conn.recv(CHUNK)
        except TimeoutError:
            continue
        except OSError:
            return
        if not data:
            return
        # Sending blocks until the client has read enough: while it does, this client's
        # next bytes wait in the kernel, and so does everyone else.
        view = memoryview(data)
        while view and not _stopped(stop):
            try:
                view = view[conn.send(view) :]
            except TimeoutError:
                continue
            except OSError:
                return


def serve_blocking(
    host: str, port: int, *, ready: Ready | None = None, stop: threading.Event | None = None
) -> None:
    """Model 1: accept one client, echo until it leaves, then accept the next.

    A second client connects (the kernel completes the handshake from the
    backlog) but gets no reply until the first disconnects.
    """
    with _listen(host, port, ready) as listener:
        listener.settimeout(STOP_CHECK)
        while not _stopped(stop):
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                _echo_blocking(conn, stop)


# -- 1b. blocking, a thread per client -----------------------------------------------------


def serve_threaded(
    host: str, port: int, *, ready: Ready | None = None, stop: threading.Event | None = None
) -> None:
    """Model 1 with a thread per client: each thread blocks on its own socket.

    Clients are served concurrently; each costs a thread (a stack, a kernel task,
    a share of the GIL). On return, every client thread has been joined.
    """
    threads: set[threading.Thread] = set()
    lock = threading.Lock()

    def client(conn: socket.socket) -> None:
        try:
            with conn:
                _echo_blocking(conn, stop)
        finally:
            with lock:
                threads.discard(threading.current_thread())

    try:
        with _listen(host, port, ready) as listener:
            listener.settimeout(STOP_CHECK)
            while not _stopped(stop):
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                thread = threading.Thread(target=client, args=(conn,), daemon=True)
                with lock:
                    threads.add(thread)
                thread.start()
    finally:
        # The threads see ``stop`` within STOP_CHECK; without a stop event (an
        # exception ended the loop) they finish with their clients.
        with lock:
            remaining = list(threads)
        for thread in remaining:
            thread.join()


# -- 2. non-blocking, busy polling ----------------------------------------------------------


class _Client:
    """A client of the busy-polling server: its socket and the bytes to send back."""

    __slots__ = ("eof", "out", "sock")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.out = bytearray()
        self.eof = False  # it sent EOF: close once ``out`` is sent

    def poke(self) -> tuple[bool, bool]:
        """Try to read and to write once, each without waiting.

        Returns (anything moved, still open). A reset drops the client at once.
        """
        moved = False
        if not self.eof and len(self.out) <= CHUNK:  # backpressure: stop reading meanwhile
            try:
                data = self.sock.recv(CHUNK)
            except BlockingIOError:
                pass  # the usual answer, and the reason this model wastes a core
            except OSError:
                return True, False
            else:
                moved = True
                self.out += data
                self.eof = not data
        if self.out:
            try:
                sent = self.sock.send(self.out)
            except BlockingIOError:
                sent = 0
            except OSError:
                return True, False
            del self.out[:sent]
            moved |= sent > 0
        return moved, not (self.eof and not self.out)


def serve_busy_polling(
    host: str, port: int, *, ready: Ready | None = None, stop: threading.Event | None = None
) -> None:
    """Model 2: every socket non-blocking, one thread asking each in turn, forever.

    Works, and serves many clients, but takes 100 % of a core even with nothing to
    do: each sweep makes a system call per socket, and most return EAGAIN.
    """
    clients: list[_Client] = []
    with _listen(host, port, ready) as listener:
        listener.setblocking(False)
        try:
            while not _stopped(stop):
                progress = False
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    pass
                else:
                    clients.append(_Client(conn))
                    progress = True
                still_open: list[_Client] = []
                for client in clients:
                    moved, is_open = client.poke()
                    progress |= moved
                    if is_open:
                        still_open.append(client)
                    else:
                        client.sock.close()
                clients = still_open
                if not progress:
                    # Still a busy loop; sleep(0) only hands the GIL to other threads
                    # (a test's client) instead of holding it for a whole switch interval.
                    time.sleep(0)
        finally:
            for client in clients:
                client.sock.close()


# -- 3. I/O multiplexing ------------------------------------------------------------------


def serve_multiplexed(
    host: str,
    port: int,
    *,
    ready: Ready | None = None,
    stop: threading.Event | None = None,
    mechanism: str = "epoll",
) -> None:
    """Model 3: one thread waits for all sockets at once, then serves the ready ones.

    This is :func:`fromscratch.reactor.serve_echo`: non-blocking sockets whose
    readiness the reactor learns from ``select``, ``poll`` or ``epoll``
    (*mechanism*), with batched accepts, a connection limit and backpressure.
    """
    reactor.serve_echo(host, port, mechanism=mechanism, ready=ready, stop=stop)


MODELS: dict[str, EchoServer] = {
    "blocking": serve_blocking,
    "threaded": serve_threaded,
    "busy-polling": serve_busy_polling,
    "multiplexed": serve_multiplexed,
}
"""The servers by name, in the order of the progression."""


def _main() -> None:  # pragma: no cover - a manual check: python -m fromscratch.io_models MODEL
    import sys

    model = sys.argv[1] if len(sys.argv) > 1 else "multiplexed"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
    with contextlib.suppress(KeyboardInterrupt):
        MODELS[model](
            "127.0.0.1",
            port,
            ready=lambda a: print(f"echo ({model}) on {a[0]}:{a[1]}", file=sys.stderr),
        )


if __name__ == "__main__":  # pragma: no cover
    _main()
