"""``async-rosetta load``: a loopback load generator for the echo servers.

It opens *N* TCP connections to an echo server on this machine, either at a
limited rate (``--connect-rate R`` per second) or all at once (``--storm``), and
each connection does request/response for *T* seconds: send *M* bytes, wait for
the *M*-byte echo, send again. One request is in flight per connection, so the
latency of a request is the server's turnaround plus the loopback round trip.

It reports:

* connections ok (connected and answered until the end) and failed, with why;
* requests per second and request latency p50 / p99 / max;
* time to first reply: from the moment a connection's connect starts to its
  first complete echo. Under a connection storm this is what a client feels
  when the server's accept queue overflows (the kernel drops the SYN and the
  client retries after 1 s, 3 s, ...);
* with ``--server-pid``, read from ``/proc/PID/stat`` and ``/proc/PID/status``:
  the server's CPU seconds (user + system) per 100,000 requests, and its RSS per
  connection (peak RSS during the run minus RSS before the first connect,
  divided by the connections that were established).

The client is an asyncio ``Protocol`` on uvloop (plain asyncio if uvloop is
missing): callbacks, no task per connection, so one client core can keep a
Python server core busy. With ``--server-pid`` and two or more usable cores the
server and this process are pinned to different cores, so neither steals the
other's CPU and the server's CPU time is its own; the server's affinity is
restored at the end.

Error handling
--------------
* A host that is not a loopback address is refused (exit status 2): this tool
  only loads servers on this machine.
* The open-file soft limit is raised to the hard limit. If *N* connections plus
  a margin still do not fit, it says so with the limit and how to raise it, and
  exits with status 2 before opening anything.
* Everything is bounded: connects time out after ``--connect-timeout``;
  connections stop sending at the end of the run and wait at most ``--grace``
  seconds for the reply in flight; then every connection still open is aborted
  and counted as failed. The whole run is capped by a hard deadline: connect
  window + connect timeout + duration + grace. A server that closes or resets
  a connection early, or never answers, shows up as failed connections, never
  as a hang.
* Exit status: 0 when every connection was ok, 1 when some failed, 2 on bad
  input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import math
import os
import resource
import socket
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from common.listeners import host_port, raise_fd_limit
from rosetta.bench.schema import Row, check_output_path, write_json

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "FD_MARGIN",
    "LoadConfig",
    "LoadResult",
    "ServerSample",
    "add_parser",
    "check_fd_limit",
    "loopback_address",
    "positive_float",
    "positive_int",
    "raise_fd_limit",
    "read_server",
    "run",
    "run_load",
    "to_rows",
]

# Descriptors the process needs besides its connections: stdio, the event loop's
# epoll and wake-up pipe, /proc files, the JSON file, and some slack.
FD_MARGIN = 64


# -- input checks ---------------------------------------------------------------------------


def loopback_address(host: str) -> str:
    """The loopback IP address *host* names; :class:`ValueError` if it is not loopback.

    ``localhost`` is resolved, and every address it resolves to must be loopback.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass  # not an IP literal: a name, resolved below
    else:
        if not address.is_loopback:
            raise ValueError(f"{host} is not a loopback address")
        return str(address)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"cannot resolve {host!r}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise ValueError(f"{host} resolves to {', '.join(addresses)}, not only loopback")
    return addresses[0]


def check_fd_limit(connections: int, limit: int) -> str | None:
    """The message to print when *connections* do not fit in *limit* descriptors, else None."""
    if limit == resource.RLIM_INFINITY or connections + FD_MARGIN <= limit:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = connections + FD_MARGIN
    return (
        f"cannot open {connections:,} connections: the open-file limit (RLIMIT_NOFILE) of this "
        f"process is {limit:,} (hard limit {hard:,}), and {connections:,} connections need "
        f"{need:,} descriptors (one each plus {FD_MARGIN} for the process).\n"
        f"Raise it in the shell that runs this command, e.g. `ulimit -n {need}` (above the hard "
        "limit: `LimitNOFILE=` in systemd or `nofile` in /etc/security/limits.conf, as root), "
        "or ask for fewer connections. The server needs as many descriptors as well."
    )


# -- the server's /proc -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSample:
    """CPU time and resident memory of the server process at one moment."""

    cpu_seconds: float  # utime + stime
    rss_kib: int


