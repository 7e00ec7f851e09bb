"""``async-rosetta bench port``: how long ``port`` takes over the standard library's asyncio.

The issue's target is the whole ``asyncio`` package in under a second on this
machine. One scan here is what the command does after parsing its arguments:
walk the package, read, parse and scan every file, and join each hit with the
catalogue and the index (the index is loaded once, before the clock starts, as a
command loads it once). The package is located with :func:`importlib.util.find_spec`,
which does not run it. Rows (the schema of :mod:`rosetta.bench.schema`): the
median and the fastest of the repeats, and the files, lines and findings of one
scan.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from pathlib import Path

from rosetta.bench.options import BenchOptions
from rosetta.bench.schema import Row, write_json
from rosetta.port.index import load_index
from rosetta.port.report import build_report

__all__ = ["main", "stdlib_asyncio"]

_REPEATS = 10


def stdlib_asyncio() -> Path:
    spec = importlib.util.find_spec("asyncio")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the standard library's asyncio package was not found")
    return Path(next(iter(spec.submodule_search_locations)))


def main(options: BenchOptions) -> int:
    root = stdlib_asyncio()
    index = load_index()
    repeats = 3 if options.quick else _REPEATS
    times: list[float] = []
    report = None
    for _ in range(repeats):
        start = time.perf_counter()
        report = build_report([str(root)], index=index)
        times.append(time.perf_counter() - start)
    assert report is not None
    lines = sum(len(Path(f).read_text(encoding="utf-8").splitlines()) for f in report.files)
    column, workload = "port", "stdlib-asyncio"
    rows = [
        Row(column, workload, "time_per_scan_median", statistics.median(times), "s"),
        Row(column, workload, "time_per_scan_min", min(times), "s"),
        Row(column, workload, "files", len(report.files), "count"),
        Row(column, workload, "lines", lines, "count"),
        Row(column, workload, "findings", len(report.findings), "count"),
        Row("*", workload, "repeats", repeats, "count"),
    ]
    for severity, count in report.counts().items():
        rows.append(Row(column, workload, f"findings_{severity}", count, "count"))
    print(f"async-rosetta port over {root} ({len(report.files)} files, {lines:,} lines)")
    print(
        f"  median {statistics.median(times):.3f} s, fastest {min(times):.3f} s "
        f"over {repeats} scans; {report.summary()}"
    )
    if options.json_path is not None:
        write_json(options.json_path, "port", rows, quick=options.quick)
        print(f"wrote {options.json_path}")
    return 0
