"""``async-rosetta bench c10k``: every echo server of ours, and two anchors, under load.

Columns: the ``serve echo`` implementations of the three packages on their
event loops (``asyncio``, ``uvloop``, ``trio``, ``shared-asyncio``,
``shared-uvloop``, ``shared-trio``), the from-scratch reactor on epoll, and,
in the same run, two anchors: a raw asyncio ``Protocol`` echo server on uvloop
(uvloop's own benchmark server, the fastest Python echo server) and
``trio.serve_tcp``. The reactor on poll and on select run the small workload
only: select cannot hold a descriptor past FD_SETSIZE (1024), and poll's linear
scan of 10,000 descriptors per call is what ``bench io-models`` shows.

Workloads (``--quick``: 2 s each, 100 and 1,000 connections):

* 100 connections x 1 KiB for 10 s, connected at 1,000 per second;
* 10,000 connections x 64 B for 10 s, all connecting at once (a storm).

Each (column, workload) gets a fresh server process (``python -m rosetta.cli
serve echo --impl X --port 0``; it prints ``listening on HOST:PORT``), so its
RSS before the clients is a clean baseline, and a fresh load process
(``python -m rosetta.cli load ... --server-pid PID --json TMP``), which pins
server and client to different cores. The server is then stopped with SIGTERM
and must exit by itself.

Targets of the issue, printed as PASS/MISS:

* at 10,000 connections every column of ours serves all of them with 0
  failures and a time-to-first-reply p99 of at most 1 s;
* shared on uvloop spends at most 1/0.8 of the raw uvloop Protocol server's
  CPU per request at 100 connections (efficiency ≥ 0.8x);
* RSS per connection at 10,000 connections ≤ 10 KiB on asyncio/uvloop columns
  and ≤ 20 KiB on trio columns.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rosetta.bench import BenchOptions, Ticker
from rosetta.benchschema import Row, write_json

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "ANCHORS",
    "OURS",
    "SMALL_ONLY",
    "Results",
    "Workload",
    "main",
    "measure",
    "targets",
    "to_rows",
    "workloads",
]

OURS = (
    "asyncio",
    "uvloop",
    "trio",
    "shared-asyncio",
    "shared-uvloop",
    "shared-trio",
    "reactor-epoll",
)
SMALL_ONLY = ("reactor-poll", "reactor-select")  # the small workload only, see above
ANCHORS = ("anchor-uvloop-protocol", "anchor-trio-serve-tcp")
UVLOOP_ANCHOR = "anchor-uvloop-protocol"

TTFR_LIMIT_MS = 1000.0
CPU_EFFICIENCY_MIN = 0.8  # shared-uvloop vs the uvloop Protocol anchor, CPU per request
RSS_LIMIT_KIB = {
    "asyncio": 10.0,
    "uvloop": 10.0,
    "shared-asyncio": 10.0,
    "shared-uvloop": 10.0,
    "trio": 20.0,
    "shared-trio": 20.0,
}

SERVER_START_TIMEOUT = 20.0
SERVER_STOP_TIMEOUT = 15.0
CONNECT_TIMEOUT = 10.0  # the load's --connect-timeout
RUN_OVERHEAD = 30.0  # interpreter start, report, JSON: on top of the load's own hard deadline


@dataclass(frozen=True)
class Workload:
    name: str
    connections: int
    size: int
    duration: float
    connect_rate: float | None  # None: a storm

    @property
    def is_small(self) -> bool:
        return self.connections <= 100


def workloads(quick: bool) -> tuple[Workload, Workload]:
    """The small and the large workload."""
    duration = 2.0 if quick else 10.0
    large = 1_000 if quick else 10_000
    return (
        Workload("100 conns x 1 KiB", 100, 1024, duration, 1000.0),
        Workload(f"{large:,} conns x 64 B", large, 64, duration, None),
    )


@dataclass
class Results:
    workloads: tuple[Workload, ...]
    values: dict[tuple[str, str, str], float] = field(default_factory=dict)  # col, wl, metric
    units: dict[str, str] = field(default_factory=dict)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, column: str, workload: Workload, metric: str) -> float | None:
        return self.values.get((column, workload.name, metric))


# -- one run ----------------------------------------------------------------------------------


class RunError(Exception):
    """A server or load process that did not do its part; the message says which and why."""


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _start_server(impl: str, stderr_file: Path) -> tuple[subprocess.Popen[str], str, int]:
    cmd = [sys.executable, "-m", "rosetta.cli", "serve", "echo", "--impl", impl, "--port", "0"]
    with open(stderr_file, "w", encoding="utf-8") as stderr:
        server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert server.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(server.stdout, selectors.EVENT_READ)
        ready = selector.select(SERVER_START_TIMEOUT)
    line = server.stdout.readline() if ready else ""
    if not line.startswith("listening on "):
        _stop_server(server)
        why = _tail(stderr_file.read_text(encoding="utf-8")) or f"stdout: {line!r}"
        raise RunError(f"`{' '.join(cmd[2:])}` did not report 'listening on HOST:PORT': {why}")
    host, _, port = line.removeprefix("listening on ").strip().rpartition(":")
    return server, host.strip("[]"), int(port)


def _stop_server(server: subprocess.Popen[str]) -> str | None:
    """SIGTERM, then wait; a note if it had to be killed or exited non-zero."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        server.communicate(timeout=SERVER_STOP_TIMEOUT)  # drains stdout too
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        return f"did not exit within {SERVER_STOP_TIMEOUT:g} s of SIGTERM (killed)"
    if server.returncode != 0:
        return f"exited with status {server.returncode} after SIGTERM"
    return None


