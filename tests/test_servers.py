"""serve_echo in six columns, and ``async-rosetta serve echo`` for every ``--impl``.

The server runs on the column's event loop; the clients are AnyIO streams on the
same loop, or plain sockets on a worker thread where the test needs to watch a
blocking ``send``. Every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import anyio.abc
import pytest

import impl_asyncio.servers
import impl_trio.servers
import shared.servers
from common.interface import ServersAPI
from rosetta import cli
from rosetta.columns import Column
from rosetta.serve import IMPLS
from tests.serving import Running, running_in

pytestmark = [pytest.mark.anyio, pytest.mark.concept("servers")]

# The type check of the servers interface: mypy fails here if a package drifts.
SERVERS: dict[str, ServersAPI] = {
    "impl_asyncio": impl_asyncio.servers,
    "impl_trio": impl_trio.servers,
    "shared": shared.servers,
}

HOST = "127.0.0.1"


@pytest.fixture
def servers(column: Column) -> ServersAPI:
    return SERVERS[column.package]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def running(
    column: Column, servers: ServersAPI, **options: Any
) -> AbstractAsyncContextManager[Running]:
    """serve_echo on an ephemeral port, shut down (if the test did not) on the way out."""
    return running_in(column, lambda ready: servers.serve_echo(HOST, 0, ready=ready, **options))


async def receive_exactly(stream: anyio.abc.ByteStream, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        data += await stream.receive(size - len(data))
    return bytes(data)


async def round_trip(stream: anyio.abc.ByteStream, message: bytes) -> bytes:
    async with anyio.create_task_group() as tg:
        tg.start_soon(stream.send, message)  # concurrently: the server pushes back
        echoed = await receive_exactly(stream, len(message))
    return echoed


# -- bad arguments ---------------------------------------------------------------------------

_BAD_OPTIONS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("max_connections=0", {"max_connections": 0}, ValueError, r"max_connections.*>= 1"),
    ("max_connections='9'", {"max_connections": "9"}, TypeError, r"max_connections.*int"),
    ("grace_period=-1", {"grace_period": -1}, ValueError, r"grace_period.*>= 0; got -1"),
    ("grace_period=nan", {"grace_period": float("nan")}, ValueError, r"grace_period.*nan"),
    ("grace_period=None", {"grace_period": None}, TypeError, r"grace_period.*seconds"),
    ("backlog=0", {"backlog": 0}, ValueError, r"backlog must be an int >= 1; got 0"),
]


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [case[1:] for case in _BAD_OPTIONS],
    ids=[case[0] for case in _BAD_OPTIONS],
)
async def test_bad_arguments_are_named_before_binding(
    servers: ServersAPI, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    before = open_fds()
    with pytest.raises(error, match=match):
        await servers.serve_echo(HOST, 0, **options)
    assert open_fds() == before


# -- echo ------------------------------------------------------------------------------------


async def test_partial_writes_are_echoed_in_order(column: Column, servers: ServersAPI) -> None:
    async with running(column, servers) as server:
        stream = await anyio.connect_tcp(HOST, server.port)
        async with stream:
            expected = bytearray()
            for size in (1, 7, 100, 1, 3000, 5):  # pieces of odd sizes, each sent on its own
                piece = bytes((size + i) % 256 for i in range(size))
                await stream.send(piece)
                expected += piece
                await anyio.sleep(0.001)
            with anyio.fail_after(5):
                assert await receive_exactly(stream, len(expected)) == expected


async def test_one_mib_message(column: Column, servers: ServersAPI) -> None:
    message = os.urandom(1 << 20)
    async with running(column, servers) as server:
        stream = await anyio.connect_tcp(HOST, server.port)
        async with stream:
            with anyio.fail_after(10):
                assert await round_trip(stream, message) == message


async def test_two_hundred_concurrent_clients(column: Column, servers: ServersAPI) -> None:
    results: dict[int, bool] = {}

    async def client(port: int, n: int) -> None:
        message = n.to_bytes(2, "big") * 512
        async with await anyio.connect_tcp(HOST, port) as stream:
            results[n] = await round_trip(stream, message) == message

    async with running(column, servers) as server:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for n in range(200):
                    tg.start_soon(client, server.port, n)
    assert results == dict.fromkeys(range(200), True)


async def test_a_client_gone_mid_message_leaves_no_fd_or_task(
    column: Column, servers: ServersAPI
) -> None:
    async with running(column, servers) as server:
        fds, tasks = open_fds(), len(anyio.get_running_tasks())
        for abort in (False, True):
            for _ in range(5):
                sock = socket.create_connection((HOST, server.port), timeout=5)
                if abort:  # RST instead of FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                sock.sendall(b"half a mess")
                sock.close()
        with anyio.fail_after(5):
            while (open_fds(), len(anyio.get_running_tasks())) != (fds, tasks):  # noqa: ASYNC110
                await anyio.sleep(0.01)  # polling /proc: there is no event to wait for


# -- shutdown, limit, backpressure -----------------------------------------------------------


async def test_graceful_shutdown(column: Column, servers: ServersAPI) -> None:
    grace = 0.5
    async with running(column, servers, grace_period=grace) as server:
        in_flight = await anyio.connect_tcp(HOST, server.port)
        stuck = await anyio.connect_tcp(HOST, server.port)
        async with in_flight, stuck:
            with anyio.fail_after(5):
                assert await round_trip(stuck, b"hello") == b"hello"  # both accepted
                assert await round_trip(in_flight, b"hello") == b"hello"
            start = anyio.current_time()
            server.shutdown()
            await anyio.sleep(0.05)
            # The listener is closed at once (on loopback a refusal does not block).
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((HOST, server.port), timeout=1).close()
            with anyio.fail_after(5):
                # Still served during the grace period; then it leaves on its own.
                assert await round_trip(in_flight, b"last words") == b"last words"
                await in_flight.send_eof()
                with pytest.raises(anyio.EndOfStream):
                    await in_flight.receive()
                # The stuck client is cut once the grace period is over.
                with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                    await stuck.receive()
                await server.stopped.wait()
            assert grace * 0.9 <= anyio.current_time() - start < grace + 3


async def test_over_the_limit_a_client_is_told_busy(column: Column, servers: ServersAPI) -> None:
    async with running(column, servers, max_connections=2) as server:
        first = await anyio.connect_tcp(HOST, server.port)
        second = await anyio.connect_tcp(HOST, server.port)
        async with first, second:
            with anyio.fail_after(5):
                for stream in (first, second):
                    assert await round_trip(stream, b"ok") == b"ok"
                async with await anyio.connect_tcp(HOST, server.port) as third:
                    assert await receive_exactly(third, len(servers.BUSY)) == b"busy\n"
                    with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                        await third.receive()
        # Both closed: there is room again (the server sees the close a moment later).
        with anyio.fail_after(5):
            while True:
                async with await anyio.connect_tcp(HOST, server.port) as again:
                    if await round_trip(again, b"back") == b"back":
                        break
                await anyio.sleep(0.02)


def _flood(port: int, payload: bytes) -> tuple[int, int, bool]:
    """Send *payload* without reading until done or stalled for 0.5 s; then read it all.

    Returns how much was sent without reading, the peak of memory allocated by Python
    code (the server's included) meanwhile, and whether the echo came back whole.
    """
    size = len(payload)
    tracemalloc.reset_peak()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.settimeout(5)
        sock.connect((HOST, port))
        sock.setblocking(False)
        sent, deadline = 0, time.monotonic() + 15
        progress = time.monotonic()
        while sent < size and time.monotonic() - progress < 0.5 and time.monotonic() < deadline:
            try:
                sent += sock.send(payload[sent : sent + 65536])
                progress = time.monotonic()
            except BlockingIOError:
                select.select([], [sock], [], 0.05)
        stalled_at = sent
        peak = tracemalloc.get_traced_memory()[1]
        received = bytearray()
        while len(received) < size and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < size else [], [], 0.1)
            if readable:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                received += chunk
            if writable:
                sent += sock.send(payload[sent : sent + 65536])
        return stalled_at, peak, received == payload


async def test_a_client_that_never_reads_is_not_buffered_without_bound(
    column: Column, servers: ServersAPI
) -> None:
    payload = bytes(range(256)) * (10 << 12)  # 10 MiB, made before counting starts
    async with running(column, servers) as server:
        tracemalloc.start()
        try:
            sent, peak, echoed = await anyio.to_thread.run_sync(_flood, server.port, payload)
        finally:
            tracemalloc.stop()
    # The kernel absorbs some MiB (the server's receive buffer grows with autotuning up to
    # net.ipv4.tcp_rmem's maximum), so whether the send stalls before 10 MiB depends on
    # the machine. What the server itself holds does not: without backpressure it would
    # read everything the kernel hands it into its write buffer, megabytes here; with
    # it, one chunk and the 64 KiB high-water mark.
    assert peak < 1 << 20, f"{peak} bytes allocated while {sent} bytes were sent unread"
    assert echoed  # once the client reads, the server resumes reading


async def test_a_port_in_use_is_named(column: Column, servers: ServersAPI) -> None:
    async with running(column, servers) as server:
        with pytest.raises(OSError, match=f"port {server.port} is in use") as info:
            await servers.serve_echo(HOST, server.port)
        assert info.value.errno == errno.EADDRINUSE


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
def test_serve_echo_command(impl: str) -> None:
    command = [sys.executable, "-m", "rosetta.cli", "serve", "echo", "--impl", impl, "--port", "0"]
    with subprocess.Popen(
        [*command, "--grace", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # the process prints it, or dies
            assert line.startswith("listening on "), line
            host, _, port = line.removeprefix("listening on ").strip().rpartition(":")
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(b"ping")
                assert sock.recv(16) == b"ping"
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err


def test_serve_echo_refuses_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = cli.main(["serve", "echo", "--impl", "asyncio", "--port", str(port)])
    assert status == 1
    assert f"port {port} is in use" in capsys.readouterr().err


def test_serve_echo_rejects_an_unknown_impl(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "echo", "--impl", "nope", "--port", "0"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nope'" in err
    assert all(impl in err for impl in IMPLS)
