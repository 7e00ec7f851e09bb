"""The common test matrix: every conformance test runs in six columns.

A test that asks for the ``api`` fixture (or ``column``) is collected once per
column of :data:`rosetta.columns.COLUMNS`: the three native columns (``impl_asyncio``
on asyncio and on uvloop, ``impl_trio`` on Trio) and ``shared`` on AnyIO's
asyncio, uvloop and Trio backends (``shared-asyncio``, ``shared-uvloop``,
``shared-trio``). AnyIO's pytest plugin runs the test
on the column's event loop (asyncio in debug mode), chosen by the
``anyio_backend`` fixture below; combinations that cannot run (``impl_asyncio``
under Trio) are never generated.

Intended differences are asserted with the expected value of each package
(:func:`expect`) and the test is marked ``differs``. At the end of the run a
table shows, per concept and column, ``pass``, ``FAIL`` or ``differs (asserted)``;
with ``--matrix-json PATH`` (or ``ROSETTA_MATRIX_JSON=PATH``) the same cells are
also written as JSON, which ``async-rosetta site --matrix PATH`` shows.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

import impl_asyncio
import impl_asyncio.cancellation
import impl_trio
import impl_trio.cancellation
import shared
import shared.cancellation
from common.interface import CancellationAPI, ConcurrencyAPI
from rosetta.columns import COLUMNS, Column

T = TypeVar("T")

# The type check of the interface: mypy fails here if a package drifts from the Protocol.
PACKAGES: dict[str, ConcurrencyAPI] = {
    "impl_asyncio": impl_asyncio,
    "impl_trio": impl_trio,
    "shared": shared,
}
# The same for each package's cancellation module.
CANCELLATION: dict[str, CancellationAPI] = {
    "impl_asyncio": impl_asyncio.cancellation,
    "impl_trio": impl_trio.cancellation,
    "shared": shared.cancellation,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "column" in metafunc.fixturenames:
        metafunc.parametrize("column", COLUMNS, ids=[c.name for c in COLUMNS])


@pytest.fixture
def anyio_backend(column: Column) -> tuple[str, dict[str, Any]]:
    if not column.available:
        pytest.skip(f"{column.name} needs uvloop")
    return column.anyio_backend


@pytest.fixture
def api(column: Column) -> ConcurrencyAPI:
    return PACKAGES[column.package]


@pytest.fixture
def cx(column: Column) -> CancellationAPI:
    """The column's ``cancellation`` module: ``CancelScope``, ``move_on_after``, ..."""
    return CANCELLATION[column.package]


def expect(column: Column, per_package: Mapping[str, T]) -> T:
    """The expected value for *column*, given one value per package.

    Every package must be named, so a test states what each column does.
    """
    assert set(per_package) == set(PACKAGES), f"name all packages: {sorted(PACKAGES)}"
    return per_package[column.package]


# -- the matrix summary -------------------------------------------------------------------

_cells: dict[tuple[str, str], set[str]] = defaultdict(set)
# Mirrored upstream cases (tests marked ``upstream``): per column, each test's outcome,
# "passed", "differs" or "failed" (a failure in setup, call or teardown counts once).
_upstream: dict[str, dict[str, str]] = defaultdict(dict)


def _concept_of(item: pytest.Item) -> str:
    marker = item.get_closest_marker("concept")
    if marker is not None:
        return str(marker.args[0])
    return item.path.stem.removeprefix("test_")


def _column_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "column" in callspec.params:
        return str(callspec.params["column"].name)
    if item.get_closest_marker("trio") is not None:
        return "trio"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    column = _column_of(item)
    if column is None:
        return report
    key = (_concept_of(item), column)
    mirrored = item.get_closest_marker("upstream") is not None
    differs = item.get_closest_marker("differs") is not None
    if report.failed:
        _cells[key].add("FAIL")
        if mirrored:
            _upstream[column][item.nodeid] = "failed"
    elif report.when == "call" and report.passed:
        _cells[key].add("differs" if differs else "pass")
        if mirrored:
            _upstream[column][item.nodeid] = "differs" if differs else "passed"
    return report


def _upstream_counts(column: str) -> dict[str, int]:
    outcomes = list(_upstream[column].values())
    return {k: outcomes.count(k) for k in ("passed", "differs", "failed")}


def _cell(concept: str, column: str) -> str:
    outcomes = _cells.get((concept, column), set())
    if "FAIL" in outcomes:
        return "FAIL"
    if "differs" in outcomes:
        return "differs (asserted)"
    return "pass" if outcomes else "-"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--matrix-json",
        metavar="PATH",
        default=os.environ.get("ROSETTA_MATRIX_JSON"),
        help="also write the matrix summary as JSON to PATH (env: ROSETTA_MATRIX_JSON)",
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("matrix_json")
    if not path:
        return
    columns = [c.name for c in COLUMNS]
    concepts = sorted({concept for concept, _ in _cells})
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "columns": columns,
        "concepts": {k: {c: _cell(k, c) for c in columns} for k in concepts},
        "upstream": {c: _upstream_counts(c) for c in columns if c in _upstream},
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _cells:
        return
    columns = [c.name for c in COLUMNS]
    concepts = sorted({concept for concept, _ in _cells})
    width = max(len("concept"), *(len(c) for c in concepts)) + 2
    cell_width = max(len("differs (asserted)"), *(len(c) for c in columns)) + 2

    write = terminalreporter.write_line
    terminalreporter.section("async-rosetta matrix")
    write("concept".ljust(width) + "".join(c.ljust(cell_width) for c in columns))
    for concept in concepts:
        write(concept.ljust(width) + "".join(_cell(concept, c).ljust(cell_width) for c in columns))
    if _upstream:
        write("")
        write("mirrored upstream cases (tests/conformance/), per column:")
        for c in columns:
            if c not in _upstream:
                continue
            counts = _upstream_counts(c)
            ran = sum(counts.values())
            write(
                f"  {c.ljust(cell_width)}{ran} ran: {counts['passed']} passed, "
                f"{counts['differs']} asserted differences, {counts['failed']} failed"
            )
