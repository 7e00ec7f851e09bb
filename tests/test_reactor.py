"""The from-scratch reactor: select, poll and epoll, and the echo server on them."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from fromscratch.reactor import BUSY, FD_SETSIZE, MECHANISMS, FDSetSizeError, Reactor, serve_echo

from .echo_client import many_clients, open_fds, recv_exactly, roundtrip, run_server, wait_for

pytestmark = [pytest.mark.concept("reactor"), pytest.mark.timeout(30)]


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with a, b:
        yield a, b


@contextlib.contextmanager
def fd_at_or_above(sock: socket.socket, target: int) -> Iterator[int]:
    """A duplicate of *sock*'s descriptor numbered *target* or more; closed on exit."""
    fd = target
    while os.path.exists(f"/proc/self/fd/{fd}"):  # bounded by the fd limit
        fd += 1
    os.dup2(sock.fileno(), fd)
    try:
        yield fd
    finally:
        os.close(fd)


# -- the reactor ----------------------------------------------------------------------------


def test_unknown_mechanism_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="select, poll, epoll"):
        Reactor("kqueue")


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_reader_and_writer_callbacks(
    mechanism: str, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    calls: list[str] = []
    with Reactor(mechanism) as r:
        r.add_reader(a.fileno(), lambda: calls.append("read"))
        assert r.run_once(0.01) == 0  # nothing to read yet
        b.send(b"x")
        assert r.run_once(1) == 1
        assert calls == ["read"]
        r.add_writer(a.fileno(), lambda: calls.append("write"))
        assert r.run_once(1) == 2  # still readable (level-triggered) and writable
        assert r.remove_reader(a.fileno())
        assert r.remove_writer(a.fileno())
        assert not r.remove_reader(a.fileno())
        assert len(r) == 0
        assert r.run_once(0) == 0


@pytest.mark.parametrize("mechanism", ["poll", "epoll"])
def test_one_iteration_reports_every_ready_descriptor(mechanism: str) -> None:
    """CPython's ``epoll.poll()`` returns at most 1023 events unless told more; a listener
    must not wait behind more than that many ready clients."""
    pairs = [socket.socketpair() for _ in range(1100)]
    try:
        with Reactor(mechanism) as r:
            for a, b in pairs:
                b.send(b"x")
                r.add_reader(a.fileno(), lambda: None)
            assert r.run_once(1) == len(pairs)
    finally:
        for a, b in pairs:
            a.close()
            b.close()


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_a_first_reader_runs_before_the_others(mechanism: str) -> None:
    pairs = [socket.socketpair() for _ in range(5)]
    try:
        calls: list[int] = []
        with Reactor(mechanism) as r:
            for i, (a, b) in enumerate(pairs):
                b.send(b"x")
                r.add_reader(a.fileno(), functools.partial(calls.append, i), first=i == 3)
            assert r.run_once(1) == len(pairs)
            assert calls[0] == 3
            assert sorted(calls) == list(range(5))
    finally:
        for a, b in pairs:
            a.close()
            b.close()


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_call_later_runs_in_order_and_cancel_drops(mechanism: str) -> None:
    calls: list[int] = []
    with Reactor(mechanism) as r:
        r.call_later(0.02, lambda: calls.append(2))
        r.call_later(0.01, lambda: calls.append(1))
        r.call_later(0.01, lambda: calls.append(99)).cancel()
        deadline = time.monotonic() + 5
        while len(calls) < 2 and time.monotonic() < deadline:
            r.run_once(1)
    assert calls == [1, 2]


def test_select_refuses_a_descriptor_at_fd_setsize_clearly(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Not a bare ValueError from inside select.select(): a named error at registration,
    which names FD_SETSIZE and what to use instead, and leaves nothing registered."""
    a, _ = pair
    with fd_at_or_above(a, 1500) as fd, Reactor("select") as r:
        with pytest.raises(FDSetSizeError) as info:
            r.add_reader(fd, lambda: None)
        assert isinstance(info.value, ValueError)
        assert info.value.fd == fd
        message = str(info.value)
        assert "FD_SETSIZE" in message
        assert str(FD_SETSIZE) in message
        assert "poll" in message
        assert "epoll" in message
        assert len(r) == 0
        assert r.run_once(0) == 0  # and the loop still works


@pytest.mark.parametrize("mechanism", ["poll", "epoll"])
def test_poll_and_epoll_watch_descriptors_past_fd_setsize(
    mechanism: str, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    calls: list[int] = []
    with fd_at_or_above(a, 1500) as fd, Reactor(mechanism) as r:
        r.add_reader(fd, lambda: calls.append(fd))
        b.send(b"x")
        assert r.run_once(1) == 1
        r.remove(fd)
    assert calls == [fd]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_a_failing_callback_is_logged_with_its_fd_and_its_fd_dropped(
    mechanism: str, pair: tuple[socket.socket, socket.socket], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = pair
    handled: list[BaseException] = []

    def boom() -> None:
        raise RuntimeError("callback bug")

    with Reactor(mechanism) as r:
        r.add_reader(a.fileno(), boom, on_error=handled.append)
        b.send(b"x")
        with caplog.at_level(logging.ERROR, logger="fromscratch.reactor"):
            r.run_once(1)
        assert [str(e) for e in handled] == ["callback bug"]
        assert f"fd {a.fileno()}" in caplog.text
        assert "callback bug" in caplog.text  # the traceback is logged too
        assert len(r) == 0  # no longer watched: the loop will not spin on it


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_without_on_error_a_failing_callback_propagates(
    mechanism: str, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair

    def boom() -> None:
        raise RuntimeError("callback bug")

    with Reactor(mechanism) as r:
        r.add_reader(a.fileno(), boom)
        b.send(b"x")
        with pytest.raises(RuntimeError, match="callback bug"):
            r.run_once(1)
        assert len(r) == 0


# -- the echo server, on each mechanism ------------------------------------------------------


@pytest.fixture(params=MECHANISMS)
def mechanism(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_echoes_a_mebibyte(mechanism: str) -> None:
    payload = os.urandom(1 << 20)
    with run_server(serve_echo, mechanism=mechanism) as address:
        assert roundtrip(address, payload) == payload


def test_partial_reads_and_writes(mechanism: str) -> None:
    """The message arrives in 1,000-byte pieces and is read back 333 bytes at a time."""
    payload = os.urandom(50_000)
    with run_server(serve_echo, mechanism=mechanism) as address:
        echoed = roundtrip(address, payload, send_chunk=1_000, recv_size=333, pause=0.0005)
    assert echoed == payload


def test_ipv6_loopback(mechanism: str) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with run_server(serve_echo, host="::1", mechanism=mechanism) as address:
            assert roundtrip(address, b"hello over ::1") == b"hello over ::1"
    except OSError as exc:  # a container without ::1 configured
        pytest.skip(f"::1 unavailable: {exc}")


def test_200_concurrent_clients(mechanism: str) -> None:
    with run_server(serve_echo, mechanism=mechanism) as address:
        assert many_clients(address, 200, 4096) == 200


def test_a_client_leaving_mid_message_leaves_no_fd_behind(mechanism: str) -> None:
    before = open_fds()
    with run_server(serve_echo, mechanism=mechanism) as address:
        serving = open_fds()  # + the listener (+ epoll's own fd)
        for _ in range(5):
            sock = socket.create_connection(address, timeout=5)
            sock.sendall(os.urandom(200_000))  # the echo is never read ...
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # ... and the close resets the connection mid-message
        assert wait_for(lambda: open_fds() == serving), (open_fds(), serving)
        assert roundtrip(address, b"still serving") == b"still serving"
    assert open_fds() == before


def test_stop_closes_everything_and_clients_see_eof(mechanism: str) -> None:
    before = open_fds()
    clients: list[socket.socket] = []
    try:
        with run_server(serve_echo, mechanism=mechanism) as address:
            for _ in range(3):
                clients.append(socket.create_connection(address, timeout=5))
            for sock in clients:
                sock.sendall(b"hi")
                assert recv_exactly(sock, 2) == b"hi"
            started = time.monotonic()
        assert time.monotonic() - started < 1.0  # stop is looked at every 100 ms
        for sock in clients:
            assert sock.recv(1) == b""
    finally:
        for sock in clients:
            sock.close()
    assert open_fds() == before


def test_backpressure_a_client_that_never_reads(mechanism: str) -> None:
    """A client that sends and never reads fills the kernel's buffers and then blocks:
    the server stops reading it instead of buffering everything it sends."""
    limit = 64 << 20
    with (
        run_server(serve_echo, mechanism=mechanism) as address,
        socket.create_connection(address, timeout=5) as sock,
    ):
        sock.setblocking(False)
        chunk = b"z" * 65536
        sent = 0
        stalled_since = time.monotonic()
        while sent < limit and time.monotonic() - stalled_since < 0.5:
            try:
                sent += sock.send(chunk)
                stalled_since = time.monotonic()
            except BlockingIOError:
                time.sleep(0.01)
        assert sent < limit, "the server kept reading: no backpressure"
        sock.settimeout(10)
        assert recv_exactly(sock, sent) == b"z" * sent  # and everything comes back


def test_connection_limit_refuses_with_busy(mechanism: str) -> None:
    """Over the limit a client reads BUSY, the same line as from the three packages, then
    EOF."""
    with run_server(serve_echo, mechanism=mechanism, max_connections=2) as address:
        with (
            socket.create_connection(address, timeout=5) as one,
            socket.create_connection(address, timeout=5) as two,
        ):
            for sock in (one, two):  # make sure both were accepted first
                sock.sendall(b"ok")
                assert recv_exactly(sock, 2) == b"ok"
            with socket.create_connection(address, timeout=5) as third:
                assert recv_exactly(third, len(BUSY)) == BUSY == b"busy\n"
                assert third.recv(1) == b""
        # the limit is on open connections: once they leave, a new client is served
        assert wait_for(lambda: _echoes(address))


def _echoes(address: tuple[str, int]) -> bool:
    try:
        return roundtrip(address, b"again", timeout=1) == b"again"
    except (OSError, AssertionError):
        return False


def test_select_closes_connections_past_fd_setsize(caplog: pytest.LogCaptureFixture) -> None:
    """With select, a connection whose descriptor is >= 1024 is accepted and closed (the
    client reads EOF), with a warning naming FD_SETSIZE; poll or epoll serve it."""
    fillers: list[int] = []
    try:
        with run_server(serve_echo, mechanism="select") as address:
            while True:  # hold descriptors until the next one is past FD_SETSIZE
                fd = os.open(os.devnull, os.O_RDONLY)
                fillers.append(fd)
                if fd >= FD_SETSIZE:
                    break
            with (
                caplog.at_level(logging.WARNING, logger="fromscratch.reactor"),
                socket.create_connection(address, timeout=5) as sock,
                contextlib.suppress(ConnectionResetError),
            ):
                assert sock.recv(1) == b""
            assert "FD_SETSIZE" in caplog.text
    finally:
        for fd in fillers:
            os.close(fd)


def test_port_in_use_names_the_port(mechanism: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = open_fds()
        with pytest.raises(OSError, match=f"port {port}"):
            serve_echo("127.0.0.1", port, mechanism=mechanism, stop=threading.Event())
        assert open_fds() == before


def test_serve_echo_rejects_an_unknown_mechanism() -> None:
    with pytest.raises(ValueError, match="unknown mechanism"):
        serve_echo("127.0.0.1", 0, mechanism="iocp")
