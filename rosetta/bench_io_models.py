"""``async-rosetta bench io-models``: one loop iteration of select, poll and epoll vs N idle.

The shape of libevent's classic ``test/bench.c``: many descriptors are watched
but idle, a few are *active*, passing a byte along in chained writes; the cost
measured is one iteration of the loop, i.e. one wait for readiness plus the
dispatch of whatever became ready. The loop is :class:`shared.reactor.Reactor`,
so each mechanism is one direct call to ``select.select``, ``poll.poll`` or
``epoll.poll``.

* **idle**: N descriptors registered for reading that never become readable:
  *both* ends of N/2 ``socket.socketpair()`` pairs (no one writes to either).
  Watching both ends, rather than one end of N pairs as bench.c does with pipes,
  halves the descriptors needed; the kernel's cost is per watched descriptor.
* **active**: 1 (or 100) more pairs in a ring. Each one's read callback takes the
  byte and writes one into the next pair, so exactly A bytes are always in
  flight and about A descriptors are ready at every iteration.

For each mechanism, N in 10, 100, 1,000, 10,000, and A in 1 and 100: a warm-up,
then five batches of iterations sized to ~0.4 s each (a tenth with
``--quick``), with the garbage collector off; the figure is the median batch's
time per iteration. ``select`` is refused once a descriptor's number reaches
FD_SETSIZE (1024): the registration raises ``FDSetSizeError`` and the row says
so. The soft ``RLIMIT_NOFILE`` is raised to the hard limit first; an N that
still does not fit is reported as unreachable, with the limit.
"""

from __future__ import annotations

import gc
import math
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rosetta.bench import BenchOptions
from rosetta.benchschema import Row, write_json
from shared.reactor import FD_SETSIZE, MECHANISMS, FDSetSizeError, Reactor, raise_fd_limit

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["IDLE", "ACTIVE", "Cell", "Results", "main", "measure", "to_rows"]

IDLE = (10, 100, 1_000, 10_000)
ACTIVE = (1, 100)
BATCHES = 5
BATCH_SECONDS = 0.4
WARMUP = 50
HEADROOM = 64  # descriptors the interpreter, rich, matplotlib and epoll itself may hold

# Targets of the issue.
EPOLL_FLAT_LIMIT = 1.5  # epoll at 10,000 idle within 1.5x of epoll at 10 idle
LINEAR_BAND = (0.8, 1.2)  # poll's log-log slope from 1,000 to 10,000 idle: about 1


@dataclass
class Cell:
    """One mechanism at one (idle, active): a time, or why there is none."""

    mechanism: str
    idle: int
    active: int
    per_iteration: float | None = None  # seconds, median batch
    events_per_iteration: float = 0.0
    iterations: int = 0
    refused_fd: int | None = None  # select: the first descriptor >= FD_SETSIZE
    unreachable: int | None = None  # descriptors needed beyond the limit


@dataclass
class Results:
    cells: dict[tuple[str, int, int], Cell] = field(default_factory=dict)
    fd_limit: int = 0
    quick: bool = False


