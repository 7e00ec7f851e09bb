"""``async-rosetta bench futures``: what Futures and Tasks cost in each column.

Five workloads, each measured on the six columns and on native baselines in the
same run:

* ``wakeup``: two tasks ping-pong over pending Futures (one round = two
  wake-ups, there and back).
* ``resolved``: create a Future, resolve it, await it.
* ``spawn``: ``create_task`` in a TaskGroup and read the result after the group.
* ``executor``: ``await run_in_executor(None, int)``, one call at a time.
* ``memory``: RSS growth per pending task, each column in a fresh interpreter.

Baselines: the ``asyncio`` column *is* native asyncio (``impl_asyncio`` re-exports
the stdlib). ``trio-native`` uses what a Trio programmer would write (Events,
``start_soon`` with results stored by a closure, ``trio.to_thread``);
``anyio/*`` uses AnyIO's own primitives (``anyio.Future``, ``TaskHandle``,
``anyio.to_thread``). Run ``python -m rosetta.bench.futures --child VARIANT N``
to get one memory measurement as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any, Literal, cast

import anyio
import trio
import trio.lowlevel

from rosetta.bench.options import BenchOptions, finish, progress_console, report_console
from rosetta.bench.schema import Row
from rosetta.columns import COLUMNS, Column, Loop

if TYPE_CHECKING:
    from rich.console import Console

    from common.interface import ConcurrencyAPI, FutureLike

__all__ = ["VARIANTS", "WORKLOADS", "Variant", "Workload", "main", "measure_all"]

Kind = Literal["api", "trio", "anyio"]


@dataclass(frozen=True)
class Variant:
    """A row of the table: a column's package API, or a baseline's native primitives."""

    name: str
    kind: Kind  # "api": the column's package; "trio"/"anyio": native primitives
    runner: Column  # how to start its event loop (Column.run, debug off)

    @property
    def available(self) -> bool:
        return self.runner.available


def _anyio_runner(name: str, backend: Loop, uvloop: bool = False) -> Column:
    # A "shared" Column runs under anyio.run(); the baseline code never touches shared.
    return Column(name, "shared", backend, uvloop=uvloop)


VARIANTS: tuple[Variant, ...] = (
    *(Variant(column.name, "api", column) for column in COLUMNS),
    Variant("trio-native", "trio", Column("trio-native", "impl_trio", "trio")),
    Variant("anyio-asyncio", "anyio", _anyio_runner("anyio-asyncio", "asyncio")),
    Variant(
        "anyio-uvloop",
        "anyio",
        _anyio_runner("anyio-uvloop", "asyncio", uvloop=True),
    ),
    Variant("anyio-trio", "anyio", _anyio_runner("anyio-trio", "trio")),
)


def get_variant(name: str) -> Variant:
    for variant in VARIANTS:
        if variant.name == name:
            return variant
    raise ValueError(
        f"unknown variant {name!r}; choose from: {', '.join(v.name for v in VARIANTS)}"
    )


@dataclass(frozen=True)
class Workload:
    key: str
    title: str  # table header
    count: int  # operations per measurement (full run)
    unit: str
    how: str  # one line for the notes under the table


SPAWN_BATCH = 1000  # tasks per TaskGroup in the spawn workload

WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "wakeup", "(a) wake-up\nµs/round", 50_000, "us",
        "two tasks alternate over pending Futures; one round = 2 wake-ups (there and back)",
    ),
    Workload(
        "resolved", "(b) resolved\nµs/op", 100_000, "us",
        "create + set_result + await an already-resolved Future",
    ),
    Workload(
        "spawn", "(c) spawn+join\nµs/task", 100_000, "us",
        f"create_task returning a value, {SPAWN_BATCH} tasks per TaskGroup in successive "
        "groups, results read after each group exits",
    ),
    Workload(
        "executor", "(d) executor\nµs/call", 10_000, "us",
        "await run_in_executor(None, int), sequential (one call in flight), after one warm-up "
        "call; baselines: trio/anyio.to_thread.run_sync(int)",
    ),
    Workload(
        "memory", "(e) memory\nB/task", 100_000, "B/task",
        "RSS growth / N with N tasks pending on one shared Future (Task objects kept), "
        "each variant in a fresh interpreter, measured once, gc paused while the tasks live",
    ),
)  # fmt: skip

TIMED = ("wakeup", "resolved", "spawn", "executor")
REPEATS = 3

RESOLVED_NOTE = (
    "resolved await: an asyncio Future that is already done returns from `await` without "
    "suspending; Trio and AnyIO make every await a checkpoint (a cancellation check plus a "
    "full pass through the scheduler), so trio/anyio/shared pay a task switch per await."
)


def _api(variant: Variant) -> ConcurrencyAPI:
    return cast("ConcurrencyAPI", variant.runner.api)


async def _sleep0(variant: Variant) -> None:
    """Let every ready task run one step: a bare checkpoint of the running loop."""
    if variant.runner.on_trio:
        await trio.lowlevel.checkpoint()
    else:
        await asyncio.sleep(0)


# -- (a) wake-up ping-pong --------------------------------------------------------------
# The ponger awaits ping[0]; the pinger resolves it and awaits a fresh pong Future,
# which the ponger resolves after replacing ping[0]. A Future resolves once, so every
# round makes two new ones (that cost is part of a real wake-up too).


async def _wakeup_api(variant: Variant, rounds: int) -> float:
    api = _api(variant)
    ping: list[FutureLike[None]] = [api.Future()]
    pong: list[FutureLike[None]] = [api.Future()]

    async def ponger() -> None:
        for _ in range(rounds):
            await ping[0]
            ping[0] = api.Future()
            pong[0].set_result(None)

    async def pinger() -> None:
        for _ in range(rounds):
            waiting = pong[0] = api.Future()
            ping[0].set_result(None)
            await waiting

    start = perf_counter()
    group = api.TaskGroup()
    async with group:
        group.create_task(ponger())
        group.create_task(pinger())
    return perf_counter() - start


async def _wakeup_trio(variant: Variant, rounds: int) -> float:
    ping = [trio.Event()]
    pong = [trio.Event()]

    async def ponger() -> None:
        for _ in range(rounds):
            await ping[0].wait()
            ping[0] = trio.Event()
            pong[0].set()

    async def pinger() -> None:
        for _ in range(rounds):
            waiting = pong[0] = trio.Event()
            ping[0].set()
            await waiting.wait()

    start = perf_counter()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(ponger)
        nursery.start_soon(pinger)
    return perf_counter() - start


async def _wakeup_anyio(variant: Variant, rounds: int) -> float:
    ping: list[anyio.Future[None]] = [anyio.Future()]
    pong: list[anyio.Future[None]] = [anyio.Future()]

    async def ponger() -> None:
        for _ in range(rounds):
            await ping[0]
            ping[0] = anyio.Future()
            pong[0].return_value = None

    async def pinger() -> None:
        for _ in range(rounds):
            waiting = pong[0] = anyio.Future()
            ping[0].return_value = None
            await waiting

    start = perf_counter()
    async with anyio.create_task_group() as group:
        group.start_soon(ponger)
        group.start_soon(pinger)
    return perf_counter() - start


# -- (b) create + resolve + await a resolved Future -------------------------------------


async def _resolved_api(variant: Variant, n: int) -> float:
    future_class = _api(variant).Future
    start = perf_counter()
    for i in range(n):
        future = future_class()
        future.set_result(i)
        await future
    return perf_counter() - start


async def _resolved_trio(variant: Variant, n: int) -> float:
    # Trio has no Future: a set Event is the nearest "already resolved" thing to await.
    start = perf_counter()
    for _ in range(n):
        event = trio.Event()
        event.set()
        await event.wait()
    return perf_counter() - start


async def _resolved_anyio(variant: Variant, n: int) -> float:
    start = perf_counter()
    for i in range(n):
        future: anyio.Future[int] = anyio.Future()
        future.return_value = i
        await future
    return perf_counter() - start


# -- (c) spawn + join -------------------------------------------------------------------


async def _child(i: int) -> int:
    return i


def _check_sum(total: int, groups: int) -> None:
    # Guards against a workload that silently skipped its tasks.
    expected = groups * SPAWN_BATCH * (SPAWN_BATCH - 1) // 2
    if total != expected:
        raise AssertionError(f"spawn: got sum {total}, expected {expected}")


async def _spawn_api(variant: Variant, n: int) -> float:
    api = _api(variant)
    groups = n // SPAWN_BATCH
    total = 0
    start = perf_counter()
    for _ in range(groups):
        group = api.TaskGroup()
        async with group:
            tasks = [group.create_task(_child(i)) for i in range(SPAWN_BATCH)]
        for task in tasks:
            total += task.result()
    elapsed = perf_counter() - start
    _check_sum(total, groups)
    return elapsed


def _storing_child(results: list[int]) -> Callable[[int], Coroutine[Any, Any, None]]:
    async def child(i: int) -> None:  # Trio has no Task object: the closure keeps the result
        results[i] = i

    return child


async def _spawn_trio(variant: Variant, n: int) -> float:
    groups = n // SPAWN_BATCH
    total = 0
    start = perf_counter()
    for _ in range(groups):
        results = [0] * SPAWN_BATCH
        child = _storing_child(results)
        async with trio.open_nursery() as nursery:
            for i in range(SPAWN_BATCH):
                nursery.start_soon(child, i)
        total += sum(results)
    elapsed = perf_counter() - start
    _check_sum(total, groups)
    return elapsed


async def _spawn_anyio(variant: Variant, n: int) -> float:
    groups = n // SPAWN_BATCH
    total = 0
    start = perf_counter()
    for _ in range(groups):
        async with anyio.create_task_group() as group:
            handles = [group.create_task(_child(i)) for i in range(SPAWN_BATCH)]
        for handle in handles:
            total += handle.return_value
    elapsed = perf_counter() - start
    _check_sum(total, groups)
    return elapsed


# -- (d) run_in_executor ----------------------------------------------------------------


async def _executor_api(variant: Variant, n: int) -> float:
    api = _api(variant)
    await api.run_in_executor(None, int)  # start the pool's first thread untimed
    start = perf_counter()
    for _ in range(n):
        await api.run_in_executor(None, int)
    return perf_counter() - start


async def _executor_trio(variant: Variant, n: int) -> float:
    await trio.to_thread.run_sync(int)
    start = perf_counter()
    for _ in range(n):
        await trio.to_thread.run_sync(int)
    return perf_counter() - start


async def _executor_anyio(variant: Variant, n: int) -> float:
    await anyio.to_thread.run_sync(int)
    start = perf_counter()
    for _ in range(n):
        await anyio.to_thread.run_sync(int)
    return perf_counter() - start


TimedFn = Callable[[Variant, int], Awaitable[float]]

_TIMED_FNS: dict[str, dict[Kind, TimedFn]] = {
    "wakeup": {"api": _wakeup_api, "trio": _wakeup_trio, "anyio": _wakeup_anyio},
    "resolved": {"api": _resolved_api, "trio": _resolved_trio, "anyio": _resolved_anyio},
    "spawn": {"api": _spawn_api, "trio": _spawn_trio, "anyio": _spawn_anyio},
    "executor": {"api": _executor_api, "trio": _executor_trio, "anyio": _executor_anyio},
}


def time_once(variant: Variant, workload: str, n: int) -> float:
    """Seconds for *n* operations of *workload*, in a fresh event loop of *variant*."""
    gc.collect()  # don't bill this run for the garbage of the previous one
    seconds: float = variant.runner.run(_TIMED_FNS[workload][variant.kind], variant, n)
    return seconds


# -- (e) memory per pending task, in a child interpreter --------------------------------


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is as good for growth (KiB on Linux, B on macOS)
        import resource  # Unix only, hence not at the top

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


async def _memory(variant: Variant, n: int) -> float:
    """Bytes of RSS per task while *n* tasks wait on one Future; they all finish after."""
    started = 0

    if variant.kind == "api":
        api = _api(variant)
        warm = api.TaskGroup()  # run the spawn path once so first-use costs aren't billed
        async with warm:
            for i in range(16):
                warm.create_task(_child(i))
        api_gate = api.Future()

        async def api_waiter() -> None:
            nonlocal started
            started += 1
            await api_gate

        before = _rss_baseline()
        group = api.TaskGroup()
        async with group:
            tasks = [group.create_task(api_waiter()) for _ in range(n)]
            after = await _settle(variant, n, lambda: started)
            api_gate.set_result(None)
        del tasks

    elif variant.kind == "trio":
        trio_gate = trio.Event()

        async def trio_waiter() -> None:
            nonlocal started
            started += 1
            await trio_gate.wait()

        async with trio.open_nursery() as warm_nursery:
            for _ in range(16):
                warm_nursery.start_soon(trio.sleep, 0)
        before = _rss_baseline()
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(trio_waiter)
            after = await _settle(variant, n, lambda: started)
            trio_gate.set()

    else:
        anyio_gate: anyio.Future[None] = anyio.Future()

        async def anyio_waiter() -> None:
            nonlocal started
            started += 1
            await anyio_gate

        async with anyio.create_task_group() as warm_group:
            for i in range(16):
                warm_group.create_task(_child(i))
        before = _rss_baseline()
        async with anyio.create_task_group() as anyio_group:
            handles = [anyio_group.create_task(anyio_waiter()) for _ in range(n)]
            after = await _settle(variant, n, lambda: started)
            anyio_gate.return_value = None
        del handles

    gc.enable()
    return (after - before) / n


def _rss_baseline() -> int:
    """RSS after a full collection; the collector then stays off until the tasks are done.

    Pausing it changes no figure (measured: same bytes/task either way) but halves a child's
    run time: with 100,000 live tasks every generation-2 pass walks all of them.
    """
    gc.collect()
    gc.disable()
    return _rss_bytes()


async def _settle(variant: Variant, n: int, started: Callable[[], int]) -> int:
    """Wait until all *n* tasks have started and blocked, then read RSS."""
    while started() < n:
        await _sleep0(variant)
    for _ in range(3):  # each waiter may take a checkpoint or two before it blocks
        await _sleep0(variant)
    return _rss_bytes()


def memory_in_child(variant: Variant, n: int) -> float:
    """Run :func:`_memory` in a fresh interpreter so columns don't share a heap."""
    cmd = [sys.executable, "-m", "rosetta.bench.futures", "--child", variant.name, str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr.strip()}")
    value: float = json.loads(done.stdout.strip().splitlines()[-1])["bytes_per_task"]
    return value


