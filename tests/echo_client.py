"""Blocking echo clients and a server-in-a-thread helper for the reactor and I/O-model tests.

Every wait is bounded by a deadline, every socket closed, every thread joined.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["open_fds", "recv_exactly", "roundtrip", "run_server", "many_clients", "wait_for"]

Address = tuple[str, int]


def open_fds() -> int:
    """How many descriptors this process has open (Linux)."""
    return len(os.listdir("/proc/self/fd"))


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll *predicate* every 10 ms until it is true or *timeout* passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@contextmanager
def run_server(
    serve: Callable[..., None], host: str = "127.0.0.1", **kwargs: Any
) -> Iterator[Address]:
    """Run ``serve(host, 0, ready=..., stop=..., **kwargs)`` in a thread; yield its address.

    On exit, set ``stop`` and join the thread (it must end within 5 s); an exception
    the server raised is re-raised here.
    """
    stop = threading.Event()
    started = threading.Event()
    address: list[Address] = []
    errors: list[BaseException] = []

    def ready(addr: Address) -> None:
        address.append(addr)
        started.set()

    def target() -> None:
        try:
            serve(host, 0, ready=ready, stop=stop, **kwargs)
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=target, name="echo-server", daemon=True)
    thread.start()
    try:
        assert started.wait(5), "the server never called ready()"
        if errors:
            raise errors[0]
        yield address[0]
    finally:
        stop.set()
        thread.join(5)
        assert not thread.is_alive(), "the server did not stop within 5 s of stop.set()"
    if errors:
        raise errors[0]


def recv_exactly(sock: socket.socket, n: int, *, size: int = 65536) -> bytes:
    """Read *n* bytes (fewer only at EOF); the socket's timeout bounds each recv."""
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(size, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def roundtrip(
    address: Address,
    payload: bytes,
    *,
    send_chunk: int | None = None,
    recv_size: int = 65536,
    pause: float = 0.0,
    timeout: float = 10.0,
) -> bytes:
    """Send *payload* from a thread while reading the echo here; return what came back.

    *send_chunk* splits the send into pieces (with *pause* between them) and
    *recv_size* caps each read, so the server sees, and answers, partial messages.
    After the echo the client half-closes and expects EOF: the server closed.
    """
    with socket.create_connection(address, timeout=timeout) as sock:
        failures: list[BaseException] = []

        def send() -> None:
            try:
                if send_chunk is None:
                    sock.sendall(payload)
                    return
                for start in range(0, len(payload), send_chunk):
                    sock.sendall(payload[start : start + send_chunk])
                    if pause:
                        time.sleep(pause)
            except BaseException as exc:
                failures.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        try:
            echoed = recv_exactly(sock, len(payload), size=recv_size)
        finally:
            sender.join(timeout)
        assert not sender.is_alive()
        if failures:
            raise failures[0]
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1) == b"", "the server sent more than it received"
        return echoed


def many_clients(address: Address, count: int, size: int, *, timeout: float = 20.0) -> int:
    """Connect *count* clients at once; each sends *size* distinct bytes and reads them
    back, all multiplexed on one selector. Returns how many got their own bytes back."""
    assert size <= 16384, "each client sends before reading: keep it within the buffers"
    sel = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    ok = 0
    try:
        pending: dict[socket.socket, tuple[bytes, bytearray]] = {}
        for i in range(count):
            sock = socket.create_connection(address, timeout=timeout)
            socks.append(sock)
            payload = (i.to_bytes(4, "big") * (size // 4 + 1))[:size]
            sock.sendall(payload)  # small: fits in the socket buffers, never waits on the echo
            sock.setblocking(False)
            pending[sock] = (payload, bytearray())
            sel.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(0.1):
                assert isinstance(key.fileobj, socket.socket)
                sock = key.fileobj
                payload, got = pending[sock]
                data = sock.recv(65536)
                if not data:
                    sel.unregister(sock)
                    del pending[sock]
                    continue
                got += data
                if len(got) >= len(payload):
                    ok += got == payload
                    sel.unregister(sock)
                    del pending[sock]
        return ok
    finally:
        sel.close()
        for sock in socks:
            sock.close()
