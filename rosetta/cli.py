"""``async-rosetta``: tour, show, bench, site, load, serve, port."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "build_parser", "main"]

# Command -> (the module whose add_parser() registers it, its one-line help). Only the
# module of the command being run is imported; the others are listed by name and help,
# so `async-rosetta --help` loads no event loop library (tests/test_cli.py checks that
# the help here is the one each module registers).
COMMANDS: dict[str, tuple[str, str]] = {
    "tour": (
        "rosetta.tour.runner",
        "run every concept's scenarios in every column and compare",
    ),
    "show": ("rosetta.show", "the asyncio, Trio and AnyIO code of a concept side by side"),
    "bench": (
        "rosetta.bench",
        "measure the columns against each other and against native primitives",
    ),
    "site": (
        "rosetta.site.builder",
        "build the static site: the concepts side by side, the matrix, the claims",
    ),
    "load": (
        "rosetta.load.echo",
        "load an echo server on this machine with N connections (loopback only)",
    ),
    "serve": ("rosetta.serve", "run a server until SIGINT or SIGTERM"),
    "port": (
        "rosetta.port.command",
        "find asyncio idioms in your code and show their Trio and shared equivalents",
    ),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with *command*'s own arguments (the others by name and help only)."""
    parser = argparse.ArgumentParser(
        prog="async-rosetta",
        description="Async Python's core concepts in asyncio, Trio and AnyIO, side by side.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        if name == command:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(arguments)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
