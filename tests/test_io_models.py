"""The I/O-model echo servers: blocking, thread per client, busy polling, multiplexed."""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

from fromscratch.io_models import MODELS, EchoServer, serve_blocking

from .echo_client import many_clients, open_fds, recv_exactly, roundtrip, run_server, wait_for

pytestmark = [pytest.mark.concept("io_models"), pytest.mark.timeout(30)]


@pytest.fixture(params=list(MODELS))
def serve(request: pytest.FixtureRequest) -> EchoServer:
    return MODELS[str(request.param)]


def test_the_progression_in_order() -> None:
    assert list(MODELS) == ["blocking", "threaded", "busy-polling", "multiplexed"]


def test_echoes_a_mebibyte(serve: EchoServer) -> None:
    payload = os.urandom(1 << 20)
    with run_server(serve) as address:
        assert roundtrip(address, payload) == payload


def test_partial_reads_and_writes(serve: EchoServer) -> None:
    payload = os.urandom(20_000)
    with run_server(serve) as address:
        echoed = roundtrip(address, payload, send_chunk=500, recv_size=333, pause=0.0005)
    assert echoed == payload


def test_clients_one_after_another(serve: EchoServer) -> None:
    with run_server(serve) as address:
        for i in range(5):
            message = f"client {i}".encode()
            assert roundtrip(address, message) == message


@pytest.mark.parametrize("model", ["threaded", "busy-polling", "multiplexed"])
def test_concurrent_clients(model: str) -> None:
    with run_server(MODELS[model]) as address:
        assert many_clients(address, 50, 2048) == 50


def test_blocking_serves_one_client_at_a_time() -> None:
    """The second client connects (the kernel queues it) but hears nothing until the
    first one leaves: the server's only thread is waiting in the first one's recv."""
    with (
        run_server(serve_blocking) as address,
        socket.create_connection(address, timeout=5) as first,
        socket.create_connection(address, timeout=5) as second,
    ):
        first.sendall(b"one")
        assert recv_exactly(first, 3) == b"one"
        second.sendall(b"two")
        second.settimeout(0.3)
        with pytest.raises(TimeoutError):
            second.recv(3)
        first.close()
        second.settimeout(5)
        assert recv_exactly(second, 3) == b"two"


def test_a_client_leaving_mid_message_leaves_no_fd_behind(serve: EchoServer) -> None:
    before = open_fds()
    with run_server(serve) as address:
        serving = open_fds()
        for _ in range(3):
            sock = socket.create_connection(address, timeout=5)
            sock.sendall(os.urandom(100_000))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # a reset with the echo unread
        assert wait_for(lambda: open_fds() == serving), (open_fds(), serving)
        assert roundtrip(address, b"still serving") == b"still serving"
    assert open_fds() == before


def test_stop_ends_the_server_with_a_client_connected(serve: EchoServer) -> None:
    before = open_fds()
    idle: socket.socket | None = None
    try:
        with run_server(serve) as address:
            idle = socket.create_connection(address, timeout=5)
            idle.sendall(b"x")
            assert recv_exactly(idle, 1) == b"x"
            started = time.monotonic()
            # leaving run_server sets stop and joins the server (within 5 s, or it fails)
        assert time.monotonic() - started < 1.0
        assert idle.recv(1) == b""  # the server closed its end
    finally:
        if idle is not None:
            idle.close()
    assert open_fds() == before


def test_port_in_use_names_the_port(serve: EchoServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"port {port}"):
            serve("127.0.0.1", port)
