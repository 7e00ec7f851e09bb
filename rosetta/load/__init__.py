"""The load clients: ``async-rosetta load`` (echo, :mod:`rosetta.load.echo`) and the FTP
client of ``bench ftp`` (:mod:`rosetta.load.ftp`)."""

from __future__ import annotations

from rosetta.load.echo import add_parser, run

__all__ = ["add_parser", "run"]
