"""``async-rosetta bench NAME``: micro-benchmarks across the six columns.

Each bench lives in a module of its own (``futures.py``, ``timers.py``, ``c10k.py``,
``io_models.py``, ``ftp.py``) and is registered here, in :data:`BENCHES`, by module
name: a bench's module is imported only when it runs. What the benches share is
:mod:`rosetta.bench.options` (options, progress, the end of a run) and
:mod:`rosetta.bench.schema` (the JSON rows). The bench modules import those two,
never this registry, so there is no import circle.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from rosetta.bench.options import BenchOptions
from rosetta.bench.schema import check_output_path

__all__ = ["BENCHES", "Bench", "add_parser", "register", "run"]


@dataclass(frozen=True)
class Bench:
    name: str
    help: str
    module: str  # its main(BenchOptions) -> exit status; imported only when it runs
    plots: bool = True  # draws a plot (--plot, or beside --json, or in bench-out/)

    def main(self, options: BenchOptions) -> int:
        status: int = importlib.import_module(self.module).main(options)
        return status


BENCHES: dict[str, Bench] = {}


def register(bench: Bench) -> None:
    BENCHES[bench.name] = bench


register(
    Bench(
        "futures",
        "Future wake-up, resolved await, spawn+join, run_in_executor, memory per task",
        "rosetta.bench.futures",
        plots=False,  # five numbers per column: a table says it better than a plot
    )
)


register(
    Bench(
        "timers",
        "sleep loop vs Timer: drift and lateness of 10 ms ticks, idle and under load",
        "rosetta.bench.timers",
    )
)


register(
    Bench(
        "c10k",
        "echo servers at 100 and 10,000 connections: requests/s, time to first reply, CPU, RSS",
        "rosetta.bench.c10k",
    )
)


register(
    Bench(
        "io-models",
        "select vs poll vs epoll: one loop iteration against 10 to 10,000 idle descriptors",
        "rosetta.bench.io_models",
    )
)


register(
    Bench(
        "ftp",
        "FTP servers vs pyftpdlib and vsftpd: 200 MB RETR/STOR, 300 logins and transfers, "
        "10,000 idle sessions",
        "rosetta.bench.ftp",
    )
)


register(
    Bench(
        "port",
        "async-rosetta port over the standard library's asyncio package: seconds per scan",
        "rosetta.port.bench",
        plots=False,  # a few numbers for one scan target: the table says it all
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