def read_server(pid: int) -> ServerSample:
    """Read *pid*'s CPU time from ``/proc/PID/stat`` and VmRSS from ``/proc/PID/status``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        text = stat.read()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    rss = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])  # in kB (KiB)
                break
    return ServerSample((utime + stime) / os.sysconf("SC_CLK_TCK"), rss)


def _pin(server_pid: int) -> tuple[str, dict[int, set[int]]]:
    """Pin the server and this process to different cores; return a note and what to restore."""
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        return "not pinned: fewer than two usable cores", {}
    saved = {server_pid: os.sched_getaffinity(server_pid), 0: os.sched_getaffinity(0)}
    try:
        os.sched_setaffinity(server_pid, {usable[0]})
        os.sched_setaffinity(0, {usable[1]})
    except OSError as exc:
        _unpin(saved)
        return f"not pinned: {exc}", {}
    return f"server on core {usable[0]}, client on core {usable[1]}", saved


def _unpin(saved: dict[int, set[int]]) -> None:
    for pid, cpus in saved.items():
        with contextlib.suppress(OSError):  # the server may have exited meanwhile
            os.sched_setaffinity(pid, cpus)


# -- the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadConfig:
    host: str
    port: int
    connections: int
    duration: float
    size: int
    connect_rate: float | None = None  # None: a storm, every connect at once
    connect_timeout: float = 10.0
    grace: float = 5.0  # after the run, how long an in-flight request may still take
    server_pid: int | None = None

    @property
    def connect_window(self) -> float:
        """Seconds from the first connect attempt to the start of the last one."""
        if self.connect_rate is None:
            return 0.0
        return (self.connections - 1) / self.connect_rate

    @property
    def hard_deadline(self) -> float:
        """Seconds after the start when everything still open is aborted."""
        return self.connect_window + self.connect_timeout + self.duration + self.grace


@dataclass
class LoadResult:
    config: LoadConfig
    ok: int = 0
    established: int = 0  # connections that connected, whatever happened to them later
    failures: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    elapsed: float = 0.0  # first connect attempt to the end of the traffic
    connect_time: float = 0.0  # first connect attempt to the last connection established
    latencies: array[float] = field(default_factory=lambda: array("d"))
    first_replies: array[float] = field(default_factory=lambda: array("d"))
    server_before: ServerSample | None = None
    server_after: ServerSample | None = None
    server_peak_rss_kib: int = 0
    pinning: str = "not pinned: no --server-pid"

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def server_cpu_per_100k(self) -> float | None:
        """Server CPU seconds per 100,000 requests (accepting included)."""
        if self.server_before is None or self.server_after is None or self.requests == 0:
            return None
        cpu = self.server_after.cpu_seconds - self.server_before.cpu_seconds
        return cpu * 100_000 / self.requests

    @property
    def server_rss_per_connection_kib(self) -> float | None:
        if self.server_before is None or self.server_peak_rss_kib == 0:
            return None
        growth = self.server_peak_rss_kib - self.server_before.rss_kib
        return growth / max(self.established, 1)


def quantile(values: array[float], q: float) -> float | None:
    """The *q* quantile (nearest rank) of *values*, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


class _Run:
    """What every connection of one run shares: the payload, the clock, the tallies."""

    def __init__(self, config: LoadConfig, result: LoadResult) -> None:
        self.payload = b"x" * config.size
        self.size = config.size
        self.result = result
        self.stop_at = math.inf  # perf_counter() after which no new request is sent
        self.open: set[_Connection] = set()
        self.all_closed = asyncio.Event()
        self.last_connected = 0.0


