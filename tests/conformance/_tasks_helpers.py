"""Helpers for the mirrored task and task-group suites (test_tasks.py, test_taskgroups.py)."""

from __future__ import annotations

import sys
from collections.abc import Coroutine
from typing import Any

import anyio

from common.interface import ConcurrencyAPI, FutureLike

# Upstream's 0.1 s. Upstream sleeps are scaled by this; "long" sleeps (that are always
# cancelled) stay long.
U = 0.02
LONG = 10.0

# asyncio's TaskGroup.create_task closes a coroutine it refuses from 3.13 on (gh-115957);
# the three packages follow the running Python.
REFUSED_CORO_IS_CLOSED = sys.version_info >= (3, 13)


def error_types(group: BaseException | None) -> set[type[BaseException]]:
    """Upstream's ``get_error_types``: the types directly inside an exception group."""
    assert isinstance(group, BaseExceptionGroup), f"not an exception group: {group!r}"
    return {type(e) for e in group.exceptions}


def leaf_types(error: BaseException | None) -> set[type[BaseException]]:
    """The types of the non-group exceptions anywhere inside *error*."""
    if isinstance(error, BaseExceptionGroup):
        return set().union(*(leaf_types(e) for e in error.exceptions))
    assert error is not None
    return {type(error)}


class Arrivals:
    """Counts the tasks that reached a point; ``all`` is set once *n* have.

    Upstream sleeps and trusts that every task has started by then; on a loaded
    machine one may not have (and asyncio never runs a task cancelled before it
    starts), so the tests wait for the tasks to arrive instead.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.all = anyio.Event()

    def arrive(self) -> None:
        self.count += 1
        if self.count >= self.n:
            self.all.set()


async def run_as_task(
    api: ConcurrencyAPI,
    coro: Coroutine[Any, Any, Any],
    *,
    cancel_after: float | None = None,
    ready: Arrivals | None = None,
    cancelling: anyio.Event | None = None,
) -> FutureLike[Any]:
    """Upstream's ``r = asyncio.create_task(runner())`` [``sleep``; ``r.cancel()``]; ``await r``.

    Every task needs a group in Trio and AnyIO, so *coro* runs as a task of an outer
    group in every column. With *cancel_after*, the task is cancelled that long after
    everything in *ready* has arrived; *cancelling* is set just before. Returns the
    task once done; when the task failed, the outer group raised it in an exception
    group of its own, which is checked and dropped here, so the caller looks at
    ``task.exception()`` where upstream looks at ``await r``.
    """
    task: FutureLike[Any] | None = None
    try:
        async with api.TaskGroup() as tg:
            task = tg.create_task(coro)
            if cancel_after is not None:
                if ready is not None:
                    await ready.all.wait()
                await anyio.sleep(cancel_after)
                assert not task.done()
                if cancelling is not None:
                    cancelling.set()
                task.cancel()
    except BaseExceptionGroup as group:
        assert task is not None
        assert task.done()
        assert not task.cancelled()
        assert len(group.exceptions) == 1  # noqa: PT017 - the group is the task's own
    assert task is not None
    assert task.done()
    return task


def settle_refused(coro: Coroutine[Any, Any, Any]) -> bool:
    """After ``create_task(coro)`` was refused: whether the group closed *coro*.

    Upstream (3.11) awaits the coroutine afterwards to avoid a "never awaited" warning;
    here it is closed instead when the group left it open.
    """
    closed = coro.cr_frame is None  # type: ignore[attr-defined]
    coro.close()
    return closed
