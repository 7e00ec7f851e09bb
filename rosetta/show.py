"""``async-rosetta show CONCEPT``: the three implementations of a concept side by side.

One table row per public name, so a name sits at the same height in all three
columns however long the other two definitions are. Below 120 columns the three
would be too narrow to read, so they are stacked instead, one heading each.
"""

from __future__ import annotations

import argparse
import sys

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from rosetta.concepts import (
    CONCEPTS,
    Concept,
    ModuleSource,
    alignment_problems,
    get_concept,
    load_sources,
    row_names,
)
from rosetta.rst import HangingCode, to_rich
from rosetta.site.text import split_docstring
from rosetta.tour.runner import MIN_WIDTH, width

__all__ = ["MIN_SIDE_BY_SIDE_WIDTH", "add_parser", "render", "run"]

MIN_SIDE_BY_SIDE_WIDTH = 120

_THEME = "ansi_dark"  # the terminal's own palette: readable on dark and light backgrounds
_DOCSTRING = "module docstring"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "show",
        help="the asyncio, Trio and AnyIO code of a concept side by side",
        description=(
            "Show a concept's module from impl_asyncio, impl_trio and shared side by side, "
            "aligned by public name. Without CONCEPT, list the concepts."
        ),
    )
    parser.add_argument("concept", nargs="?", metavar="CONCEPT", help="e.g. futures")
    parser.add_argument(
        "--width",
        type=width,
        metavar="N",
        help=f"render N >= {MIN_WIDTH} columns wide (default: the terminal's; side by side "
        f"from {MIN_SIDE_BY_SIDE_WIDTH})",
    )
    parser.add_argument(
        "--line-numbers",
        action="store_true",
        help="number lines as in the files (docstrings then stay in the code, as written)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    console = Console(width=args.width)
    if args.concept is None:
        console.print(_concept_list())
        return 0
    try:
        concept = get_concept(args.concept)
    except ValueError as exc:
        print(f"async-rosetta show: {exc}", file=sys.stderr)
        return 2
    render(console, concept, line_numbers=args.line_numbers)
    return 0


def _concept_list() -> Table:
    table = Table(title="Concepts (async-rosetta show CONCEPT)", box=box.SIMPLE, expand=True)
    table.add_column("concept", style="bold", no_wrap=True)
    table.add_column("module", no_wrap=True)
    table.add_column("what it is about", ratio=1)
    for concept in CONCEPTS:
        table.add_row(concept.name, concept.module, f"{concept.title}. {concept.summary}")
    return table


def _docstring(source: ModuleSource) -> RenderableType:
    if source.docstring is None:
        return Text("(no module docstring)", style="dim")
    return to_rich(source.docstring)  # reStructuredText, laid out: roles, lists, tables


def _code(source: ModuleSource, name: str, *, line_numbers: bool) -> RenderableType:
    segment = source.segments.get(name)
    if segment is None:
        return Text(f"({name} is not defined here)", style="dim")
    # A wrapped line continues under its own indentation, not at the cell's edge.
    if line_numbers:  # numbered as in the file: the docstring stays in the code
        return HangingCode(
            segment.source, line_numbers=True, start_line=segment.start_line, theme=_THEME
        )
    doc, code = split_docstring(segment)  # as the site does: the docstring above, rendered
    parts: list[RenderableType] = [HangingCode(code, theme=_THEME)]
    if doc:
        parts[:0] = [to_rich(doc), Text()]
    return Group(*parts)


def _cell(source: ModuleSource, row: str, *, line_numbers: bool) -> RenderableType:
    if row == _DOCSTRING:
        return _docstring(source)
    return _code(source, row, line_numbers=line_numbers)


def _location(concept: Concept, source: ModuleSource, row: str) -> str:
    where = concept.where(source.package)
    segment = source.segments.get(row)
    return f"{where}:{segment.start_line}" if segment is not None else where


def render(console: Console, concept: Concept, *, line_numbers: bool = False) -> None:
    """Print *concept*'s three modules to *console*, side by side if it is wide enough."""
    sources = load_sources(concept)
    console.rule(f"[bold]{concept.title}[/]  ({concept.name})")
    console.print(Padding(Text(concept.summary), (0, 0, 1, 0)))
    problems = alignment_problems(concept, sources)
    if problems:
        # Still shown (a row per name, "not defined" where absent), but say why it is ragged.
        console.print(Text("The modules do not line up:", style="bold yellow"))
        for problem in problems:
            console.print(Text(f"  {problem}", style="yellow"))
        console.print()
    rows = [_DOCSTRING, *row_names(sources)]
    if console.width >= MIN_SIDE_BY_SIDE_WIDTH:
        table = Table(box=box.SQUARE, show_lines=True, expand=True)
        for source in sources:
            table.add_column(
                f"{source.package.label}\n[dim]{concept.where(source.package)}[/]",
                ratio=1,
                vertical="top",
                overflow="fold",  # a long identifier is folded, never cut off with "…"
            )
        for row in rows:
            table.add_row(*(_cell(source, row, line_numbers=line_numbers) for source in sources))
        console.print(table)
        return
    for row in rows:
        console.rule(row, style="cyan")
        parts: list[RenderableType] = []
        for source in sources:
            heading = Text.assemble(
                (source.package.label, "bold"), ("  " + _location(concept, source, row), "dim")
            )
            parts.append(heading)
            parts.append(Padding(_cell(source, row, line_numbers=line_numbers), (0, 0, 1, 2)))
        console.print(Group(*parts))