class _Connection(asyncio.Protocol):
    """One client connection: send the payload, count the echo, repeat until stop_at."""

    def __init__(self, run: _Run, started: float) -> None:
        self.run = run
        self.started = started  # perf_counter() when the connect began
        self.transport: asyncio.Transport | None = None
        self.pending = 0  # bytes of the current echo still to come
        self.sent_at = 0.0
        self.replies = 0
        self.finished = False  # we closed it ourselves, after the run
        self.failure: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport quacks like asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.run.open.add(self)
        self.run.result.established += 1
        self.run.last_connected = time.perf_counter()
        self._send(self.run.last_connected)

    def _send(self, now: float) -> None:
        assert self.transport is not None
        self.pending = self.run.size
        self.sent_at = now
        self.transport.write(self.run.payload)

    def data_received(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending > 0:
            return
        assert self.transport is not None
        if self.pending < 0:
            self.fail("echo longer than the request")
            self.transport.abort()
            return
        now = time.perf_counter()
        run = self.run
        run.result.latencies.append(now - self.sent_at)
        if self.replies == 0:
            run.result.first_replies.append(now - self.started)
        self.replies += 1
        if now < run.stop_at:
            self._send(now)
        else:
            self.finished = True
            self.transport.close()

    def eof_received(self) -> bool | None:
        return None  # the server half-closed: close our side too, connection_lost follows

    def fail(self, reason: str) -> None:
        if self.failure is None and not self.finished:
            self.failure = reason

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished:
            if exc is None:
                self.fail("closed by the server")
            else:
                self.fail(
                    f"{type(exc).__name__}: {exc.strerror or exc}"
                    if isinstance(exc, OSError)
                    else repr(exc)
                )
        self._tally()
        self.run.open.discard(self)
        if not self.run.open:
            self.run.all_closed.set()

    def _tally(self) -> None:
        result = self.run.result
        if self.failure is None and self.replies > 0:
            result.ok += 1
            result.requests += self.replies
        else:
            result.failures[self.failure or "no reply"] += 1
            result.requests += self.replies  # the requests it did complete still count


async def _connect(
    loop: asyncio.AbstractEventLoop, run: _Run, config: LoadConfig, host: str
) -> None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(config.connect_timeout):
            await loop.create_connection(lambda: _Connection(run, started), host, config.port)
    except TimeoutError:
        run.result.failures["connect timed out"] += 1
    except asyncio.CancelledError:
        run.result.failures["connect still pending at the hard deadline"] += 1
        raise
    except OSError as exc:
        run.result.failures[f"connect: {exc.strerror or exc}"] += 1


async def _sample_rss(pid: int, result: LoadResult, every: float) -> None:
    while True:
        try:
            result.server_peak_rss_kib = max(result.server_peak_rss_kib, read_server(pid).rss_kib)
        except OSError:
            return  # the server is gone
        await asyncio.sleep(every)


async def _load(config: LoadConfig, host: str, result: LoadResult) -> None:
    loop = asyncio.get_running_loop()
    run = _Run(config, result)
    sampler = None
    if config.server_pid is not None:
        sampler = asyncio.create_task(_sample_rss(config.server_pid, result, 0.1))
    start = time.perf_counter()
    hard_deadline = start + config.hard_deadline
    connects: set[asyncio.Task[None]] = set()
    try:
        # Open: all at once, or one every 1/R s on a fixed grid (no drift from sleep's lateness).
        for i in range(config.connections):
            if config.connect_rate is not None:
                delay = start + i / config.connect_rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            connects.add(asyncio.create_task(_connect(loop, run, config, host)))
        # Traffic runs for `duration` after the last connect began; then no new requests.
        run.stop_at = start + config.connect_window + config.duration
        await asyncio.wait(connects, timeout=max(0.0, hard_deadline - time.perf_counter()))
        if result.established:
            result.connect_time = run.last_connected - start
        # Each connection closes itself after its first reply past stop_at.
        await asyncio.sleep(max(0.0, run.stop_at - time.perf_counter()))
        if config.server_pid is not None:
            try:
                result.server_after = read_server(config.server_pid)
                result.server_peak_rss_kib = max(
                    result.server_peak_rss_kib, result.server_after.rss_kib
                )
            except OSError:
                pass
        result.elapsed = time.perf_counter() - start
        # In-flight requests get the grace period, within the hard deadline.
        now = time.perf_counter()
        if run.open:
            run.all_closed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, min(hard_deadline, now + config.grace) - now)):
                    await run.all_closed.wait()
    finally:
        for task in connects:
            task.cancel()
        if sampler is not None:
            sampler.cancel()
        await asyncio.gather(*connects, *(t for t in [sampler] if t), return_exceptions=True)
        # Whatever is still open did not finish in time: it failed.
        leftovers = list(run.open)
        for connection in leftovers:
            connection.fail("no reply before the end (run + grace)")
            assert connection.transport is not None
            connection.transport.abort()
        if leftovers:
            run.all_closed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):  # abort() calls connection_lost soon
                    await run.all_closed.wait()
        # Every attempt ends in exactly one tally; say so if one slipped through.
        unaccounted = config.connections - result.ok - result.failed
        if unaccounted > 0:
            result.failures["unaccounted for (see the errors above)"] += unaccounted


