"""``python -m rosetta.load.ftp``: the FTP load client of ``bench ftp`` (loopback only).

One process, one asyncio event loop (uvloop when installed), *N* FTP sessions.
Every session connects, reads the banner, logs in (``USER``/``PASS``), and then,
by ``--mode``:

``login``
    nothing more. Measured: first connect attempt to the last ``230``; with
    ``--repeat K``, K rounds of *N* sessions one after another.
``retr`` / ``stor``
    sends ``TYPE I`` and waits until every session is logged in (or failed);
    then all of them at once: ``EPSV`` (``PASV`` if refused), connect the data
    connection, ``RETR PATH`` into a counting sink (a ``BufferedProtocol``
    writing into one reused buffer, so nothing is kept), or ``STOR DIR/NAME``
    from one repeated in-memory buffer; then the ``226``, then ``QUIT``.
    Measured: from that start to the last ``226``, and the bytes moved. With
    one client, ``--repeat K`` makes it K transfers in a row, each timed.
``mixed``
    a server's day under load, each session on its own (no common start):
    the first ``--uploaders`` sessions log in as ``--upload-user`` and ``STOR``
    ``--size`` bytes into ``--upload-dir``; the others log in as ``--user``,
    ``LIST``, then ``RETR PATH``, and every ``--drop-every``-th of them drops:
    it aborts its data and control connections after the first bytes (no
    ``QUIT``). Measured: the elapsed time from the first connect to the last
    session done, and the server's peak memory: its tree's ``VmRSS`` and ``Pss``
    sampled every ``--sample-interval`` seconds (the largest sums), its thread
    count likewise, and ``VmHWM`` (the kernel's exact peak RSS) of the server
    process itself once every session is done.
``idle``
    one probe session logs in first; then *N* sessions log in and stay idle.
    With all of them open, the server's memory is sampled (``--server-pid``),
    the probe does ``RETR PATH`` among them (``--repeat`` times, each timed),
    every idle session must answer ``NOOP`` (so a session the server dropped
    counts as failed), and all of them ``QUIT``.

A session that is done waits for the others before its ``QUIT``, so the
server's CPU time (``--server-pid``) is read while every session still
exists: a forking server's ended sessions take their CPU time with them.

Connects start on a fixed grid of ``--connect-rate`` per second, and at most
``--concurrency`` sessions are between "connect started" and "logged in" at
once, so a server's accept queue is not flooded (a dropped SYN costs the
client a 1 s retransmit, which would measure the kernel, not the server).

The result is one JSON object on stdout (see :func:`result_json`): ok and
failed sessions, failures by reason, elapsed seconds, bytes and, in ``idle``
mode, the server's memory before and with the sessions: the sum of ``VmRSS``
(``/proc/PID/status``) and of ``Pss`` (``/proc/PID/smaps_rollup``) over the
server process and all its descendants (one process for a Python server; the
whole tree for a forking server like vsftpd); and in every mode the CPU
seconds the server's tree used during the run (user + system, with those of
the children it reaped). ``rounds`` lists the seconds of each round or
timed transfer. ``--cpu N`` pins this process to core *N*.

Error handling
--------------
* Every step has a deadline: a connect, each reply (``--op-timeout``; the
  ``PASS`` reply ``--login-timeout``, since a server may check passwords with
  a slow hash), a data connection that moves no byte for ``--op-timeout``; and
  the whole run ``--deadline``, after which every session still running is
  aborted and counted as failed. A session that fails is counted once, under
  its first reason (``"RETR: 425"``, ``"connect: Connection refused"``,
  ``"timeout: PASS reply"``...), never as a hang.
* A host that is not a loopback address, a bad argument, or too few file
  descriptors for *N* sessions (the soft ``RLIMIT_NOFILE`` is raised to the
  hard limit first): a message on stderr and exit status 2.
* Exit status: 0 when every session was ok, 1 when some failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rosetta.load.echo import (
    check_fd_limit,
    loopback_address,
    positive_float,
    positive_int,
    raise_fd_limit,
)

__all__ = [
    "MODES",
    "FTPLoadConfig",
    "FTPLoadResult",
    "MemorySample",
    "main",
    "process_tree",
    "result_json",
    "run",
    "sample_memory",
]

MODES = ("login", "retr", "stor", "idle", "mixed")
_BUFFER = 1024 * 1024  # the RETR sink's buffer and the STOR source's chunk
_T = TypeVar("_T")
_EPSV = re.compile(rb"\(([^0-9])\1\1(\d+)\1\)")
_PASV = re.compile(rb"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)")


# -- the server's memory ---------------------------------------------------------------------


@dataclass(frozen=True)
class MemorySample:
    """The server's memory, summed over its process tree, in KiB."""

    rss_kib: int
    pss_kib: int
    processes: int


