"""``async-rosetta``: tour, show, bench."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="async-rosetta",
        description="Async Python's core concepts in asyncio, Trio and AnyIO, side by side.",
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

    from rosetta.port import command as port_command

    port_command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