def run_load(config: LoadConfig) -> LoadResult:
    """Run one load against *config*'s server and return what was measured."""
    host = loopback_address(config.host)
    result = LoadResult(config)
    saved: dict[int, set[int]] = {}
    if config.server_pid is not None:
        result.server_before = read_server(config.server_pid)
        result.pinning, saved = _pin(config.server_pid)
    try:
        try:
            import uvloop
        except ImportError:
            asyncio.run(_load(config, host, result))
        else:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(_load(config, host, result))
    finally:
        _unpin(saved)
    return result


# -- output ----------------------------------------------------------------------------------


def workload_name(connections: int, size: int) -> str:
    return f"{connections}conn x {size}B"


def to_rows(result: LoadResult, column: str, workload: str | None = None) -> list[Row]:
    """The measurements as rows of the one bench schema (None values are left out)."""
    config = result.config
    workload = workload or workload_name(config.connections, config.size)
    ms = 1000.0

    def scaled(value: float | None, factor: float) -> float | None:
        return None if value is None else value * factor

    values: list[tuple[str, float | None, str]] = [
        ("connections", config.connections, "conns"),
        ("connections_ok", result.ok, "conns"),
        ("connections_failed", result.failed, "conns"),
        ("requests", result.requests, "requests"),
        ("requests_per_s", result.requests_per_second, "req/s"),
        ("latency_p50", scaled(quantile(result.latencies, 0.50), ms), "ms"),
        ("latency_p99", scaled(quantile(result.latencies, 0.99), ms), "ms"),
        ("latency_max", scaled(quantile(result.latencies, 1.0), ms), "ms"),
        ("ttfr_p50", scaled(quantile(result.first_replies, 0.50), ms), "ms"),
        ("ttfr_p99", scaled(quantile(result.first_replies, 0.99), ms), "ms"),
        ("ttfr_max", scaled(quantile(result.first_replies, 1.0), ms), "ms"),
        ("connect_time", result.connect_time, "s"),
        ("elapsed", result.elapsed, "s"),
        ("server_cpu_per_100k_requests", result.server_cpu_per_100k, "s"),
        ("server_rss_per_connection", result.server_rss_per_connection_kib, "KiB"),
        (
            "server_rss_before",
            None if result.server_before is None else result.server_before.rss_kib,
            "KiB",
        ),
        ("server_rss_peak", result.server_peak_rss_kib or None, "KiB"),
    ]
    # Why connections failed, one row per reason: "failed: closed by the server", ...
    values += [(f"failed: {reason}", count, "conns") for reason, count in result.failures.items()]
    return [Row(column, workload, m, float(v), u) for m, v, u in values if v is not None]


def render(result: LoadResult, console: Console, column: str) -> None:
    from rich.table import Table

    config = result.config
    connect = "storm" if config.connect_rate is None else f"{config.connect_rate:g}/s"
    table = Table(
        title=f"load {column}: {config.connections:,} connections x {config.size:,} B, "
        f"{config.duration:g} s, connect {connect}, {host_port(config.host, config.port)}"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value * 1000:.3f} ms"

    style = "green" if result.failed == 0 else "red"
    table.add_row("connections ok", f"[{style}]{result.ok:,} / {config.connections:,}[/]")
    table.add_row("connections failed", f"[{style}]{result.failed:,}[/]")
    table.add_row("requests", f"{result.requests:,}")
    table.add_row("requests/s", f"{result.requests_per_second:,.0f}")
    table.add_row("latency p50", ms(quantile(result.latencies, 0.5)))
    table.add_row("latency p99", ms(quantile(result.latencies, 0.99)))
    table.add_row("latency max", ms(quantile(result.latencies, 1.0)))
    table.add_row("time to first reply p50", ms(quantile(result.first_replies, 0.5)))
    table.add_row("time to first reply p99", ms(quantile(result.first_replies, 0.99)))
    table.add_row("time to first reply max", ms(quantile(result.first_replies, 1.0)))
    table.add_row("connect time (all established)", f"{result.connect_time:.3f} s")
    cpu = result.server_cpu_per_100k
    rss = result.server_rss_per_connection_kib
    table.add_row("server CPU per 100k requests", "—" if cpu is None else f"{cpu:.3f} s")
    table.add_row("server RSS per connection", "—" if rss is None else f"{rss:.2f} KiB")
    console.print(table)
    for reason, count in result.failures.most_common():
        console.print(f"  [red]failed[/] {count:,}: {reason}")
    console.print(f"  pinning: {result.pinning}")


