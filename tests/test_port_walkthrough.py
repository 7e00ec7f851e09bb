"""The Porting walk-through: both programs run, the port is clean, the README shows both."""

from __future__ import annotations

import asyncio
import hashlib

import anyio
import pytest

from rosetta.port.index import ROOT
from rosetta.port.scan import scan_file
from rosetta.port.walkthrough import AFTER, BEFORE, after, before, readme_is_current
from rosetta.port.walkthrough import walkthrough_report as report

pytestmark = pytest.mark.concept("port")

EXPECTED = {name: hashlib.sha256(data).hexdigest()[:12] for name, data in before.BLOBS.items()}


def test_the_asyncio_program_gives_the_digests() -> None:
    assert asyncio.run(before.main()) == EXPECTED


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_shared_program_gives_the_same_digests_on_each_backend(backend: str) -> None:
    assert anyio.run(after.main, backend=backend) == EXPECTED


def test_port_finds_nothing_in_the_port() -> None:
    scanned = scan_file(str(AFTER))
    assert scanned.error is None
    assert scanned.hits == ()


def test_port_finds_each_habit_of_the_asyncio_program() -> None:
    found = [(f.line, f.idiom.id, f.severity) for f in report().findings]
    assert found == [
        (14, "get-event-loop", "rewrite"),
        (15, "sleep-loop", "rewrite"),
        (21, "get-event-loop", "rewrite"),
        (22, "run-in-executor", "breaks"),
        (27, "task-never-awaited", "rewrite"),
        (29, "wait-for", "breaks"),
        (29, "gather", "breaks"),
        (30, "swallow-cancelled", "breaks"),
        (36, "run", "rename"),
    ]
    assert {f.path for f in report().findings} == {BEFORE.relative_to(ROOT).as_posix()}


def test_the_readme_walkthrough_is_current() -> None:
    assert readme_is_current(ROOT / "README.md"), (
        "README's Porting walk-through is stale: run `async-rosetta port --update-readme`"
    )
