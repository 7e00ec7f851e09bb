"""Trio-only behaviour of ``impl_trio``, under pytest-trio (and Trio's MockClock)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trio
import trio.lowlevel
import trio.testing

import impl_trio


@pytest.mark.concept("futures")
@pytest.mark.trio
async def test_a_cancelled_future_is_not_a_forged_trio_cancelled() -> None:
    """The waiter gets the future's CancelledError; its own cancel scope is untouched."""
    fut: impl_trio.Future[int] = impl_trio.Future()
    fut.cancel()
    with trio.CancelScope() as scope:
        with pytest.raises(impl_trio.CancelledError) as raised:
            await fut
        assert not isinstance(raised.value, trio.Cancelled)
        await trio.lowlevel.checkpoint()  # still allowed: nothing cancelled this task
    assert not scope.cancelled_caught


@pytest.mark.concept("futures")
@pytest.mark.trio
async def test_unresolved_future_waits_forever_in_virtual_time(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """An hour of virtual time passes instantly; the future is still pending."""
    fut: impl_trio.Future[int] = impl_trio.Future()
    start = trio.current_time()
    with trio.move_on_after(3600):
        await fut
    assert trio.current_time() - start == pytest.approx(3600)
    assert not fut.done()


@pytest.mark.concept("tasks")
@pytest.mark.trio
async def test_task_cancellation_is_level_triggered() -> None:
    """A coroutine that swallows trio.Cancelled is cancelled again at its next
    checkpoint (asyncio would let it run on)."""
    checkpoints: list[str] = []

    async def stubborn() -> str:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            checkpoints.append("swallowed")
        try:
            await trio.lowlevel.checkpoint()
        except trio.Cancelled:
            checkpoints.append("cancelled again")
            raise
        return "escaped"

    async with impl_trio.TaskGroup() as tg:
        task = tg.create_task(stubborn())
        await trio.testing.wait_all_tasks_blocked()
        task.cancel()
    assert checkpoints == ["swallowed", "cancelled again"]
    assert task.cancelled()


@pytest.mark.concept("futures")
@pytest.mark.trio
async def test_callbacks_run_in_registration_order_after_set_result() -> None:
    fut: impl_trio.Future[str] = impl_trio.Future()
    order: list[str] = []

    def recorder(name: str) -> Callable[[impl_trio.Future[str]], None]:
        return lambda f: order.append(name + f.result())

    for name in ("a", "b", "c"):
        fut.add_done_callback(recorder(name))
    fut.set_result("!")
    assert order == []
    await trio.testing.wait_all_tasks_blocked()
    assert order == ["a!", "b!", "c!"]
