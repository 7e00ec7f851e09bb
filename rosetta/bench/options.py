"""What every bench shares: its options, a progress ticker, and how a run ends.

Each bench's ``main(options)`` measures, renders its table, then calls
:func:`finish` to write ``--json`` and its plot; :func:`report_console` and
:func:`pyplot`/:func:`save_figure` are the rest of what they would otherwise each
write again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rosetta.bench.schema import Row, write_json

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "BenchOptions",
    "Ticker",
    "finish",
    "progress_console",
    "pyplot",
    "report_console",
    "save_figure",
]


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


def report_console(min_width: int) -> Console:
    """The console a bench prints its table on; at least *min_width* wide into a file."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, min_width)  # a log file has room: don't squeeze
    return console


def progress_console() -> Console:
    """Where progress bars go: stderr, so the table on stdout stays clean."""
    from rich.console import Console

    return Console(stderr=True)


def finish(
    options: BenchOptions,
    console: Console,
    bench: str,
    rows: Iterable[Row],
    plot: Callable[[Path], None] | None = None,
) -> None:
    """Write the rows to ``--json`` (if given) and draw the plot (if the bench has one),
    saying where each went."""
    if options.json_path is not None:
        # Its directory was checked before the run (bench's --json check): nothing to create.
        write_json(options.json_path, bench, rows, quick=options.quick)
        console.print(f"wrote {options.json_path}")
    if plot is not None:
        path = options.plot_file(bench)
        plot(path)
        console.print(f"wrote {path}")


def pyplot() -> Any:
    """``matplotlib.pyplot`` drawing to files only (imported when a bench plots)."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: Path, dpi: int = 110) -> None:
    """Lay out *figure*, write it to *path* (its folder made if needed), and free it."""
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    pyplot().close(figure)