def _idle_sockets(n: int) -> list[socket.socket]:
    sockets: list[socket.socket] = []
    try:
        for _ in range((n + 1) // 2):
            sockets.extend(socket.socketpair())
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    for sock in sockets[n:]:  # an odd n: one end too many
        sock.close()
    return sockets[:n]


def measure(mechanism: str, idle: int, active: int, *, quick: bool, fd_limit: int) -> Cell:
    """Time one loop iteration of *mechanism* with *idle* idle and *active* active
    descriptors."""
    cell = Cell(mechanism, idle, active)
    needed = idle + 2 * active + HEADROOM
    if needed > fd_limit:
        cell.unreachable = needed
        return cell
    sockets: list[socket.socket] = []
    try:
        sockets = _idle_sockets(idle)
        ring = [socket.socketpair() for _ in range(active)]
        sockets += [sock for pair in ring for sock in pair]
        with Reactor(mechanism) as reactor:
            try:
                for sock in sockets[:idle]:
                    reactor.add_reader(sock.fileno(), _never)
                for i, (_, reader) in enumerate(ring):
                    reactor.add_reader(reader.fileno(), _relay(reader, ring[(i + 1) % active][0]))
            except FDSetSizeError as exc:
                cell.refused_fd = exc.fd
                return cell
            for writer, _ in ring:
                writer.send(b"e")
            cell.per_iteration, cell.events_per_iteration, cell.iterations = _time(reactor, quick)
    finally:
        for sock in sockets:
            sock.close()
    return cell


def _never() -> None:
    raise AssertionError("an idle descriptor became readable")


def _relay(reader: socket.socket, writer: socket.socket) -> Callable[[], None]:
    def relay() -> None:
        reader.recv(1)
        writer.send(b"e")  # the chained write: the next pair becomes ready

    return relay


def _time(reactor: Reactor, quick: bool) -> tuple[float, float, int]:
    for _ in range(WARMUP):
        reactor.run_once(1.0)
    # Calibrate: how many iterations make a batch of BATCH_SECONDS.
    started = time.perf_counter()
    for _ in range(20):
        reactor.run_once(1.0)
    one = (time.perf_counter() - started) / 20
    seconds = BATCH_SECONDS / (10 if quick else 1)
    per_batch = max(20, min(20_000, int(seconds / max(one, 1e-9))))
    times: list[float] = []
    dispatched_before = reactor.dispatched
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(BATCHES):
            started = time.perf_counter()
            for _ in range(per_batch):
                reactor.run_once(1.0)
            times.append((time.perf_counter() - started) / per_batch)
    finally:
        if gc_was_enabled:
            gc.enable()
    iterations = BATCHES * per_batch
    events = (reactor.dispatched - dispatched_before) / iterations
    return statistics.median(times), events, iterations


# -- running, reporting ----------------------------------------------------------------------


def measure_all(quick: bool, console: Console) -> Results:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    results = Results(fd_limit=raise_fd_limit(), quick=quick)
    plan = [(m, n, a) for a in ACTIVE for m in MECHANISMS for n in IDLE]
    with Progress(
        TextColumn("[progress.description]{task.description:<36}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bar = progress.add_task("bench io-models", total=len(plan))
        for mechanism, idle, active in plan:
            progress.update(bar, description=f"{mechanism}: {idle:,} idle, {active} active")
            results.cells[mechanism, idle, active] = measure(
                mechanism, idle, active, quick=quick, fd_limit=results.fd_limit
            )
            progress.advance(bar)
    return results


def _us(cell: Cell | None) -> float | None:
    return None if cell is None or cell.per_iteration is None else cell.per_iteration * 1e6


def epoll_flatness(results: Results, active: int) -> float | None:
    """epoll's time at the most idle descriptors over its time at 10 idle."""
    low = _us(results.cells.get(("epoll", IDLE[0], active)))
    high = _us(results.cells.get(("epoll", IDLE[-1], active)))
    return None if low is None or high is None else high / low


def poll_slope(results: Results, active: int) -> float | None:
    """The log-log slope of poll's cost *beyond* its cost at 10 idle (the dispatch, which
    does not depend on N) from 1,000 to 10,000 idle: 1.0 is linear, above 1 is worse."""
    base = _us(results.cells.get(("poll", IDLE[0], active)))
    mid = _us(results.cells.get(("poll", IDLE[-2], active)))
    top = _us(results.cells.get(("poll", IDLE[-1], active)))
    if base is None or mid is None or top is None or not top > mid > base:
        return None
    return math.log((top - base) / (mid - base)) / math.log(IDLE[-1] / IDLE[-2])


def to_rows(results: Results) -> list[Row]:
    rows = [
        Row("*", "config", "fd_soft_limit", results.fd_limit, "fd"),
        Row("*", "config", "batches", BATCHES, "batches"),
        Row("*", "config", "batch_seconds", BATCH_SECONDS / (10 if results.quick else 1), "s"),
    ]
    for cell in results.cells.values():
        workload = f"idle={cell.idle} active={cell.active}"
        if cell.unreachable is not None:
            rows.append(
                Row(cell.mechanism, workload, "unreachable_fds_needed", cell.unreachable, "fd")
            )
        elif cell.refused_fd is not None:
            rows.append(Row(cell.mechanism, workload, "refused_fd_setsize", cell.refused_fd, "fd"))
        elif cell.per_iteration is not None:
            rows += [
                Row(cell.mechanism, workload, "time_per_iteration", cell.per_iteration * 1e6, "us"),
                Row(
                    cell.mechanism,
                    workload,
                    "events_per_iteration",
                    cell.events_per_iteration,
                    "events",
                ),
                Row(cell.mechanism, workload, "iterations", cell.iterations, "iterations"),
            ]
    for active in ACTIVE:
        flat = epoll_flatness(results, active)
        if flat is not None:
            rows.append(Row("epoll", f"active={active}", "ratio_10000_vs_10_idle", flat, "x"))
        slope = poll_slope(results, active)
        if slope is not None:
            rows.append(Row("poll", f"active={active}", "loglog_slope_1000_to_10000", slope, "1"))
    return rows


def render(results: Results, console: Console) -> None:
    from rich.table import Table

    for active in ACTIVE:
        table = Table(
            title=f"bench io-models — µs per loop iteration (wait + dispatch), "
            f"{active} active, N idle descriptors"
        )
        table.add_column("mechanism", no_wrap=True)
        for n in IDLE:
            table.add_column(f"N={n:,}", justify="right")
        table.add_column("events/iter\n(at N=10)", justify="right")
        for mechanism in MECHANISMS:
            cells = [results.cells.get((mechanism, n, active)) for n in IDLE]
            texts = []
            for cell in cells:
                if cell is None:
                    texts.append("—")
                elif cell.unreachable is not None:
                    texts.append(f"[yellow]needs {cell.unreachable:,} fds[/]")
                elif cell.refused_fd is not None:
                    texts.append(f"[dim]refused: fd {cell.refused_fd} ≥ {FD_SETSIZE}[/]")
                else:
                    texts.append(f"{_us(cell):,.1f}")
            first = cells[0]
            events = f"{first.events_per_iteration:.1f}" if first and first.iterations else "—"
            table.add_row(mechanism, *texts, events)
        console.print(table)

    console.print("[bold]targets[/]")
    for active in ACTIVE:
        flat = epoll_flatness(results, active)
        label = f"epoll, {active} active: N=10,000 idle within {EPOLL_FLAT_LIMIT}x of N=10"
        if flat is None:
            console.print(f"  [dim]n/a [/] {label}")
        else:
            mark = "[green]PASS[/]" if flat <= EPOLL_FLAT_LIMIT else "[red]MISS[/]"
            console.print(f"  {mark} {label}: {flat:.2f}x")
        slope = poll_slope(results, active)
        label = (
            f"poll, {active} active: grows roughly linearly (log-log slope of the cost over N=10, "
            f"1,000 → 10,000 idle, "
            f"within {LINEAR_BAND[0]}-{LINEAR_BAND[1]})"
        )
        if slope is None:
            console.print(f"  [dim]n/a [/] {label}")
        else:
            ok = LINEAR_BAND[0] <= slope <= LINEAR_BAND[1]
            console.print(f"  {'[green]PASS[/]' if ok else '[red]MISS[/]'} {label}: {slope:.2f}")

    console.print("[bold]notes[/]")
    console.print(
        f"  idle = both ends of N/2 socketpairs, watched for reading, never written; active = "
        f"a ring of pairs passing a byte along. Median of {BATCHES} batches, gc off. "
        f"RLIMIT_NOFILE soft limit: {results.fd_limit:,}."
    )
    refused = [c for c in results.cells.values() if c.refused_fd is not None]
    if refused:
        console.print(
            f"  select refused {len(refused)} cell(s): their descriptors' numbers reach "
            f"FD_SETSIZE ({FD_SETSIZE}), which fd_set cannot hold (FDSetSizeError)."
        )
    unreachable = [c for c in results.cells.values() if c.unreachable is not None]
    for cell in unreachable:
        console.print(
            f"  [yellow]{cell.mechanism} N={cell.idle:,} active={cell.active} not run[/]: needs "
            f"about {cell.unreachable:,} descriptors, RLIMIT_NOFILE is {results.fd_limit:,}; "
            "raise it with `ulimit -n` (hard limit: /etc/security/limits.conf)."
        )


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(8, 5.5))
    colors = {"select": "tab:red", "poll": "tab:blue", "epoll": "tab:green"}
    for active, style in zip(ACTIVE, ("-", "--"), strict=True):
        for mechanism in MECHANISMS:
            points: list[tuple[int, float]] = []
            for n in IDLE:
                us = _us(results.cells.get((mechanism, n, active)))
                if us is not None:
                    points.append((n, us))
            if not points:
                continue
            ax.plot(
                [n for n, _ in points],
                [us for _, us in points],
                style,
                marker="o",
                color=colors[mechanism],
                label=f"{mechanism}, {active} active",
            )
    ax.axvline(FD_SETSIZE, color="grey", linewidth=0.8, linestyle=":")
    ax.text(FD_SETSIZE * 1.05, ax.get_ylim()[0] * 1.1, "FD_SETSIZE", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("idle descriptors watched")
    ax.set_ylabel("µs per loop iteration (wait + dispatch)")
    ax.set_title("bench io-models: the cost of waiting, by mechanism")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(options: BenchOptions) -> int:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 120)
    results = measure_all(options.quick, Console(stderr=True))
    render(results, console)
    if options.json_path is not None:
        write_json(options.json_path, "io-models", to_rows(results), quick=options.quick)
        console.print(f"wrote {options.json_path}")
    path = options.plot_file("io-models")
    try:
        plot(results, path)
    except ImportError:
        console.print("[yellow]no plot: matplotlib is not installed (pip install matplotlib)[/]")
    else:
        console.print(f"wrote {path}")
    return 0