# -- the command -----------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``load`` subcommand on the CLI's subparsers."""
    parser = sub.add_parser(
        "load",
        help="load an echo server on this machine with N connections (loopback only)",
        description="Open N connections to an echo server on this machine, each doing "
        "request/response with M-byte messages for T seconds; report connections ok/failed, "
        "requests/s, latency, time to first reply and (with --server-pid) the server's CPU "
        "per request and RSS per connection.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, required=True, help="the server's port")
    parser.add_argument(
        "--connections",
        type=positive_int,
        default=100,
        metavar="N",
        help="connections to open (default: %(default)s)",
    )
    parser.add_argument(
        "--duration",
        type=positive_float,
        default=10.0,
        metavar="T",
        help="seconds of request/response (default: %(default)s)",
    )
    parser.add_argument(
        "--size",
        type=positive_int,
        default=1024,
        metavar="M",
        help="bytes per message (default: %(default)s)",
    )
    opening = parser.add_mutually_exclusive_group()
    opening.add_argument(
        "--connect-rate",
        type=positive_float,
        metavar="R",
        help="connects per second (default: none, every connect at once, as --storm)",
    )
    opening.add_argument("--storm", action="store_true", help="every connect at once (the default)")
    parser.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="give up on a connect after S seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--grace",
        type=positive_float,
        default=5.0,
        metavar="S",
        help="after the run, wait up to S seconds for replies still in flight (default: "
        "%(default)s); a connection still waiting then counts as failed",
    )
    parser.add_argument(
        "--server-pid",
        type=positive_int,
        metavar="PID",
        help="read the server's CPU and RSS from /proc/PID; pin it to a core of its own "
        "(default: none, no server figures)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        dest="json_path",
        help="also write the rows as JSON to PATH, in an existing directory (default: none)",
    )
    parser.add_argument(
        "--label", default="server", help="the column name in the output (default: %(default)s)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    error = Console(stderr=True)
    if args.json_path is not None:
        problem = check_output_path("--json", args.json_path)
        if problem is not None:  # said now, not after the whole run
            error.print(f"[red]error:[/] {escape(problem)}", highlight=False)
            return 2
    try:
        loopback_address(args.host)
    except ValueError as exc:
        error.print(
            f"[red]error:[/] refusing to load {args.host!r}: {exc}. "
            "async-rosetta load only targets servers on this machine "
            "(127.0.0.1, ::1 or localhost).",
            highlight=False,
        )
        return 2
    if not 0 < args.port < 65536:
        error.print(f"[red]error:[/] --port must be in 1..65535, not {args.port}")
        return 2
    message = check_fd_limit(args.connections, raise_fd_limit())
    if message is not None:
        error.print(f"[red]error:[/] {message}", highlight=False)
        return 2
    if args.server_pid is not None:
        try:
            read_server(args.server_pid)
        except OSError as exc:
            error.print(
                f"[red]error:[/] cannot read /proc/{args.server_pid} (--server-pid): {exc}",
                highlight=False,
            )
            return 2
    config = LoadConfig(
        host=args.host,
        port=args.port,
        connections=args.connections,
        duration=args.duration,
        size=args.size,
        connect_rate=args.connect_rate,
        connect_timeout=args.connect_timeout,
        grace=args.grace,
        server_pid=args.server_pid,
    )
    try:
        result = run_load(config)
    except OSError as exc:
        error.print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 100)
    render(result, console, args.label)
    if args.json_path is not None:
        write_json(args.json_path, "load", to_rows(result, args.label))
        console.print(f"wrote {args.json_path}")
    return 0 if result.failed == 0 else 1
