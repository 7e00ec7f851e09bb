"""``async-rosetta``: tour, show, bench, load, serve, site.

The command line's own needs (rich, pygments, docutils, matplotlib, uvloop) are the
``cli`` extra of the distribution, not its dependencies: a library that uses
``shared`` does not get them. Without them, every command says which extra to
install instead of failing with an ImportError.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata

__all__ = ["CLI_EXTRA", "main", "version"]

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="async-rosetta",
        description="Async Python's core concepts in asyncio, Trio and AnyIO, side by side.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version()}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from rosetta import bench, show, site, tour

    tour.add_parser(sub)
    show.add_parser(sub)
    bench.add_parser(sub)
    site.add_parser(sub)

    from rosetta import load

    load.add_parser(sub)

    from rosetta import serve

    serve.add_parser(sub)
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
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        status: int = args.func(args)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in _OPTIONAL:
            raise
        return _needs_extra([exc.name.split(".")[0]])
    return status


if __name__ == "__main__":
    sys.exit(main())
