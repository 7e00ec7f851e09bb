"""``async-rosetta tour``: every concept's scenarios, run in every column, side by side.

Each column runs all scenarios of a concept in one fresh event loop (a loop per
scenario would cost more than the scenarios). Scenarios stay isolated: each has
its own timeout, and whatever it raises is caught and becomes its cell. A cell is
compared with the reference column (the first one shown, asyncio by default);
each scenario says which columns it expects to differ, so a surprise stands out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rosetta.columns import COLUMNS, Column, get_column
from rosetta.concepts import CONCEPTS, Concept, get_concept

# The concepts' scenario modules register their scenarios when imported.
from rosetta.tour import (  # noqa: F401
    cancellation,
    executors,
    ftp,
    futures,
    readiness,
    servers,
    tasks,
    timers,
)
from rosetta.tour.scenarios import ASIDES, SCENARIOS, Env, Outcome, Scenario, describe_exception

__all__ = ["MIN_WIDTH", "Cell", "add_parser", "run", "run_concept", "width"]

# Below this the scenario table would wrap every cell; show one small table per scenario.
MIN_TABLE_WIDTH = 120
# Rich assumes 80 columns when stdout is not a terminal; the table needs more.
PIPE_WIDTH = 160
# Narrower than this, a scenario's cells would be a few characters wide.
MIN_WIDTH = 40


@dataclass(frozen=True)
class Cell:
    """What one scenario did in one column."""

    text: str  # shown
    key: str  # compared between columns: the text, or for an exception only its type
    internal_error: bool = False


def _outcome_cell(outcome: Outcome) -> Cell:
    text = outcome if isinstance(outcome, str) else "\n".join(outcome)
    return Cell(text, text)


def _exception_cell(exc: BaseException) -> Cell:
    return Cell(
        f"raises {describe_exception(exc)}", f"raises {describe_exception(exc, message=False)}"
    )


def _is_own_cancellation(exc: BaseException) -> bool:
    """Is *exc* a cancellation of the harness's own asyncio task (Ctrl-C), not a result?"""
    if not isinstance(exc, asyncio.CancelledError):
        return False
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not in an asyncio loop
        return False
    return task is not None and task.cancelling() > 0


async def _run_scenarios(env: Env, scenarios: Sequence[Scenario]) -> list[Cell]:
    cells: list[Cell] = []
    for scenario in scenarios:
        started = time.monotonic()
        try:
            outcome = await env.within(scenario.seconds, scenario.fn(env))
        except TimeoutError as exc:
            if time.monotonic() - started >= scenario.seconds:
                cells.append(Cell(f"timed out after {scenario.seconds} s", "timed out"))
            else:
                cells.append(_exception_cell(exc))
        # An asyncio column's CancelledError is a BaseException; a scenario may raise it.
        except (Exception, env.api.CancelledError) as exc:
            if _is_own_cancellation(exc):
                raise
            cells.append(_exception_cell(exc))
        else:
            cells.append(_outcome_cell(outcome))
    return cells


def run_concept(
    column: Column, scenarios: Sequence[Scenario], *, debug: bool = False
) -> list[Cell]:
    """Run *scenarios* in one fresh event loop of *column*; one cell per scenario.

    Error handling
    --------------
    A scenario's exception is its cell. Anything escaping the loop run itself is
    a bug of the harness or a package: every cell then reports it, marked as an
    internal error.
    """
    try:
        return column.run(_run_scenarios, Env(column), scenarios, debug=debug)
    except Exception as exc:
        text = f"internal error: {describe_exception(exc)}"
        return [Cell(text, text, internal_error=True) for _ in scenarios]


# -- rendering -------------------------------------------------------------------------------

_EXPECTED = "yellow"
_SURPRISE = "bold red"


def _styled(
    scenario: Scenario, cell: Cell, column: Column, ref_cell: Cell, ref: Column
) -> tuple[Text, bool]:
    """The cell's text with its marker, and whether it surprises the scenario."""
    marker, style, surprise = "", "", False
    if cell.internal_error:
        style, surprise = _SURPRISE, True
    elif column is not ref:
        differs = cell.key != ref_cell.key
        expected = scenario.group(column) != scenario.group(ref)
        if differs:
            marker, style = ("≠ ", _EXPECTED) if expected else ("≠! ", _SURPRISE)
        elif expected:
            marker, style = "=! ", _SURPRISE
        surprise = differs != expected
    # fold, not ellipsis: a cut-off result would hide exactly what the tour is for
    return Text(marker + cell.text, style=style, overflow="fold"), surprise


def _scenario_label(scenario: Scenario) -> Text:
    return Text.assemble((scenario.title, "bold"), "\n", (scenario.explanation, "dim"))


