"""The three packages line up: same modules, same public names, same order."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.listify import ensure_list

CONCEPT_MODULES = (
    "futures",
    "tasks",
    "executors",
    "cancellation",
    "timers",
    "readiness",
    "servers",
    "ftp",
)
PACKAGES = ("impl_asyncio", "impl_trio", "shared")
COMMON_NAMES = [
    "Future",
    "Task",
    "TaskGroup",
    "CancelledError",
    "InvalidStateError",
    "ensure_future",
    "gather",
    "run_in_executor",
    # cancellation.py, re-exported after the names above
    "CancelScope",
    "move_on_after",
    "fail_after",
    "wait_for",
    "shielded",
    # timers.py, after cancellation.py's names
    "Timer",
    "Tick",
    "ScheduledCall",
    "set_interval",
    "set_timeout",
    "interval",
    # readiness.py, after timers.py's names
    "wait_readable",
    "wait_writable",
    "recv_some",
    "send_all",
    # servers.py, after readiness.py's names
    "serve_echo",
]


@pytest.mark.parametrize("concept", CONCEPT_MODULES)
def test_concept_modules_have_the_same_public_names_in_the_same_order(concept: str) -> None:
    exported = {
        package: list(importlib.import_module(f"{package}.{concept}").__all__)
        for package in PACKAGES
    }
    assert exported["impl_trio"] == exported["impl_asyncio"]
    assert exported["shared"] == exported["impl_asyncio"]
    for package, names in exported.items():
        module = importlib.import_module(f"{package}.{concept}")
        for name in names:
            assert hasattr(module, name), f"{package}.{concept} exports missing {name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_reexport_the_common_names(package: str) -> None:
    module = importlib.import_module(package)
    assert [name for name in module.__all__ if name in COMMON_NAMES] == COMMON_NAMES
    for name in COMMON_NAMES:
        assert getattr(module, name) is not None


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_export_exactly_the_common_names(package: str) -> None:
    # ensure_list lives in common.listify: shared is the AnyIO column and nothing more.
    assert importlib.import_module(package).__all__ == COMMON_NAMES


# -- ensure_list (common.listify), the source text's listify ---------------------------


@given(st.lists(st.integers()))
def test_ensure_list_returns_a_list_itself(items: list[int]) -> None:
    assert ensure_list(items) is items


@given(st.one_of(st.tuples(st.integers()), st.frozensets(st.integers()), st.lists(st.text())))
def test_ensure_list_converts_other_iterables(items: Iterable[object]) -> None:
    result = ensure_list(items if isinstance(items, list) else iter(items))
    assert result == list(items)


@given(st.one_of(st.integers(), st.text(), st.binary(), st.none(), st.floats(allow_nan=False)))
def test_ensure_list_wraps_single_items(item: object) -> None:
    assert ensure_list(item) == [item]
