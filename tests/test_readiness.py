"""Readiness: add_reader's callback, Trio's await, AnyIO's await — six columns."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import anyio
import pytest
import trio

import impl_asyncio.readiness
import impl_trio.readiness
import shared.readiness
from common.interface import ReadinessAPI
from rosetta.columns import Column

from .conftest import expect

pytestmark = [pytest.mark.anyio, pytest.mark.concept("readiness")]

# The type check of the interface for this concept: mypy fails here if a module drifts.
MODULES: dict[str, ReadinessAPI] = {
    "impl_asyncio": impl_asyncio.readiness,
    "impl_trio": impl_trio.readiness,
    "shared": shared.readiness,
}


@pytest.fixture
def readiness(column: Column) -> ReadinessAPI:
    return MODULES[column.package]


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with a, b:
        yield a, b


def _fill(sock: socket.socket) -> int:
    """Send until the kernel's buffers are full; the number of bytes that fit."""
    total = 0
    chunk = b"x" * 65536
    for _ in range(10_000):  # bounded: a socketpair holds a few MiB at most
        try:
            total += sock.send(chunk)
        except BlockingIOError:
            return total
    raise AssertionError("the send buffer never filled")


async def test_wait_readable_returns_once_the_peer_writes(
    readiness: ReadinessAPI, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    with anyio.move_on_after(0.05) as scope:
        await readiness.wait_readable(a)
    assert scope.cancelled_caught, "readable with nothing sent"
    b.send(b"ping")
    with anyio.fail_after(5):
        await readiness.wait_readable(a)
    assert a.recv(10) == b"ping"


async def test_wait_readable_reports_eof(
    readiness: ReadinessAPI, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    b.shutdown(socket.SHUT_WR)
    with anyio.fail_after(5):
        await readiness.wait_readable(a)
        assert await readiness.recv_some(a) == b""


async def test_wait_writable_waits_for_room(
    readiness: ReadinessAPI, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    with anyio.fail_after(5):
        await readiness.wait_writable(a)  # a fresh socket has room
    sent = _fill(a)
    with anyio.move_on_after(0.05) as scope:
        await readiness.wait_writable(a)
    assert scope.cancelled_caught, "writable with full buffers"
    received = 0
    while received < sent:  # drain everything: room again
        received += len(b.recv(1 << 20))
    with anyio.fail_after(5):
        await readiness.wait_writable(a)


async def test_a_cancelled_wait_leaves_nothing_registered(
    readiness: ReadinessAPI, pair: tuple[socket.socket, socket.socket]
) -> None:
    """A waiter cancelled by a timeout unregisters: the next one is not refused as busy
    and still wakes."""
    a, b = pair
    for _ in range(3):
        with anyio.move_on_after(0.01):
            await readiness.wait_readable(a)
    b.send(b"!")
    with anyio.fail_after(5):
        await readiness.wait_readable(a)


async def test_send_all_and_recv_some_move_a_mebibyte(
    readiness: ReadinessAPI, pair: tuple[socket.socket, socket.socket]
) -> None:
    """Partial sends and reads: 1 MiB is far more than a socketpair's buffers hold."""
    a, b = pair
    payload = os.urandom(1 << 20)
    received = bytearray()

    async def reader() -> None:
        while len(received) < len(payload):
            chunk = await readiness.recv_some(b, 7_919)  # an odd size: many partial reads
            assert chunk, "EOF before the whole payload"
            received.extend(chunk)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            await readiness.send_all(a, payload)
    assert received == payload


@pytest.mark.differs
async def test_a_second_waiter_on_the_same_socket_is_refused(
    readiness: ReadinessAPI, column: Column, pair: tuple[socket.socket, socket.socket]
) -> None:
    """asyncio keeps one reader per descriptor; a raw second ``add_reader`` would replace
    the first silently. All three refuse, each with its own exception."""
    a, _ = pair
    error: type[Exception] = expect(
        column,
        {
            "impl_asyncio": RuntimeError,
            "impl_trio": trio.BusyResourceError,
            "shared": anyio.BusyResourceError,
        },
    )

    async def first() -> None:
        await readiness.wait_readable(a)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await anyio.sleep(0.01)  # let the first waiter register
            with pytest.raises(error):
                await readiness.wait_readable(a)
            tg.cancel_scope.cancel()
