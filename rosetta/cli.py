"""``async-rosetta``: tour, show, bench."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]


#: The commands, each the module ``rosetta.NAME`` with an ``add_parser(subparsers)``.
COMMANDS = ("tour", "show", "bench", "site", "load", "serve")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI's parser, or with *only* that command (the others are not imported)."""
    parser = argparse.ArgumentParser(
        prog="async-rosetta",
        description="Async Python's core concepts in asyncio, Trio and AnyIO, side by side.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"rosetta.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # Import only the command asked for: `serve ftp` then starts without the tour, the site
    # and rich (resident at start: 41 -> 29 MiB on uvloop), so a server's memory is its own.
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(command)
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