def _render_table(
    console: Console,
    scenarios: Sequence[Scenario],
    columns: Sequence[Column],
    cells: dict[str, list[Cell]],
) -> int:
    """Print one concept's results; return how many cells surprised their scenario."""
    ref = columns[0]
    surprises = 0
    if console.width >= MIN_TABLE_WIDTH:
        table = Table(box=box.SQUARE, show_lines=True, expand=True)
        table.add_column("scenario", ratio=3, overflow="fold")
        for column in columns:
            table.add_column(column.name, ratio=2, overflow="fold")
        for index, scenario in enumerate(scenarios):
            row: list[Text] = [_scenario_label(scenario)]
            for column in columns:
                text, surprise = _styled(
                    scenario, cells[column.name][index], column, cells[ref.name][index], ref
                )
                surprises += surprise
                row.append(text)
            table.add_row(*row)
        console.print(table)
        return surprises
    for index, scenario in enumerate(scenarios):
        console.print(_scenario_label(scenario))
        table = Table(box=box.SIMPLE, show_header=False, padding=(0, 1))
        table.add_column("column", style="cyan", no_wrap=True)
        table.add_column("result")
        for column in columns:
            text, surprise = _styled(
                scenario, cells[column.name][index], column, cells[ref.name][index], ref
            )
            surprises += surprise
            table.add_row(column.name, text)
        console.print(table)
    return surprises


def _render_asides(console: Console, concept: Concept) -> None:
    for aside in ASIDES:
        if aside.concept != concept.name:
            continue
        console.print(Text(aside.title + " (no event loop, shown once)", style="bold"))
        for line in aside.lines():
            console.print(Text("  " + line))
        console.print()


# -- command line ----------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tour",
        help="run every concept's scenarios in every column and compare",
        description=(
            "Run each concept's scenarios in every column (asyncio, uvloop, Trio, and the "
            "shared package on each) and print the results side by side. Cells that differ "
            "from the first column are marked."
        ),
    )
    parser.add_argument(
        "--concept",
        action="append",
        metavar="NAME",
        help="only this concept (repeatable); default: all",
    )
    parser.add_argument(
        "--column",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="only these columns, the first being the one compared against; default: all six",
    )
    parser.add_argument(
        "--width",
        type=width,
        metavar="N",
        help=f"render N >= {MIN_WIDTH} columns wide (default: the terminal's width; "
        f"{PIPE_WIDTH} when the output is not a terminal)",
    )
    parser.add_argument("--debug", action="store_true", help="run asyncio's loops in debug mode")
    parser.set_defaults(func=run)


def width(text: str) -> int:
    """``--width``: a number of columns a table can be drawn in (0 would print nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of columns >= {MIN_WIDTH}; got {text!r}"
        ) from None
    if value < MIN_WIDTH:
        raise argparse.ArgumentTypeError(f"must be a number of columns >= {MIN_WIDTH}; got {value}")
    return value


def _console(width: int | None) -> Console:
    console = Console(width=width)
    if width is None and not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=PIPE_WIDTH)
    return console


def run(args: argparse.Namespace) -> int:
    try:
        concepts = [get_concept(name) for name in args.concept or []] or list(CONCEPTS)
        columns = [get_column(name) for name in args.column or []] or list(COLUMNS)
    except ValueError as exc:
        print(f"async-rosetta tour: {exc}", file=sys.stderr)
        return 2
    skipped = [column.name for column in columns if not column.available]
    columns = [column for column in columns if column.available]
    if not columns:
        print(f"async-rosetta tour: no column can run here ({', '.join(skipped)})", file=sys.stderr)
        return 2

    console = _console(args.width)
    console.print(
        Text(
            "Every scenario runs once per column; each column runs a concept's scenarios "
            "in one fresh event loop.",
            style="dim",
        )
    )
    ref = columns[0].name
    # The legend comes first: the marks in the tables mean nothing until it is read.
    console.print(
        Text.assemble(
            ("≠", _EXPECTED),
            f" differs from {ref}, as the scenario explains.  ",
            ("≠! =!", _SURPRISE),
            " a difference, or a sameness, the scenario does not expect.  "
            "Exception messages are shown, not compared.",
        )
    )
    started = time.monotonic()
    surprises = 0
    internal_errors = False
    for concept in concepts:
        scenarios = [s for s in SCENARIOS if s.concept == concept.name]
        console.rule(f"[bold]{concept.title}[/]  ({concept.name})")
        if not scenarios:
            console.print(Text("no scenarios yet", style="dim"))
            continue
        cells = {
            column.name: run_concept(column, scenarios, debug=args.debug) for column in columns
        }
        internal_errors |= any(c.internal_error for cs in cells.values() for c in cs)
        surprises += _render_table(console, scenarios, columns, cells)
        _render_asides(console, concept)

    if skipped:
        console.print(Text(f"Skipped (uvloop is not installed): {', '.join(skipped)}", style="dim"))
    verdict = (
        f"{surprises} unexpected cell(s), marked !"
        if surprises
        else "every difference is one the scenarios expect"
    )
    console.print(
        f"{len(concepts)} concept(s) in {len(columns)} column(s), "
        f"{time.monotonic() - started:.1f} s; {verdict}."
    )
    return 1 if internal_errors else 0
