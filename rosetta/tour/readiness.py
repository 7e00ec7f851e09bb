"""The tour's readiness scenarios: a socket's readiness, waited for in every column.

Every socket is a plain non-blocking socket pair, driven only by the column's
``wait_readable`` / ``wait_writable`` / ``recv_some`` / ``send_all`` and closed by
a ``with`` whatever happens. Every wait is bounded: a scenario's timeout is 1 s.
"""

from __future__ import annotations

import socket

from rosetta.tour.scenarios import (
    Env,
    Outcome,
    asyncio_only,
    describe_exception,
    scenario,
)

READINESS = "readiness"
SECONDS = 1.0  # each scenario's timeout


def _pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def _qualified(exc: BaseException) -> str:
    """The exception's type with the package that defines it: trio's and anyio's share names."""
    module = type(exc).__module__.split(".")[0]
    name = describe_exception(exc, message=False)
    return name if module == "builtins" else f"{module}.{name}"


# -- readiness -------------------------------------------------------------------------------


@scenario(
    READINESS,
    "wait_readable returns once the peer writes",
    "A socketpair: one task waits for its end to be readable, the peer sends 5 bytes 10 ms "
    "later, the wait returns and recv_some takes them without blocking.",
    seconds=SECONDS,
)
async def _wait_readable(env: Env) -> Outcome:
    events: list[str] = []
    a, b = _pair()
    with a, b:

        async def waiter() -> None:
            events.append("waiting")
            await env.api.wait_readable(a)
            events.append("readable")

        async with env.api.TaskGroup() as tg:
            tg.create_task(waiter())
            await env.sleep(0.01)
            events.append("peer writes b'hello'")
            b.send(b"hello")
        events.append(f"recv_some → {await env.api.recv_some(a, 5)!r}")
    return events


@scenario(
    READINESS,
    "a second waiter on the same socket",
    "asyncio keeps one add_reader callback per descriptor: a second would silently replace "
    "the first, which would never wake. impl_asyncio refuses it with RuntimeError, Trio and "
    "AnyIO with their BusyResourceError. The first waiter still wakes.",
    group=asyncio_only,
    seconds=SECONDS,
)
async def _second_waiter(env: Env) -> Outcome:
    events: list[str] = []
    a, b = _pair()
    with a, b:

        async def first() -> None:
            await env.api.wait_readable(a)
            events.append("first waiter woke")

        async with env.api.TaskGroup() as tg:
            tg.create_task(first())
            await env.sleep(0.01)  # let the first waiter register
            try:
                await env.api.wait_readable(a)
            except Exception as exc:
                events.insert(0, f"second waiter: raises {_qualified(exc)}")
            else:
                events.insert(0, "second waiter: returned")
            b.send(b"!")
    return events


@scenario(
    READINESS,
    "send_all / recv_some move 1 MiB",
    "Far more than a socketpair's buffers hold: send_all waits for room again and again "
    "while another task reads it back in 7,919-byte pieces.",
    seconds=SECONDS,
)
async def _one_mib(env: Env) -> Outcome:
    payload = bytes(range(256)) * 4096
    received = bytearray()
    a, b = _pair()
    with a, b:

        async def reader() -> None:
            while len(received) < len(payload):
                chunk = await env.api.recv_some(b, 7_919)
                if not chunk:
                    break
                received.extend(chunk)

        async with env.api.TaskGroup() as tg:
            tg.create_task(reader())
            await env.api.send_all(a, payload)
    return f"received {len(received):,} bytes, intact: {received == payload}"
