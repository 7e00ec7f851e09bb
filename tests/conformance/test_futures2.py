"""CPython 3.11's ``Lib/test/test_asyncio/test_futures2.py``, re-expressed for every column.

Left out, and why
-----------------
* ``CFutureTests`` / ``PyFutureTests``: run ``FutureTests`` on the C and the
  pure-Python Task; each package has one Task class, so ``test_future_traceback`` is
  mirrored once.
* ``FutureReprTests::test_recursive_repr_for_pending_tasks``: ``repr()`` of a task
  whose result holds it (and ``asyncio.all_tasks()``, not in the interface).
"""

from __future__ import annotations

import traceback

import anyio
import pytest

from common.interface import ConcurrencyAPI, FutureLike

pytestmark = [pytest.mark.anyio, pytest.mark.concept("futures")]


async def _count_await_lines(future: FutureLike[None]) -> list[int]:
    """Await the failed *future* five times; how often each traceback shows the await."""
    counts = []
    for _ in range(5):
        try:
            await future
        except TypeError as exc:
            counts.append("".join(traceback.format_tb(exc.__traceback__)).count("await future"))
        else:
            pytest.fail("TypeError was not raised")
    return counts


@pytest.mark.upstream("test_futures2.py::FutureTests::test_future_traceback")
async def test_future_traceback(api: ConcurrencyAPI) -> None:
    """Every await of a failed task (and of a failed Future) raises the exception with
    the traceback it was stored with, plus this await: the traceback does not grow."""

    async def raise_exc() -> None:
        await anyio.lowlevel.checkpoint()
        raise TypeError(42)

    with pytest.raises(ExceptionGroup):
        async with api.TaskGroup() as tg:
            task = tg.create_task(raise_exc())
    assert await _count_await_lines(task) == [1, 1, 1, 1, 1]

    fut = api.Future()
    fut.set_exception(TypeError(42))
    assert await _count_await_lines(fut) == [1, 1, 1, 1, 1]