def _run_load(
    host: str, port: int, pid: int, impl: str, workload: Workload, json_path: Path
) -> list[dict[str, object]]:
    cmd = [
        sys.executable, "-m", "rosetta.cli", "load", "--host", host, "--port", str(port),
        "--connections", str(workload.connections), "--duration", str(workload.duration),
        "--size", str(workload.size), "--connect-timeout", str(CONNECT_TIMEOUT),
        "--server-pid", str(pid), "--json", str(json_path), "--label", impl,
    ]  # fmt: skip
    if workload.connect_rate is None:
        cmd.append("--storm")
    else:
        cmd += ["--connect-rate", str(workload.connect_rate)]
    window = 0.0 if workload.connect_rate is None else workload.connections / workload.connect_rate
    timeout = window + CONNECT_TIMEOUT + workload.duration + RUN_OVERHEAD
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RunError(f"the load process did not finish within {timeout:g} s") from None
    # Status 1 means some connections failed: the rows say how many, and that is a result.
    if done.returncode not in (0, 1) or not json_path.exists():
        raise RunError(f"load exited {done.returncode}: {_tail(done.stderr or done.stdout)}")
    rows: list[dict[str, object]] = json.loads(json_path.read_text(encoding="utf-8"))["rows"]
    return rows


def measure(impl: str, workload: Workload, tmp: Path) -> tuple[list[dict[str, object]], str | None]:
    """One fresh server of *impl* under *workload*: the load's rows and a note, if any."""
    server, host, port = _start_server(impl, tmp / f"{impl}.stderr")
    try:
        rows = _run_load(host, port, server.pid, impl, workload, tmp / f"{impl}.json")
    finally:
        note = _stop_server(server)
    return rows, note


# -- all runs ---------------------------------------------------------------------------------


def _plan(loads: Sequence[Workload]) -> list[tuple[str, Workload]]:
    plan: list[tuple[str, Workload]] = []
    for workload in loads:
        columns = [*OURS, *(SMALL_ONLY if workload.is_small else ()), *ANCHORS]
        plan += [(column, workload) for column in columns]
    return plan


def _expected_seconds(workload: Workload) -> float:
    return workload.duration + 2.0  # server start, connects, shutdown: roughly


