"""``async-rosetta site``: the static site and the README's claims (:mod:`rosetta.site.builder`)."""

from __future__ import annotations

from rosetta.site.builder import add_parser, run

__all__ = ["add_parser", "run"]