def process_tree(pid: int) -> list[int]:
    """*pid* and all its descendants (a scan of ``/proc``: works without CONFIG_PROC_CHILDREN)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                text = stat.read()
        except OSError:
            continue  # it exited meanwhile
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def _field_kib(path: str, name: str) -> int:
    try:
        with open(path, encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass  # gone, or not readable: counts as 0
    return 0


def sample_memory(pid: int) -> MemorySample:
    """Sum VmRSS and Pss over *pid*'s process tree."""
    pids = process_tree(pid)
    rss = sum(_field_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(_field_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    return MemorySample(rss, pss, len(pids))


def tree_threads(pid: int) -> int:
    """Threads of *pid*'s process tree (``Threads:`` in ``/proc/PID/status``)."""
    count = 0
    for process in process_tree(pid):
        try:
            with open(f"/proc/{process}/status", encoding="ascii", errors="replace") as status:
                count += next((int(f.split()[1]) for f in status if f.startswith("Threads:")), 0)
        except OSError:
            continue  # it exited meanwhile
    return count


class _PeakSampler:
    """A thread sampling the server's memory and threads until :meth:`stop`: the largest."""

    def __init__(self, pid: int, interval: float) -> None:
        self.pid, self.interval = pid, interval
        self.rss_kib = self.pss_kib = self.processes = self.threads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            sample = sample_memory(self.pid)
            self.rss_kib = max(self.rss_kib, sample.rss_kib)
            self.pss_kib = max(self.pss_kib, sample.pss_kib)
            self.processes = max(self.processes, sample.processes)
            self.threads = max(self.threads, tree_threads(self.pid))
            if self._stop.wait(self.interval):
                return

    def stop(self) -> MemorySample:
        self._stop.set()
        self._thread.join()
        return MemorySample(self.rss_kib, self.pss_kib, self.processes)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, with reaped children's) of *pid*'s process tree."""
    ticks = 0
    for process in process_tree(pid):
        try:
            with open(f"/proc/{process}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


# -- configuration and result ----------------------------------------------------------------


@dataclass(frozen=True)
class FTPLoadConfig:
    host: str
    port: int
    mode: str
    clients: int
    user: str = "anonymous"
    password: str = "bench@example.org"
    path: str = ""  # retr/idle: the file to fetch; stor: the directory to upload into
    size: int = 0  # retr/idle: its size (checked); stor: bytes to send
    connect_rate: float = 2000.0
    concurrency: int = 0  # sessions between connect and login at once; 0: no limit
    op_timeout: float = 30.0
    login_timeout: float = 60.0
    deadline: float = 300.0
    server_pid: int | None = None
    settle: float = 1.0  # idle: seconds between the last login and the memory sample
    tag: str = "bench"  # stor: uploaded names are TAG-INDEX-ROUND.bin
    repeat: int = 1  # login: rounds of N sessions; retr/stor (one client) and idle: transfers
    uploaders: int = 0  # mixed: the first sessions, which log in as upload_user and STOR
    upload_user: str = ""
    upload_password: str = ""
    upload_dir: str = ""
    drop_every: int = 3  # mixed: every K-th downloader drops mid-RETR (0: none)
    sample_interval: float = 0.02  # mixed: seconds between memory samples


@dataclass
class FTPLoadResult:
    config: FTPLoadConfig
    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    logged_in: int = 0
    login_elapsed: float | None = None  # first connect attempt to the last 230
    transfer_elapsed: float | None = None  # the common start to the last 226
    transfer_bytes: int = 0  # moved by transfers that completed
    elapsed: float = 0.0  # the whole run
    memory_before: MemorySample | None = None
    memory_loaded: MemorySample | None = None
    probe_bytes: int = 0
    probe_seconds: float | None = None
    probe_error: str | None = None
    alive: int = 0  # idle: sessions that answered NOOP after the probe
    sessions_at_sample: int = 0  # idle: logged-in sessions (the probe's too) at the memory sample
    rounds: list[float] = field(default_factory=list)  # seconds of each round (see --repeat)
    transfers_ok: int = 0  # transfers answered 2xx after the data
    server_cpu: float | None = None  # the server tree's CPU seconds during the run
    dropped: int = 0  # mixed: sessions that dropped mid-RETR, as planned
    memory_peak: MemorySample | None = None  # mixed: the largest sampled sums
    threads_peak: int = 0  # mixed: the most threads sampled in the server's tree
    hwm_kib: int = 0  # mixed: VmHWM of the server process once every session is done

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


def result_json(result: FTPLoadResult) -> dict[str, Any]:
    """The JSON object printed on stdout: what the bench reads."""

    def memory(sample: MemorySample | None) -> dict[str, int] | None:
        if sample is None:
            return None
        return {"rss_kib": sample.rss_kib, "pss_kib": sample.pss_kib, "processes": sample.processes}

    config = result.config
    return {
        "mode": config.mode,
        "clients": config.clients,
        "size": config.size,
        "ok": result.ok,
        "failed": result.failed,
        "failures": dict(result.failures.most_common()),
        "logged_in": result.logged_in,
        "login_elapsed": result.login_elapsed,
        "transfer_elapsed": result.transfer_elapsed,
        "transfer_bytes": result.transfer_bytes,
        "elapsed": result.elapsed,
        "memory_before": memory(result.memory_before),
        "memory_loaded": memory(result.memory_loaded),
        "probe_bytes": result.probe_bytes,
        "probe_seconds": result.probe_seconds,
        "probe_error": result.probe_error,
        "alive": result.alive,
        "sessions_at_sample": result.sessions_at_sample,
        "rounds": result.rounds,
        "transfers_ok": result.transfers_ok,
        "server_cpu": result.server_cpu,
        "dropped": result.dropped,
        "memory_peak": memory(result.memory_peak),
        "threads_peak": result.threads_peak,
        "hwm_kib": result.hwm_kib,
    }


# -- one session -----------------------------------------------------------------------------


class Failure(Exception):
    """A session failed; the message is its reason (short, shared by many sessions)."""


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


class _Sink(asyncio.BufferedProtocol):
    """A data connection's receiving end: count the bytes, keep none."""

    def __init__(self, buffer: memoryview, done: asyncio.Future[None]) -> None:
        self.buffer = buffer
        self.done = done
        self.received = 0
        self.started = asyncio.Event()  # the first bytes arrived

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.received += nbytes
        self.started.set()

    def eof_received(self) -> bool | None:
        return None  # close; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if exc is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(exc)


class _Session:
    """One FTP control connection; every step bounded by the config's timeouts."""

    def __init__(self, config: FTPLoadConfig, host: str) -> None:
        self.config, self.host = config, host
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _bounded(self, step: Awaitable[_T], what: str, seconds: float | None = None) -> _T:
        try:
            async with asyncio.timeout(seconds or self.config.op_timeout):
                return await step
        except TimeoutError:
            raise Failure(f"timeout: {what}") from None
        except OSError as exc:
            raise Failure(f"{what}: {_os_reason(exc)}") from None

    async def connect(self) -> None:
        self.reader, self.writer = await self._bounded(
            asyncio.open_connection(self.host, self.config.port), "connect"
        )
        self._expect(await self.reply("banner"), 2, "banner")

    async def reply(self, what: str, seconds: float | None = None) -> tuple[int, bytes]:
        """Read one (possibly multi-line) reply: its code and its last line."""
        assert self.reader is not None
        reader = self.reader

        async def read() -> tuple[int, bytes]:
            line = await reader.readline()
            if not line.endswith(b"\n"):
                raise Failure(f"{what}: connection closed by the server")
            if len(line) < 4 or not line[:3].isdigit():
                raise Failure(f"{what}: malformed reply")
            code, first = line[:3], line
            if line[3:4] == b"-":  # multi-line: until "CODE " (RFC 959 4.2)
                while not line.startswith(code + b" "):
                    line = await reader.readline()
                    if not line.endswith(b"\n"):
                        raise Failure(f"{what}: connection closed by the server")
            return int(code), first if line is first else line

        return await self._bounded(read(), f"{what} reply", seconds)

    async def command(
        self, line: str, expect: int, what: str, seconds: float | None = None
    ) -> tuple[int, bytes]:
        assert self.writer is not None
        self.writer.write(line.encode() + b"\r\n")
        code, text = await self.reply(what, seconds)
        self._expect((code, text), expect, what)
        return code, text

    @staticmethod
    def _expect(reply: tuple[int, bytes], first_digit: int, what: str) -> None:
        if reply[0] // 100 != first_digit:
            raise Failure(f"{what}: {reply[0]}")

    async def login(self, user: str | None = None, password: str | None = None) -> None:
        config = self.config
        assert self.writer is not None
        self.writer.write(f"USER {user or config.user}\r\n".encode())
        code, _ = await self.reply("USER")
        if code == 230:
            return  # no password asked
        if code != 331:
            raise Failure(f"USER: {code}")
        await self.command(f"PASS {password or config.password}", 2, "PASS", config.login_timeout)

    async def open_data(self) -> tuple[str, int]:
        """EPSV (PASV if refused): where to connect the data connection."""
        assert self.writer is not None
        self.writer.write(b"EPSV\r\n")
        code, text = await self.reply("EPSV")
        if code == 229 and (match := _EPSV.search(text)):
            return self.host, int(match[2])
        if code // 100 == 5:
            code, text = await self.command("PASV", 2, "PASV")
            if match := _PASV.search(text):
                numbers = [int(n) for n in match.groups()]
                return ".".join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]
        raise Failure(f"EPSV: {code}")

    async def retr(self, path: str, sink_buffer: memoryview, *, drop: bool = False) -> int:
        """RETR *path* into a counting sink; the bytes received.

        *drop*: abort the data and the control connection once the first bytes came.
        """
        return await self.download(f"RETR {path}", sink_buffer, drop=drop)

    async def download(self, command: str, sink_buffer: memoryview, *, drop: bool = False) -> int:
        """*command* (RETR, LIST) into a counting sink; the bytes received."""
        loop = asyncio.get_running_loop()
        what = command.partition(" ")[0]
        address = await self.open_data()
        done: asyncio.Future[None] = loop.create_future()
        sink = _Sink(sink_buffer, done)
        transport, _ = await self._bounded(
            loop.create_connection(lambda: sink, *address), "data connect"
        )
        try:
            await self.command(command, 1, what)
            if drop:
                await self._bounded(sink.started.wait(), f"{what} first bytes")
                self.close()  # the control connection too: a client that went away
                return sink.received
            while not done.done():  # until EOF; failed if no byte for op_timeout
                before = sink.received
                await asyncio.wait([done], timeout=self.config.op_timeout)
                if not done.done() and sink.received == before:
                    raise Failure(f"{what}: data stalled")
            try:
                done.result()
            except OSError as exc:
                raise Failure(f"{what} data: {_os_reason(exc)}") from None
        finally:
            transport.abort()  # no-op after EOF; frees it on a failure
        await self.reply_expect(2, f"{what} end")
        return sink.received

    async def stor(self, path: str, size: int, source: memoryview) -> int:
        """STOR *size* bytes of *source*, repeated, as *path*; the bytes sent."""
        address = await self.open_data()
        _, writer = await self._bounded(asyncio.open_connection(*address), "data connect")
        try:
            await self.command(f"STOR {path}", 1, "STOR")
            left = size
            while left:
                chunk = source[: min(left, len(source))]
                writer.write(chunk)
                left -= len(chunk)
                await self._bounded(writer.drain(), "STOR data")
            writer.close()
            await self._bounded(writer.wait_closed(), "STOR data close")
        finally:
            writer.transport.abort()
        await self.reply_expect(2, "STOR end")
        return size

    async def reply_expect(self, first_digit: int, what: str) -> None:
        self._expect(await self.reply(what), first_digit, what)

    async def quit(self) -> None:
        await self.command("QUIT", 2, "QUIT")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()


# -- a run -----------------------------------------------------------------------------------


class _Run:
    """What the sessions of one run share: pacing, the start barrier, the tallies."""

    def __init__(self, config: FTPLoadConfig, host: str, result: FTPLoadResult) -> None:
        self.config, self.host, self.result = config, host, result
        self.start = time.perf_counter()
        limit = config.concurrency or config.clients
        self.handshakes = asyncio.Semaphore(limit)
        self.waiting = config.clients  # sessions not yet logged in or failed
        self.all_logged_in = asyncio.Event()
        self.go = asyncio.Event()  # retr/stor: transfer; idle: NOOP
        self.leave = asyncio.Event()  # every session done (or failed): QUIT
        self.probe_go = asyncio.Event()  # idle: the probe's RETRs
        self.probe_done = asyncio.Event()  # idle: they are over (or failed)
        self.unchecked = config.clients  # sessions not yet done with their work (or failed)
        self.all_checked = asyncio.Event()
        self.last_login = 0.0
        self.open = 0  # logged-in sessions not yet closed
        self.logged_in = 0  # in this run (a login round)
        self.transfer_start = 0.0
        self.transfer_end = 0.0
        self.buffer = memoryview(bytearray(b"x" * _BUFFER))

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.all_logged_in.set()

    def checked(self) -> None:
        self.unchecked -= 1
        if self.unchecked == 0:
            self.all_checked.set()

    async def session(self, index: int) -> None:
        config, result = self.config, self.result
        delay = self.start + index / config.connect_rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        session = _Session(config, self.host)
        arrived = checked = False
        uploader = config.mode == "mixed" and index < config.uploaders
        try:
            async with self.handshakes:
                await session.connect()
                if uploader:
                    await session.login(config.upload_user, config.upload_password)
                else:
                    await session.login()
                if config.mode in ("retr", "stor", "mixed"):
                    await session.command("TYPE I", 2, "TYPE")
            result.logged_in += 1
            self.logged_in += 1
            self.open += 1
            self.last_login = time.perf_counter()
            arrived = True
            self.arrived()
            if config.mode in ("retr", "stor"):
                await self.go.wait()
                for round_ in range(config.repeat):  # one round unless a single client
                    started = time.perf_counter()
                    if config.mode == "retr":
                        moved = await session.retr(config.path, self.buffer)
                        if moved != config.size:
                            raise Failure("RETR: wrong size")
                    else:
                        name = f"{config.path.rstrip('/')}/{config.tag}-{index}-{round_}.bin"
                        moved = await session.stor(name, config.size, self.buffer)
                    self.transfer_end = max(self.transfer_end, time.perf_counter())
                    result.transfer_bytes += moved
                    result.transfers_ok += 1
                    if config.clients == 1:
                        result.rounds.append(self.transfer_end - started)
            elif config.mode == "idle":
                await self.go.wait()
                await session.command("NOOP", 2, "NOOP")
                result.alive += 1
            elif config.mode == "mixed":
                if uploader:
                    name = f"{config.upload_dir.rstrip('/')}/{config.tag}-{index}-0.bin"
                    result.transfer_bytes += await session.stor(name, config.size, self.buffer)
                else:
                    await session.download("LIST", self.buffer)
                    downloader = index - config.uploaders
                    drop = config.drop_every > 0 and downloader % config.drop_every == 0
                    moved = await session.retr(config.path, self.buffer, drop=drop)
                    if drop:
                        result.dropped += 1
                        self.transfer_end = max(self.transfer_end, time.perf_counter())
                        return  # gone without QUIT: neither ok nor failed
                    if moved != config.size:
                        raise Failure("RETR: wrong size")
                    result.transfer_bytes += moved
                result.transfers_ok += 1
                self.transfer_end = max(self.transfer_end, time.perf_counter())
            # Done: wait for the others, so the server's CPU is read while every session
            # still exists (vsftpd's ended sessions take their CPU time with them).
            checked = True
            self.checked()
            await self.leave.wait()
            await session.quit()
            result.ok += 1
        except Failure as exc:
            result.failures[str(exc)] += 1
        except asyncio.CancelledError:
            result.failures["still running at the run deadline"] += 1
            raise
        except Exception as exc:  # a bug here: count it, with its type, and go on
            result.failures[f"client error: {type(exc).__name__}"] += 1
        finally:
            session.close()
            if arrived:
                self.open -= 1
            else:
                self.arrived()
            if not checked:
                self.checked()

    async def probe(self, ready: asyncio.Event) -> None:
        """idle mode: log in first, RETR once every idle session is in, then QUIT."""
        config, result = self.config, self.result
        session = _Session(config, self.host)
        logged_in = False
        try:
            try:
                await session.connect()
                await session.login()
                await session.command("TYPE I", 2, "TYPE")
                logged_in = True
                self.open += 1
            finally:
                ready.set()
                if not logged_in:
                    self.probe_done.set()
            await self.probe_go.wait()  # every idle session in, the memory sampled
            try:
                for _ in range(config.repeat):
                    started = time.perf_counter()
                    moved = await session.retr(config.path, self.buffer)
                    result.rounds.append(time.perf_counter() - started)
                    if moved != config.size:
                        raise Failure("RETR: wrong size")
                    result.probe_bytes += moved
                    result.transfers_ok += 1
                result.probe_seconds = sum(result.rounds)
            finally:
                self.probe_done.set()
            await self.leave.wait()
            await session.quit()
        except Failure as exc:
            result.probe_error = str(exc)
        finally:
            session.close()
            if logged_in:
                self.open -= 1


async def _run(config: FTPLoadConfig, host: str, result: FTPLoadResult) -> None:
    loop = asyncio.get_running_loop()
    pid = config.server_pid
    cpu_start = 0.0

    async def cpu_now() -> float:
        assert pid is not None
        return await loop.run_in_executor(None, tree_cpu_seconds, pid)

    async def finish(run: _Run) -> None:
        """Every session done: add the server's CPU since *cpu_start*, then let them QUIT."""
        await run.all_checked.wait()
        if pid is not None:
            with contextlib.suppress(OSError):
                result.server_cpu = (result.server_cpu or 0.0) + await cpu_now() - cpu_start
        run.leave.set()

    if pid is not None:
        result.memory_before = await loop.run_in_executor(None, sample_memory, pid)
        cpu_start = await cpu_now()
    started = time.perf_counter()
    run = _Run(config, host, result)
    tasks: set[asyncio.Task[None]] = set()
    probe: asyncio.Task[None] | None = None
    sampler: _PeakSampler | None = None
    try:
        async with asyncio.timeout(config.deadline):
            if config.mode == "login":
                for round_ in range(config.repeat):  # rounds of N sessions, one after another
                    if round_:
                        run = _Run(config, host, result)
                        if pid is not None:
                            cpu_start = await cpu_now()
                    tasks = {asyncio.create_task(run.session(i)) for i in range(config.clients)}
                    await run.all_logged_in.wait()
                    if run.logged_in:
                        result.rounds.append(run.last_login - run.start)
                    await finish(run)
                    await asyncio.wait(tasks)
                if result.rounds:
                    result.login_elapsed = statistics.median(result.rounds)
                return
            if config.mode == "idle":
                probe_ready = asyncio.Event()
                probe = asyncio.create_task(run.probe(probe_ready))
                await probe_ready.wait()
            if config.mode == "mixed" and pid is not None:
                sampler = await loop.run_in_executor(
                    None, _PeakSampler, pid, config.sample_interval
                )
            run.start = time.perf_counter()
            tasks = {asyncio.create_task(run.session(i)) for i in range(config.clients)}
            await run.all_logged_in.wait()
            if result.logged_in:
                result.login_elapsed = run.last_login - run.start
            if config.mode in ("retr", "stor"):
                run.transfer_start = time.perf_counter()
                run.go.set()
                await run.all_checked.wait()
                if run.transfer_end:
                    result.transfer_elapsed = run.transfer_end - run.transfer_start
                    if config.clients > 1:
                        result.rounds.append(result.transfer_elapsed)
            elif config.mode == "mixed":
                await run.all_checked.wait()
                if run.transfer_end:
                    result.transfer_elapsed = run.transfer_end - run.start
                    result.rounds.append(result.transfer_elapsed)
                if sampler is not None:
                    result.memory_peak = await loop.run_in_executor(None, sampler.stop)
                    result.threads_peak, sampler = sampler.threads, None
                    assert pid is not None
                    result.hwm_kib = _field_kib(f"/proc/{pid}/status", "VmHWM:")
            elif config.mode == "idle":
                await asyncio.sleep(config.settle)
                if pid is not None:
                    result.sessions_at_sample = run.open
                    result.memory_loaded = await loop.run_in_executor(None, sample_memory, pid)
                run.probe_go.set()  # the probe's RETRs among the idle sessions
                await run.probe_done.wait()
                run.go.set()  # then every idle session: NOOP
                await run.all_checked.wait()
            await finish(run)
            await asyncio.wait(tasks)
            if probe is not None:
                await asyncio.wait([probe])
    except TimeoutError:
        pass  # the tasks still running are cancelled below and count as failed
    finally:
        if sampler is not None:
            sampler.stop()
        for task in (*tasks, *(t for t in [probe] if t)):
            task.cancel()
        await asyncio.gather(*tasks, *(t for t in [probe] if t), return_exceptions=True)
        if probe is not None and result.probe_seconds is None and result.probe_error is None:
            result.probe_error = "still running at the run deadline"
        result.elapsed = time.perf_counter() - started


def run(config: FTPLoadConfig) -> FTPLoadResult:
    """Run *config* against its server and return what was measured."""
    host = loopback_address(config.host)
    result = FTPLoadResult(config)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_run(config, host, result))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_run(config, host, result))
    return result


