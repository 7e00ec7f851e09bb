"""common.listeners: the one bind, listen and accept policy every server uses."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import pytest

from common.listeners import (
    BUSY,
    RESOURCE_ERRNOS,
    accept_ready,
    host_port,
    listen_backlog,
    listener_address,
    open_listener,
    refuse,
)

pytestmark = pytest.mark.concept("servers")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = open_listener(listener_address("127.0.0.1", 0), "127.0.0.1", 0, 16)
    try:
        yield sock
    finally:
        sock.close()


def _connect(listener: socket.socket) -> socket.socket:
    return socket.create_connection(listener.getsockname()[:2], timeout=5)


class _Scripted:
    """A listener whose accept() follows a script: a socket to hand out, or an error."""

    def __init__(self, script: list[socket.socket | OSError]) -> None:
        self.script = script

    def accept(self) -> tuple[socket.socket, tuple[str, int]]:
        step = self.script.pop(0) if self.script else BlockingIOError()
        if isinstance(step, OSError):
            raise step
        return step, ("127.0.0.1", 1)


def test_listen_backlog_is_somaxconn_capped() -> None:
    assert 1 <= listen_backlog() <= 65535


def test_open_listener_is_non_blocking_unless_asked(listener: socket.socket) -> None:
    assert listener.getblocking() is False
    address = listener_address("127.0.0.1", 0)
    with open_listener(address, "127.0.0.1", 0, 4, blocking=True) as blocking:
        assert blocking.getblocking() is True


def test_a_port_in_use_is_named(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}: port {port} is in use"):
        open_listener(listener_address("127.0.0.1", port), "127.0.0.1", port, 4)


def test_an_ipv6_address_is_written_in_brackets() -> None:
    assert host_port("127.0.0.1", 21) == "127.0.0.1:21"
    assert host_port("::1", 2121) == "[::1]:2121"
    try:
        ipv6 = open_listener(listener_address("::1", 0), "::1", 0, 4)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with ipv6:
        port = ipv6.getsockname()[1]
        with pytest.raises(OSError, match=rf"cannot listen on \[::1\]:{port}: port {port} is in"):
            open_listener(listener_address("::1", port), "::1", port, 4)


def test_accept_ready_takes_every_waiting_connection(listener: socket.socket) -> None:
    # create_connection returns once the handshake is done: all five wait in the queue.
    clients = [_connect(listener) for _ in range(5)]
    taken: list[tuple[socket.socket, object]] = []
    try:
        accepted, exhausted = accept_ready(listener)
        taken += accepted
        assert len(accepted) == 5
        assert exhausted is None
        assert all(sock.getblocking() is False for sock, _ in accepted)
        assert accept_ready(listener) == ([], None)  # EAGAIN: nothing waits
    finally:
        for sock, _ in taken:
            sock.close()
        for client in clients:
            client.close()


def test_accept_ready_skips_a_client_that_gave_up() -> None:
    a, b = socket.socketpair()
    try:
        scripted = _Scripted([OSError(errno.ECONNABORTED, "aborted"), a])
        accepted, exhausted = accept_ready(scripted)  # type: ignore[arg-type]
        assert [sock for sock, _ in accepted] == [a]
        assert exhausted is None
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("code", sorted(RESOURCE_ERRNOS))
def test_accept_ready_reports_lack_of_resources(code: int) -> None:
    a, b = socket.socketpair()
    try:
        scripted = _Scripted([a, OSError(code, "no room"), b])
        accepted, exhausted = accept_ready(scripted)  # type: ignore[arg-type]
        assert [sock for sock, _ in accepted] == [a]
        assert exhausted is not None
        assert exhausted.errno == code
        assert scripted.script == [b]  # the batch ended at the error
    finally:
        a.close()
        b.close()


def test_accept_ready_raises_other_errors_and_closes_what_it_took() -> None:
    a, b = socket.socketpair()
    try:
        scripted = _Scripted([a, OSError(errno.EINVAL, "not listening")])
        with pytest.raises(OSError, match="not listening"):
            accept_ready(scripted)  # type: ignore[arg-type]
        assert a.fileno() == -1
    finally:
        a.close()
        b.close()


def test_refuse_says_why_and_closes() -> None:
    a, b = socket.socketpair()
    with b:
        refuse(a, BUSY)
        assert a.fileno() == -1
        assert b.recv(16) == BUSY
        assert b.recv(16) == b""


def test_refuse_tolerates_a_client_that_is_gone() -> None:
    a, b = socket.socketpair()
    b.close()
    refuse(a, BUSY)
    assert a.fileno() == -1