def _child_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rosetta.bench.futures")
    parser.add_argument("--child", required=True, metavar="VARIANT", help="variant name")
    parser.add_argument("n", type=int, help="number of pending tasks")
    args = parser.parse_args(argv)
    variant = get_variant(args.child)
    per_task: float = variant.runner.run(_memory, variant, args.n)
    print(json.dumps({"variant": variant.name, "n": args.n, "bytes_per_task": per_task}))
    return 0


# -- running everything ----------------------------------------------------------------


@dataclass
class Results:
    """Best values per (variant, workload); missing means skipped or failed."""

    values: dict[tuple[str, str], float]
    skipped: dict[str, str]  # variant -> reason
    errors: dict[tuple[str, str], str]

    def get(self, variant: str, workload: str) -> float | None:
        return self.values.get((variant, workload))


def _counts(quick: bool) -> dict[str, int]:
    return {w.key: w.count // 10 if quick else w.count for w in WORKLOADS}


def _steps() -> Iterator[tuple[Variant, Workload]]:
    for variant in VARIANTS:
        for workload in WORKLOADS:
            yield variant, workload


def measure_all(quick: bool, console: Console) -> Results:
    """Measure every (variant, workload) pair, with a progress bar on *console*."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    counts = _counts(quick)
    results = Results({}, {}, {})
    for variant in VARIANTS:
        if not variant.available:
            results.skipped[variant.name] = "uvloop is not installed"
    steps = [(v, w) for v, w in _steps() if v.name not in results.skipped]
    total = sum(REPEATS if w.key in TIMED else 1 for _, w in steps)

    with Progress(
        TextColumn("[progress.description]{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bar = progress.add_task("bench futures", total=total)
        for variant, workload in steps:
            progress.update(bar, description=f"{variant.name}: {workload.key}")
            n = counts[workload.key]
            try:
                if workload.key in TIMED:
                    best = float("inf")
                    for _ in range(REPEATS):
                        best = min(best, time_once(variant, workload.key, n))
                        progress.advance(bar)
                    value = best / n * 1e6
                else:
                    value = memory_in_child(variant, n)
                    progress.advance(bar)
            except Exception as exc:  # report and go on: one broken column shouldn't hide the rest
                results.errors[variant.name, workload.key] = f"{type(exc).__name__}: {exc}"
                continue
            results.values[variant.name, workload.key] = value
    return results


# Ratio rows: (subject, reference). Every workload both have gets a ratio.
RATIOS: tuple[tuple[str, str], ...] = (
    ("shared-asyncio", "asyncio"),
    ("shared-uvloop", "uvloop"),
    ("shared-trio", "trio"),
    ("shared-asyncio", "anyio-asyncio"),
    ("shared-uvloop", "anyio-uvloop"),
    ("shared-trio", "anyio-trio"),
    ("trio", "trio-native"),
    ("anyio-asyncio", "asyncio"),
)


@dataclass(frozen=True)
class Target:
    """One goal of the issue: ``subject`` (over ``reference``, if any) at most ``limit``."""

    label: str
    workload: str
    subject: str
    reference: str | None
    limit: float

    def value(self, results: Results) -> float | None:
        subject = results.get(self.subject, self.workload)
        if self.reference is None or subject is None:
            return subject
        reference = results.get(self.reference, self.workload)
        return None if reference is None else subject / reference


TARGETS: tuple[Target, ...] = (
    Target("wake-up shared-asyncio ≤ 2.0x asyncio", "wakeup", "shared-asyncio", "asyncio", 2.0),
    Target(
        "wake-up shared-uvloop ≤ 2.0x uvloop",
        "wakeup", "shared-uvloop", "uvloop", 2.0,
    ),
    Target("wake-up shared-trio ≤ 1.5x trio (impl_trio)", "wakeup", "shared-trio", "trio", 1.5),
    Target(
        "spawn shared-asyncio ≤ 1.1x AnyIO TaskHandle",
        "spawn", "shared-asyncio", "anyio-asyncio", 1.1,
    ),
    Target(
        "spawn shared-uvloop ≤ 1.1x AnyIO TaskHandle",
        "spawn", "shared-uvloop", "anyio-uvloop", 1.1,
    ),
    Target("spawn shared-trio ≤ 1.1x AnyIO TaskHandle", "spawn", "shared-trio", "anyio-trio", 1.1),
    Target(
        "spawn shared-asyncio ≤ 2.0x asyncio (stretch)", "spawn", "shared-asyncio", "asyncio", 2.0
    ),
    Target("memory asyncio ≤ 2 KiB/task", "memory", "asyncio", None, 2048),
    Target("memory shared-asyncio ≤ 2 KiB/task", "memory", "shared-asyncio", None, 2048),
)  # fmt: skip


def to_rows(results: Results) -> list[Row]:
    """Measurements then ratios, in the schema of :mod:`rosetta.bench.schema`."""
    units = {w.key: w.unit for w in WORKLOADS}
    rows: list[Row] = []
    for variant, workload in _steps():
        value = results.get(variant.name, workload.key)
        if value is not None:
            metric = "rss_per_task" if workload.key == "memory" else "time_per_op"
            rows.append(Row(variant.name, workload.key, metric, value, units[workload.key]))
    for subject, reference in RATIOS:
        for workload in WORKLOADS:
            a, b = results.get(subject, workload.key), results.get(reference, workload.key)
            if a is not None and b is not None and b > 0:
                rows.append(Row(subject, workload.key, f"ratio_vs_{reference}", a / b, "x"))
    return rows


def count_rows(counts: dict[str, int]) -> list[Row]:
    """The operations per measurement this run used (a tenth with ``--quick``)."""
    return [Row("*", key, "operations", count, "ops") for key, count in counts.items()]


def _fmt(value: float | None, workload: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if workload == "memory" else f"{value:.2f}"


def render(results: Results, console: Console, counts: dict[str, int]) -> None:
    from rich.table import Table

    table = Table(
        title=f"bench futures — minimum of {REPEATS} runs (memory: one run per fresh interpreter)"
    )
    table.add_column("column / baseline", no_wrap=True)
    for workload in WORKLOADS:
        table.add_column(f"{workload.title}\n(n={counts[workload.key]:,})", justify="right")
    for variant in VARIANTS:
        if variant.name in results.skipped:
            table.add_row(variant.name, f"[dim]skipped: {results.skipped[variant.name]}[/]")
            continue
        cells = [_fmt(results.get(variant.name, w.key), w.key) for w in WORKLOADS]
        if variant.name == "trio-native":
            table.add_section()
        table.add_row(variant.name, *cells)
    console.print(table)

    ratios = Table(title="ratios (x slower than the reference; lower is better)")
    ratios.add_column("subject ÷ reference", no_wrap=True)
    for workload in WORKLOADS:
        ratios.add_column(workload.title.split("\n")[0], justify="right")
    for subject, reference in RATIOS:
        cells = []
        for workload in WORKLOADS:
            a, b = results.get(subject, workload.key), results.get(reference, workload.key)
            cells.append("—" if a is None or b is None or b <= 0 else f"{a / b:.2f}x")
        ratios.add_row(f"{subject} ÷ {reference}", *cells)
    console.print(ratios)

    console.print("[bold]targets[/]")
    for target in TARGETS:
        value = target.value(results)
        if value is None:
            console.print(f"  [dim]n/a [/] {target.label}")
            continue
        shown = f"{value:,.0f} B" if target.reference is None else f"{value:.2f}x"
        verdict = "[green]PASS[/]" if value <= target.limit else "[red]MISS[/]"
        console.print(f"  {verdict} {target.label}: {shown}")

    console.print("[bold]notes[/]")
    for workload in WORKLOADS:
        console.print(f"  {workload.key}: {workload.how}")
    console.print(f"  {RESOLVED_NOTE}")
    console.print(
        f"  times: perf_counter around the whole loop inside the event loop, best of {REPEATS} "
        "(each in a fresh loop, debug mode off, gc.collect() before each)."
    )
    for (name, key), error in results.errors.items():
        console.print(f"  [red]error[/] {name} {key}: {error}")


def main(options: BenchOptions) -> int:
    console = report_console(120)
    counts = _counts(options.quick)
    results = measure_all(options.quick, progress_console())
    render(results, console, counts)
    finish(options, console, "futures", [*to_rows(results), *count_rows(counts)])
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
