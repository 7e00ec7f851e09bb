"""``async-rosetta port PATH... [--to trio|shared|both] [--format text|json|html] [--output FILE]``.

Exit status, as a linter's: 0 when every file was scanned (findings are the
report, not a failure), 1 when some file could not be read or parsed (each is
named on stderr with its line, and the others are still scanned), 2 for a usage
error, refused before any work: a path that does not exist, an ``--output`` that
cannot be written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rosetta.bench.schema import check_output_path

__all__ = ["add_parser", "run"]

_PROG = "async-rosetta port"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "port",
        help="find asyncio idioms in your code and show their Trio and shared equivalents",
        description=(
            "Read Python files, or the *.py files of directories, with ast (nothing is "
            "imported or run) and report each asyncio idiom: where, its concept, a severity "
            "(breaks: the equivalent behaves differently in a way the test matrix asserts; "
            "rewrite: no one-to-one equivalent; rename: mechanical), the equivalent in Trio "
            "and in shared, and the differs tests that apply. Directory walks skip "
            "dot-directories, __pycache__, node_modules and virtualenvs."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories")
    parser.add_argument(
        "--to",
        choices=["trio", "shared", "both"],
        default="both",
        help="the target(s) to show equivalents and differences for (default: both)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "json", "html"],
        default="text",
        help="text (default: grouped by file, a summary line), json, or an html page",
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write there (default: stdout)")
    parser.add_argument(
        "--update-index",
        action="store_true",
        help="(in a checkout) regenerate rosetta/port/index.json from README.md and tests/",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="(in a checkout) regenerate the README's Porting walk-through",
    )
    parser.set_defaults(func=run)


def _update(args: argparse.Namespace) -> int:
    from rosetta.port.index import INDEX_FILE, ROOT, update_index

    try:
        if args.update_index:
            changed = update_index()
            print(f"{INDEX_FILE}: {'rewritten' if changed else 'already current'}")
        if args.update_readme:
            from rosetta.port.walkthrough import update_readme

            readme = ROOT / "README.md"
            changed = update_readme(readme)
            print(f"{readme}: Porting walk-through {'rewritten' if changed else 'already current'}")
    except (OSError, ValueError) as exc:
        print(f"{_PROG}: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> int:
    if args.update_index or args.update_readme:
        status = _update(args)
        if status or not args.paths:
            return status
    if not args.paths:
        print(f"{_PROG}: give at least one PATH (a .py file or a directory)", file=sys.stderr)
        return 2
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        print(f"{_PROG}: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.output is not None:
        problem = check_output_path("--output", args.output)
        if problem is not None:
            print(f"{_PROG}: {problem}", file=sys.stderr)
            return 2

    from rosetta.port.render import render
    from rosetta.port.report import build_report, targets_of

    report = build_report(args.paths, targets_of(args.to))
    for error in report.errors:
        print(f"{error}", file=sys.stderr)
    text = render(report, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"{_PROG}: --output {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"{report.summary()}; written to {args.output}", file=sys.stderr)
    return 1 if report.errors else 0
