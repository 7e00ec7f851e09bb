"""The tour's FTP scenarios: one sans-I/O core, driven by each column's shell.

Registered into :data:`rosetta.tour.scenarios.SCENARIOS` on import, like the
other concept modules of the tour. The server is the column's ``serve_ftp`` on
127.0.0.1, port 0, serving a temporary directory; the client is a few lines of
FTP written here over plain non-blocking sockets, driven by the column's own
``recv_some`` / ``send_all`` (see :mod:`rosetta.tour.servers`). Every wait is
bounded by the scenario's timeout.
"""

from __future__ import annotations

import importlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from common.ftp import Config, User, Users, hash_password
from common.ftp_support import ServerOptions
from rosetta.tour.scenarios import Env, Outcome, scenario
from rosetta.tour.servers import HOST, _connect, _serving_with

FTP = "ftp"
SECONDS = 3.0
_BIG = 64 * 1024 * 1024  # a sparse file: far more than the socket buffers hold


def _shell(env: Env) -> ModuleType:
    return importlib.import_module(f"{env.column.package}.ftp")


@asynccontextmanager
async def _serving(env: Env, users: Users | None = None) -> AsyncIterator[int]:
    """The column's serve_ftp over a fresh directory; cancelled on the way out."""
    with tempfile.TemporaryDirectory(prefix="rosetta-tour-ftp-") as root:
        (Path(root) / "hello.txt").write_bytes(b"hello, world\n")
        (Path(root) / "big.bin").write_bytes(b"")
        os.truncate(Path(root) / "big.bin", _BIG)
        options = ServerOptions(core=Config(login_delay=0.05))
        serve_ftp = _shell(env).serve_ftp
        start = partial(serve_ftp, root, HOST, 0, users=users, options=options)
        async with _serving_with(env, lambda ready: start(ready=ready), seconds=1.0) as server:
            yield server.port


class _Client:
    """Just enough FTP: send a command, read one (possibly multi-line) reply."""

    def __init__(self, env: Env, sock: Any) -> None:
        self.env, self.sock, self._buffer = env, sock, b""

    async def reply(self) -> str:
        while True:
            lines = self._buffer.split(b"\r\n")
            first = lines[0]
            for index, line in enumerate(lines[:-1]):
                # A reply ends with "NNN " on its own line; "NNN-" opens a multi-line one.
                if line[:3] == first[:3] and line[3:4] == b" ":
                    self._buffer = b"\r\n".join(lines[index + 1 :])
                    return b"\n".join(lines[: index + 1]).decode()
            chunk = await self.env.api.recv_some(self.sock, 4096)
            if not chunk:
                raise ConnectionError("the server closed the control connection")
            self._buffer += chunk

    async def command(self, line: str) -> str:
        await self.env.api.send_all(self.sock, line.encode() + b"\r\n")
        return await self.reply()


async def _session(env: Env, port: int) -> tuple[_Client, str]:
    """An anonymous session, logged in; and the reply to its PASS."""
    client = _Client(env, await _connect(env, port))
    await client.reply()  # 220
    await client.command("USER anonymous")
    return client, await client.command("PASS tour")


async def _data(env: Env, client: _Client, port: int) -> Any:
    reply = await client.command("EPSV")
    match = re.search(r"\(\|\|\|(\d+)\|\)", reply)
    assert match, reply
    return await _connect(env, int(match.group(1)))


@scenario(
    FTP,
    "a session: login, PWD, NLST over EPSV",
    "The core answers USER/PASS/PWD without any I/O of its own; for NLST it asks the shell "
    "to open a passive listener (EPSV), then to send the names over the data connection.",
    seconds=SECONDS,
)
async def _a_session(env: Env) -> Outcome:
    async with _serving(env) as port:
        client, login = await _session(env, port)
        with client.sock:
            events = [login, await client.command("PWD")]
            with await _data(env, client, port) as data:
                await env.api.send_all(client.sock, b"NLST\r\n")
                events.append(await client.reply())
                names = bytearray()
                while chunk := await env.api.recv_some(data, 4096):
                    names += chunk
            events.append(f"data connection: {bytes(names)!r}")
            events.append(await client.reply())
    return events


@scenario(
    FTP,
    "ABOR during a RETR cancels the transfer task",
    "A 64 MiB download starts; the client reads 64 KiB and sends ABOR. The core asks the "
    "shell to close the data channel: asyncio cancels the transfer's task and awaits it, "
    "Trio and AnyIO cancel its scope. The data connection ends, then 426 and 226 arrive.",
    seconds=SECONDS,
)
async def _abor(env: Env) -> Outcome:
    async with _serving(env) as port:
        client, _ = await _session(env, port)
        with client.sock:
            await client.command("TYPE I")
            with await _data(env, client, port) as data:
                events = [await client.command("RETR big.bin")]
                got = 0
                while got < 65536:
                    got += len(await env.api.recv_some(data, 65536))
                await env.api.send_all(client.sock, b"ABOR\r\n")
                while await env.api.recv_some(data, 1 << 20):
                    pass  # what was in flight, until the server closes the connection
                events.append(f"read {got // 1024}+ KiB, then the server closed the connection")
            events += [await client.reply(), await client.reply()]
            events.append(await client.command("NOOP"))
    return events


@scenario(
    FTP,
    "a password is checked off the event loop",
    "scrypt is slow on purpose (about 50 ms here). The core hands it to the shell as a "
    "CheckPassword action, which runs it on a worker thread: while alice's PASS is being "
    "checked, another session's NOOP is answered.",
    seconds=SECONDS,
)
async def _off_loop(env: Env) -> Outcome:
    users = Users({"alice": User(hash_password("secret"))})
    async with _serving(env, users) as port:
        other, _ = await _session(env, port)
        with other.sock, await _connect(env, port) as sock:
            alice = _Client(env, sock)
            await alice.reply()
            await alice.command("USER alice")
            await env.api.send_all(sock, b"PASS secret\r\n")
            order: list[str] = []
            async with env.api.TaskGroup() as tg:

                async def login() -> None:
                    order.append(f"alice: {await alice.reply()}")

                tg.create_task(login())
                order.append(f"other session: {await other.command('NOOP')}")
    return order
