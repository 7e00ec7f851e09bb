"""``async-rosetta``: tour, show, bench, site, load, serve, port.

The command line's own needs (rich, pygments, docutils, matplotlib, uvloop) are the
``cli`` extra of the distribution, not its dependencies: a library that uses
``shared`` does not get them. Without them, every command says which extra to
install instead of failing with an ImportError.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata

__all__ = ["CLI_EXTRA", "COMMANDS", "build_parser", "main", "version"]

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

#: The modules of the ``cli`` extra (pyproject.toml) that the commands import.
CLI_EXTRA: tuple[str, ...] = ("rich", "pygments", "docutils", "matplotlib")
_OPTIONAL = ("uvloop",)  # also in the extra, but only some commands and columns need it

_INSTALL = "pip install 'async-rosetta[cli]' (from a checkout: pip install '.[cli]')"


def version() -> str:
    try:
        return metadata.version("async-rosetta")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _missing_extra() -> list[str]:
    return [name for name in CLI_EXTRA if importlib.util.find_spec(name) is None]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with *command*'s own arguments (the others by name and help only)."""
    parser = argparse.ArgumentParser(
        prog="async-rosetta",
        description="Async Python's core concepts in asyncio, Trio and AnyIO, side by side.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version()}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        if name == command:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=summary, add_help=False)
    return parser


def _needs_extra(names: Sequence[str]) -> int:
    print(
        f"async-rosetta: the command line needs {', '.join(names)}, from the 'cli' extra "
        f"of the distribution; install it with: {_INSTALL}",
        file=sys.stderr,
    )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # needs nothing but the distribution's metadata
        print(f"async-rosetta {version()}")
        return 0
    missing = _missing_extra()
    if missing:
        return _needs_extra(missing)
    command = next((a for a in arguments if not a.startswith("-")), None)
    try:  # a command's module is imported here, by build_parser
        args = build_parser(command).parse_args(arguments)
        status: int = args.func(args)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in _OPTIONAL:
            raise
        return _needs_extra([exc.name.split(".")[0]])
    return status


if __name__ == "__main__":
    sys.exit(main())