# -- the command -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rosetta.load.ftp",
        description="FTP sessions against a server on this machine; JSON results on stdout.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--clients", type=positive_int, default=1, metavar="N")
    parser.add_argument("--user", default="anonymous")
    parser.add_argument("--password", default="bench@example.org")
    parser.add_argument("--path", default="", help="file to RETR, or directory to STOR into")
    parser.add_argument("--size", type=int, default=0, help="bytes: expected (RETR), sent (STOR)")
    parser.add_argument("--connect-rate", type=positive_float, default=2000.0, metavar="R")
    parser.add_argument("--concurrency", type=int, default=0, metavar="C")
    parser.add_argument("--op-timeout", type=positive_float, default=30.0, metavar="S")
    parser.add_argument("--login-timeout", type=positive_float, default=60.0, metavar="S")
    parser.add_argument("--deadline", type=positive_float, default=300.0, metavar="S")
    parser.add_argument("--server-pid", type=positive_int, metavar="PID")
    parser.add_argument("--settle", type=float, default=1.0, metavar="S")
    parser.add_argument("--tag", default="bench", help="STOR names: TAG-INDEX-ROUND.bin")
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        metavar="K",
        help="login: K rounds of N sessions; retr/stor with one client: K transfers in a row; "
        "idle: K probe RETRs (default 1)",
    )
    parser.add_argument(
        "--uploaders", type=int, default=0, metavar="K", help="mixed: sessions that STOR"
    )
    parser.add_argument("--upload-user", default="", help="mixed: the uploaders' user")
    parser.add_argument("--upload-password", default="")
    parser.add_argument("--upload-dir", default="", help="mixed: the directory to STOR into")
    parser.add_argument(
        "--drop-every",
        type=int,
        default=3,
        metavar="K",
        help="mixed: every K-th downloader drops mid-RETR (0: none; default 3)",
    )
    parser.add_argument("--sample-interval", type=positive_float, default=0.02, metavar="S")
    parser.add_argument("--cpu", type=int, metavar="N", help="pin this process to core N")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"ftp_load: error: {message}", file=sys.stderr)
        return 2

    try:
        loopback_address(args.host)
    except ValueError as exc:
        return fail(f"refusing {args.host!r}: {exc}; loopback only")
    if not 0 < args.port < 65536:
        return fail(f"--port must be in 1..65535, not {args.port}")
    if args.mode in ("retr", "stor", "idle", "mixed") and (not args.path or args.size <= 0):
        return fail(f"--mode {args.mode} needs --path and a --size > 0")
    if args.mode == "mixed":
        if not 0 <= args.uploaders <= args.clients:
            return fail(
                f"--uploaders must be in 0..{args.clients} (--clients), not {args.uploaders}"
            )
        if args.uploaders and not (args.upload_user and args.upload_dir):
            return fail("--uploaders > 0 needs --upload-user and --upload-dir")
        if args.drop_every < 0:
            return fail(f"--drop-every must be >= 0, not {args.drop_every}")
    if args.repeat > 1 and args.mode in ("retr", "stor") and args.clients > 1:
        return fail("--repeat > 1 in retr/stor mode needs --clients 1")
    message = check_fd_limit(args.clients + 2, raise_fd_limit())  # + the probe, a data conn
    if message is not None:
        return fail(message)
    if args.cpu is not None:
        try:
            os.sched_setaffinity(0, {args.cpu})
        except (OSError, ValueError) as exc:
            return fail(f"cannot pin to core {args.cpu}: {exc}")
    config = FTPLoadConfig(
        host=args.host,
        port=args.port,
        mode=args.mode,
        clients=args.clients,
        user=args.user,
        password=args.password,
        path=args.path,
        size=args.size,
        connect_rate=args.connect_rate,
        concurrency=max(0, args.concurrency),
        op_timeout=args.op_timeout,
        login_timeout=args.login_timeout,
        deadline=args.deadline,
        server_pid=args.server_pid,
        settle=max(0.0, args.settle),
        tag=args.tag,
        repeat=args.repeat,
        uploaders=args.uploaders,
        upload_user=args.upload_user,
        upload_password=args.upload_password,
        upload_dir=args.upload_dir,
        drop_every=args.drop_every,
        sample_interval=args.sample_interval,
    )
    result = run(config)
    json.dump(result_json(result), sys.stdout)
    sys.stdout.write("\n")
    return 0 if result.failed == 0 and result.probe_error is None else 1


if __name__ == "__main__":
    sys.exit(main())