def measure_all(loads: Sequence[Workload], console: Console) -> Results:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    results = Results(tuple(loads))
    plan = _plan(loads)
    total = sum(_expected_seconds(w) for _, w in plan)
    with (
        Progress(
            TextColumn("[progress.description]{task.description:<44}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
        tempfile.TemporaryDirectory(prefix="bench-c10k-") as tmpdir,
    ):
        bar = progress.add_task("bench c10k", total=total)
        done = 0.0
        for index, (column, workload) in enumerate(plan):
            progress.update(bar, description=f"{column}: {workload.name}")
            tmp = Path(tmpdir) / str(index)
            tmp.mkdir()
            expected = _expected_seconds(workload)

            def advance(seconds: float, base: float = done, most: float = expected) -> None:
                progress.update(bar, completed=base + min(seconds, most))

            try:
                with Ticker(advance):
                    rows, note = measure(column, workload, tmp)
            except RunError as exc:
                results.errors[column, workload.name] = str(exc)
            else:
                for row in rows:
                    metric = str(row["metric"])
                    results.values[column, workload.name, metric] = float(str(row["value"]))
                    results.units[metric] = str(row["unit"])
                if note is not None:
                    results.errors[column, workload.name] = f"server {note}"
            done += expected
            progress.update(bar, completed=done)
    return results


# -- verdicts, rows, table, plot -----------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    label: str
    passed: bool | None  # None: not measured
    detail: str


def _efficiency(results: Results, column: str, workload: Workload) -> float | None:
    """The uvloop Protocol anchor's CPU per request over *column*'s (1.0 = as lean)."""
    anchor = results.get(UVLOOP_ANCHOR, workload, "server_cpu_per_100k_requests")
    mine = results.get(column, workload, "server_cpu_per_100k_requests")
    if anchor is None or mine is None or mine <= 0:
        return None
    return anchor / mine


def targets(results: Results) -> list[Verdict]:
    small, large = results.workloads
    verdicts: list[Verdict] = []
    for column in OURS:
        ok = results.get(column, large, "connections_ok")
        failed = results.get(column, large, "connections_failed")
        ttfr = results.get(column, large, "ttfr_p99")
        label = (
            f"{column}: {large.connections:,} conns all served, 0 failed, "
            f"TTFR p99 ≤ {TTFR_LIMIT_MS / 1000:g} s"
        )
        if ok is None or failed is None or ttfr is None:
            verdicts.append(Verdict(label, None, "not measured"))
            continue
        passed = ok == large.connections and failed == 0 and ttfr <= TTFR_LIMIT_MS
        detail = f"{ok:,.0f} ok, {failed:,.0f} failed, TTFR p99 {ttfr:,.0f} ms"
        verdicts.append(Verdict(label, passed, detail))
    efficiency = _efficiency(results, "shared-uvloop", small)
    verdicts.append(
        Verdict(
            f"shared-uvloop CPU per request ≥ {CPU_EFFICIENCY_MIN}x the uvloop Protocol "
            f"server's efficiency at {small.connections} conns",
            None if efficiency is None else efficiency >= CPU_EFFICIENCY_MIN,
            "not measured" if efficiency is None else f"{efficiency:.2f}x",
        )
    )
    for column, limit in RSS_LIMIT_KIB.items():
        rss = results.get(column, large, "server_rss_per_connection")
        verdicts.append(
            Verdict(
                f"{column}: RSS per connection ≤ {limit:g} KiB at {large.connections:,} conns",
                None if rss is None else rss <= limit,
                "not measured" if rss is None else f"{rss:.2f} KiB",
            )
        )
    return verdicts


def to_rows(results: Results) -> list[Row]:
    """Every measurement, plus the derived efficiency ratios, in the one bench schema."""
    rows = [
        Row("*", w.name, name, float(value), unit)
        for w in results.workloads
        for name, value, unit in (
            ("connections", w.connections, "conns"),
            ("message_size", w.size, "B"),
            ("duration", w.duration, "s"),
        )
    ]
    rows += [
        Row(column, workload, metric, value, results.units.get(metric, ""))
        for (column, workload, metric), value in results.values.items()
    ]
    for workload in results.workloads:
        for column in (*OURS, *SMALL_ONLY, *ANCHORS):
            efficiency = _efficiency(results, column, workload)
            if efficiency is not None:
                rows.append(
                    Row(column, workload.name, "cpu_efficiency_vs_uvloop_protocol", efficiency, "x")
                )
    return rows


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def render(results: Results, console: Console) -> None:
    from rich.table import Table

    for workload in results.workloads:
        connect = "storm" if workload.connect_rate is None else f"{workload.connect_rate:g}/s"
        table = Table(
            title=f"bench c10k — {workload.name}, {workload.duration:g} s, connect {connect}"
        )
        table.add_column("column", no_wrap=True)
        for header in (
            "ok / failed",
            "requests/s",
            "latency\np50 (ms)",
            "latency\np99 (ms)",
            "TTFR\np99 (ms)",
            "server CPU\n/100k req (s)",
            "efficiency\nvs uvloop\nProtocol",
            "RSS/conn\n(KiB)",
        ):
            table.add_column(header, justify="right")
        columns = [*OURS, *(SMALL_ONLY if workload.is_small else ()), *ANCHORS]
        for column in columns:
            if column == ANCHORS[0]:
                table.add_section()
            error = results.errors.get((column, workload.name))
            ok = results.get(column, workload, "connections_ok")
            if ok is None:
                table.add_row(column, f"[red]error[/] {error or 'not measured'}"[:200])
                continue
            failed = results.get(column, workload, "connections_failed") or 0
            style = "green" if failed == 0 and ok == workload.connections else "red"
            eff = _efficiency(results, column, workload)
            table.add_row(
                column,
                f"[{style}]{ok:,.0f} / {failed:,.0f}[/]",
                _fmt(results.get(column, workload, "requests_per_s"), ",.0f"),
                _fmt(results.get(column, workload, "latency_p50"), ".2f"),
                _fmt(results.get(column, workload, "latency_p99"), ".2f"),
                _fmt(results.get(column, workload, "ttfr_p99"), ",.1f"),
                _fmt(results.get(column, workload, "server_cpu_per_100k_requests"), ".3f"),
                "—" if eff is None else f"{eff:.2f}x",
                _fmt(results.get(column, workload, "server_rss_per_connection"), ".2f"),
            )
        console.print(table)

    console.print("[bold]targets[/]")
    for verdict in targets(results):
        mark = {None: "[dim]n/a [/]", True: "[green]PASS[/]", False: "[red]MISS[/]"}
        console.print(f"  {mark[verdict.passed]} {verdict.label}: {verdict.detail}")
    console.print("[bold]notes[/]")
    console.print(
        "  each run: a fresh server process, then a load process pinned to another core "
        "(uvloop Protocol client, one request in flight per connection); TTFR = time from "
        "connect start to the first full echo; server CPU (utime+stime) and RSS from /proc; "
        "RSS/conn = peak RSS during the run minus RSS before the clients, per connection; "
        "efficiency = the uvloop Protocol anchor's CPU per request / the column's."
    )
    for (column, name, metric), value in results.values.items():
        if metric.startswith("failed: "):
            console.print(f"  [red]{value:,.0f} failed[/] {column}, {name}: {metric[8:]}")
    for (column, name), error in results.errors.items():
        console.print(f"  [red]error[/] {column}, {name}: {error}", highlight=False)


def plot(results: Results, path: Path) -> None:
    """Bars per column: requests/s (top) and TTFR p99 (bottom, log), one group per workload."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    columns = [*OURS, *SMALL_ONLY, *ANCHORS]
    figure, axes = plt.subplots(2, 1, figsize=(13, 8), sharex=True)
    width = 0.8 / len(results.workloads)
    for metric, ax, label in (
        ("requests_per_s", axes[0], "requests/s"),
        ("ttfr_p99", axes[1], "time to first reply p99 (ms)"),
    ):
        for i, workload in enumerate(results.workloads):
            xs = [k + (i - (len(results.workloads) - 1) / 2) * width for k in range(len(columns))]
            ys = [results.get(c, workload, metric) or 0.0 for c in columns]
            ax.bar(xs, ys, width, label=workload.name)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[1].set_yscale("log")
    axes[1].axhline(TTFR_LIMIT_MS, color="red", linestyle="--", linewidth=0.8, label="1 s target")
    axes[0].legend(fontsize="small")
    axes[1].legend(fontsize="small")
    axes[1].set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    figure.suptitle("bench c10k: echo servers under load (missing bar: not run or failed)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(options: BenchOptions) -> int:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 140)  # a log file has room: don't squeeze the table
    loads = workloads(options.quick)
    console.print(
        f"bench c10k: {len(_plan(loads))} runs of {loads[0].duration:g} s "
        f"on {os.cpu_count()} cores; every server and load is a process of its own"
    )
    results = measure_all(loads, Console(stderr=True))
    render(results, console)
    if options.json_path is not None:
        write_json(options.json_path, "c10k", to_rows(results), quick=options.quick)
        console.print(f"wrote {options.json_path}")
    path = options.plot_file("c10k")
    try:
        plot(results, path)
    except ImportError:
        console.print("[yellow]no plot: matplotlib is not installed (pip install matplotlib)[/]")
    else:
        console.print(f"wrote {path}")
    return 1 if results.errors else 0
