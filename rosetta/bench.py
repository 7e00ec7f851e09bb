"""``async-rosetta bench NAME``: micro-benchmarks across the six columns.

Each bench lives in a module of its own and registers here in :data:`BENCHES`;
the module is imported only when its bench runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rosetta.benchschema import check_output_path

__all__ = ["BENCHES", "Bench", "BenchOptions", "Ticker", "add_parser", "register", "run"]


@dataclass(frozen=True)
class BenchOptions:
    """The options every bench takes."""

    json_path: Path | None = None
    quick: bool = False  # counts divided by 10: a smoke test, not a measurement
    plot_path: Path | None = None  # where a bench that draws a plot puts it

    def plot_file(self, bench: str) -> Path:
        """Where bench *bench* draws its plot: ``--plot``, else beside ``--json``, else
        ``bench-out/bench-NAME.png``."""
        if self.plot_path is not None:
            return self.plot_path
        if self.json_path is not None:
            return self.json_path.with_suffix(".png")
        return Path("bench-out") / f"bench-{bench}.png"


@dataclass(frozen=True)
class Bench:
    name: str
    help: str
    main: Callable[[BenchOptions], int]  # returns the exit status
    plots: bool = True  # draws a plot (--plot, or beside --json, or in bench-out/)


class Ticker:
    """Advance a progress bar by wall time while a run blocks (a thread, since runs block).

    ``with Ticker(update):`` calls ``update(seconds since entering)`` every 0.25 s.
    """

    def __init__(self, update: Callable[[float], None]) -> None:
        self._update = update
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)
        self._start = 0.0

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._update(time.monotonic() - self._start)

    def __enter__(self) -> None:
        self._start = time.monotonic()
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


BENCHES: dict[str, Bench] = {}


def register(bench: Bench) -> None:
    BENCHES[bench.name] = bench


def _futures(options: BenchOptions) -> int:
    from rosetta import bench_futures

    return bench_futures.main(options)


register(
    Bench(
        "futures",
        "Future wake-up, resolved await, spawn+join, run_in_executor, memory per task",
        _futures,
        plots=False,  # five numbers per column: a table says it better than a plot
    )
)


def _timers(options: BenchOptions) -> int:
    from rosetta import bench_timers

    return bench_timers.main(options)


register(
    Bench(
        "timers",
        "sleep loop vs Timer: drift and lateness of 10 ms ticks, idle and under load",
        _timers,
    )
)


def _c10k(options: BenchOptions) -> int:
    from rosetta import bench_c10k

    return bench_c10k.main(options)


register(
    Bench(
        "c10k",
        "echo servers at 100 and 10,000 connections: requests/s, time to first reply, CPU, RSS",
        _c10k,
    )
)


def _io_models(options: BenchOptions) -> int:
    from rosetta import bench_io_models

    return bench_io_models.main(options)


register(
    Bench(
        "io-models",
        "select vs poll vs epoll: one loop iteration against 10 to 10,000 idle descriptors",
        _io_models,
    )
)


def _ftp(options: BenchOptions) -> int:
    from rosetta import bench_ftp

    return bench_ftp.main(options)


register(
    Bench(
        "ftp",
        "FTP servers vs pyftpdlib and vsftpd: 200 MB RETR/STOR, 300 logins and transfers, "
        "10,000 idle sessions",
        _ftp,
    )
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``bench`` subcommand on the CLI's subparsers."""
    names = ", ".join(f"{b.name} ({b.help})" for b in BENCHES.values())
    parser = sub.add_parser(
        "bench",
        help="measure the columns against each other and against native primitives",
        description=f"Run a benchmark. Benchmarks: {names}.",
    )
    # choices= makes argparse reject an unknown name with exit status 2 and list the names.
    parser.add_argument(
        "name", choices=sorted(BENCHES), metavar="NAME", help=f"one of: {', '.join(BENCHES)}"
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        dest="json_path",
        help="also write the rows as JSON to PATH, in an existing directory (default: none)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="divide all counts by 10: a smoke test, marked as such in the JSON (default: off)",
    )
    drawing = ", ".join(b.name for b in BENCHES.values() if b.plots)
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PATH",
        dest="plot_path",
        help=f"where to draw the PNG plot ({drawing}); default: beside --json, else "
        "bench-out/bench-NAME.png",
    )
    parser.set_defaults(func=run)


def _refusal(bench: Bench, options: BenchOptions) -> str | None:
    """Why the options cannot work for *bench*, found before it runs for minutes."""
    if options.plot_path is not None and not bench.plots:
        drawing = ", ".join(b.name for b in BENCHES.values() if b.plots)
        return f"--plot: bench {bench.name} draws no plot; the benches that do: {drawing}"
    if options.json_path is not None:
        problem = check_output_path("--json", options.json_path)
        if problem is not None:
            return problem
    if options.plot_path is not None:
        return check_output_path("--plot", options.plot_path, suffix=".png")
    if bench.plots and options.json_path is not None:
        return check_output_path("--json (the plot beside it)", options.plot_file(bench.name))
    return None


def run(args: argparse.Namespace) -> int:
    options = BenchOptions(json_path=args.json_path, quick=args.quick, plot_path=args.plot_path)
    bench = BENCHES[args.name]
    problem = _refusal(bench, options)
    if problem is not None:
        print(f"async-rosetta bench {bench.name}: {problem}", file=sys.stderr)
        return 2
    return bench.main(options)
