"""AnyIO's cancel-scope cases from ``tests/test_taskgroups.py``, in all six columns.

Each test mirrors the AnyIO case of the same name. ``anyio.CancelScope``,
``move_on_after`` and ``fail_after`` are the column's (``cx``); ``move_on_at(t)``
is ``CancelScope(deadline=t)``; ``None`` ("no timeout") is ``math.inf``; a task
group is ``api.TaskGroup`` and ``tg.cancel_scope`` a ``CancelScope`` around the
group, since our TaskGroup has none of its own; ``start_soon(fn)`` is
``create_task(fn())``. The ``TestUncancel`` cases run on the asyncio-backed
columns only, as upstream: they check ``Task.cancelling()``, which Trio has not.

Where asyncio differs (``differs``): a cancelled scope stays cancelled in Trio and
AnyIO (level-triggered) and delivers once in asyncio; an impl_asyncio scope covers
its own task, while in Trio and AnyIO a group's children are inside the scopes
around the group (every task has a group); and asyncio cannot refuse a bare
``Task.cancel()``, which is how its TaskGroup cancels its children, so a shield in
a child does not hold.

Not mirrored, and why:

* ``test_fail_after_scope_cancelled_before_timeout``: an upstream xfail (AnyIO
  cannot tell a ``cancel()`` by hand from the deadline once the deadline has
  passed; nor can Trio's scope).
* ``test_fail_after_reason``, ``test_fail_at_reason``, ``test_cancel_reason``,
  ``test_cancel_with_reason``: cancel reasons are not in our API
  (``CancelScopeLike.cancel()`` takes none); nor is the "deadline" text that
  ``test_fail_after``/``test_fail_at`` find in the cancellation's message.
* ``test_fail_at``, ``test_fail_at_no_timeout``: our API has no ``fail_at``
  (``test_move_on_at*`` cover deadlines, ``test_fail_after*`` the raising).
* ``current_effective_deadline()`` and ``has_pending_cancellation()`` checks
  (in ``test_nested_move_on_after``, ``test_cancel_from_shielded_scope``,
  ``test_cancel_shielded_scope``, ``test_shielded_cleanup_after_cancel``,
  ``test_shielded_deadline``): not in our API. Where the case is nothing else,
  an awaited checkpoint shows the same thing (cancelled there or not).
* ``test_cleanup_after_native_cancel``, ``test_cancel_host_asyncgen``,
  ``test_cancel_native_future_tasks``, ``test_cancel_native_future_tasks_cancel_scope``,
  ``test_cancel_completed_task``, ``test_cancel_generator_based_task``,
  ``test_schedule_old_style_coroutine_func``: AnyIO's handling of native asyncio
  tasks, futures and generators under its scopes (asyncio backend only).
* ``test_shielded_cancel_sleep_time``: a bound on CPU time (no busy loop while a
  shielded task ignores its cancellation); timings live in benchmarks here.
* ``test_cancel_shielding_start``, ``TestUncancel::test_uncancel_after_taskgroup_cancelled``:
  ``TaskGroup.start()`` and ``task_status`` are not in our API.
* ``TestUncancel::test_uncancel_after_group_aexit_native_cancel``: the messages
  of native cancels passing through AnyIO's task group exit, an AnyIO internal.

The other cases of the file are about task groups, not cancel scopes (starting,
naming, handles, errors and exception groups, reference cycles, eager tasks):
``test_already_closed``, ``test_success``, ``test_run_natively``,
``test_start_soon_while_running``, ``test_start_soon_after_error``, every
``test_start_*`` case, ``test_propagate_native_cancellation_from_taskgroup``,
``test_cancel_with_nested_task_groups``, ``test_no_spin_on_done_task_in_cancel_scope``,
``test_host_exception``, ``test_level_cancellation``, ``test_cancel``,
``test_failing_child_task_cancels_host``, ``test_failing_host_task_cancels_children``,
``test_cancel_propagation``, ``test_cancel_twice``, ``test_cancel_exiting_task_group``,
``test_exception_group_children``, ``test_exception_group_host``,
``test_empty_taskgroup_contains_yield_point``, ``test_exception_cancels_siblings``,
``test_cancel_cascade``, ``test_nested_task_group_filtering``,
``test_exception_group_filtering``, ``test_nested_exception_group_filtering``,
``test_cancel_propagation_with_inner_spawn``, ``test_task_in_sync_spawn_callback``,
``test_unhandled_exception_group``, ``test_start_soon_parent_id``,
``test_start_parent_id``, ``test_taskgroup_reentry``, ``TestRefcycles``,
``TestTaskStatusTyping``, ``test_eager_task_factory``, ``test_patched_asyncio_task``,
``test_exception_groups_suppresses_exc_context``, ``test_asyncio_call_graph``,
``TestCreateTask``, ``test_task_name_default``, ``test_task_name_custom_name``,
``test_task_from_asyncgen_asend``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
from typing import Any, NoReturn

import anyio
import anyio.lowlevel
import pytest

from common.interface import CancellationAPI, CancelScopeLike, ConcurrencyAPI
from rosetta.columns import Column

from ..conftest import expect
from .cancel_support import cancelled, cancelled_exc, checkpoint_raises, differs_before

pytestmark = [pytest.mark.anyio, pytest.mark.concept("cancellation")]


def case(name: str) -> pytest.MarkDecorator:
    return pytest.mark.upstream(f"anyio:tests/test_taskgroups.py::{name}")


def per_backend(column: Column, asyncio_value: Any, trio_value: Any) -> Any:
    """For a difference of the event loop, not of the package: shared follows its backend."""
    return trio_value if column.on_trio else asyncio_value


async def sleep_raises(seconds: float) -> bool:
    """``with pytest.raises(cancelled): await sleep(seconds)`` as a value."""
    try:
        await anyio.sleep(seconds)
    except cancelled_exc():
        return True
    return False


@case("test_cancel_scope_in_another_task")
async def test_cancel_scope_in_another_task(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    scopes: list[CancelScopeLike] = []
    result = False

    async def child() -> None:
        nonlocal result
        with cx.CancelScope() as local_scope:
            scopes.append(local_scope)
            await anyio.sleep(2)
            result = True

    async with api.TaskGroup() as tg:
        tg.create_task(child())
        while not scopes:
            await anyio.lowlevel.checkpoint()
        scopes[0].cancel()
    assert not result
    assert scopes[0].cancelled_caught


@case("test_cancel_before_entering_scope")
async def test_cancel_before_entering_scope(cx: CancellationAPI) -> None:
    reached = False
    cancel_scope = cx.CancelScope()
    cancel_scope.cancel()
    with cancel_scope:
        await anyio.sleep(1)
        reached = True
    assert not reached
    assert cancel_scope.cancelled_caught


@case("test_escaping_cancelled_exception")
async def test_escaping_cancelled_exception(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """Cancelled from inside the group's body: nothing escapes the scope."""
    with cx.CancelScope() as group_scope:
        async with api.TaskGroup():
            group_scope.cancel()
            await anyio.lowlevel.checkpoint()
    assert group_scope.cancelled_caught


@case("test_cancel_scope_cleared")
async def test_cancel_scope_cleared(cx: CancellationAPI) -> None:
    """An expired scope leaves nothing behind for the next checkpoint."""
    with cx.move_on_after(0.1):
        await anyio.sleep(1)
    await anyio.lowlevel.checkpoint()


@case("test_fail_after")
@pytest.mark.parametrize("delay", [0, 0.1], ids=["instant", "delayed"])
async def test_fail_after(cx: CancellationAPI, delay: float) -> None:
    seen = False
    with pytest.raises(TimeoutError), cx.fail_after(delay) as scope:  # noqa: PT012
        try:
            await anyio.sleep(1)
        except cancelled_exc():
            seen = True
            raise
    assert seen
    assert scope.cancel_called
    assert scope.cancelled_caught


@case("test_fail_after_no_timeout")
async def test_fail_after_no_timeout(cx: CancellationAPI) -> None:
    with cx.fail_after(math.inf) as scope:
        assert scope.deadline == math.inf
        await anyio.sleep(0.1)
    assert not scope.cancel_called
    assert not scope.cancelled_caught


@case("test_fail_after_after_cancellation")
async def test_fail_after_after_cancellation(cx: CancellationAPI) -> None:
    """A cancellation caught by its scope leaves nothing that would stop a later
    fail_after from raising TimeoutError."""
    with cx.CancelScope() as group_scope:
        group_scope.cancel()
        await anyio.Event().wait()

    block_complete = False
    with pytest.raises(TimeoutError), cx.fail_after(0.1):  # noqa: PT012
        await anyio.sleep(0.5)
        block_complete = True
    assert not block_complete


@case("test_fail_after_cancelled_before_deadline")
async def test_fail_after_cancelled_before_deadline(cx: CancellationAPI) -> None:
    """Cancelled by hand before its deadline: no TimeoutError."""
    with cx.fail_after(1) as scope:
        scope.cancel()
        await anyio.lowlevel.checkpoint()
    assert scope.cancelled_caught


@case("test_move_on_after")
@pytest.mark.parametrize("delay", [0, 0.1], ids=["instant", "delayed"])
async def test_move_on_after(cx: CancellationAPI, delay: float) -> None:
    result = False
    with cx.move_on_after(delay) as scope:
        await anyio.sleep(1)
        result = True
    assert not result
    assert scope.cancel_called
    assert scope.cancelled_caught


@case("test_move_on_after_no_timeout")
async def test_move_on_after_no_timeout(cx: CancellationAPI) -> None:
    result = False
    with cx.move_on_after(math.inf) as scope:
        assert scope.deadline == math.inf
        await anyio.sleep(0.1)
        result = True
    assert result
    assert not scope.cancel_called


@case("test_nested_move_on_after")
async def test_nested_move_on_after(cx: CancellationAPI) -> None:
    sleep_completed = inner_scope_completed = False
    with cx.move_on_after(0.1) as outer_scope:
        with cx.move_on_after(1) as inner_scope:
            await anyio.sleep(2)
            sleep_completed = True
        inner_scope_completed = True
    assert not sleep_completed
    assert not inner_scope_completed
    assert outer_scope.cancel_called
    assert outer_scope.cancelled_caught
    assert not inner_scope.cancel_called
    assert not inner_scope.cancelled_caught


@case("test_move_on_at")
@pytest.mark.parametrize("delay", [0, 0.1], ids=["instant", "delayed"])
async def test_move_on_at(cx: CancellationAPI, delay: float) -> None:
    result = False
    with cx.CancelScope(deadline=anyio.current_time() + delay) as scope:
        await anyio.sleep(1)
        result = True
    assert not result
    assert scope.cancel_called
    assert scope.cancelled_caught


@case("test_move_on_at_no_timeout")
async def test_move_on_at_no_timeout(cx: CancellationAPI) -> None:
    result = False
    with cx.CancelScope(deadline=math.inf) as scope:
        assert scope.deadline == math.inf
        await anyio.sleep(0.1)
        result = True
    assert result
    assert not scope.cancel_called


@case("test_shielding")
async def test_shielding(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """The group is cancelled from another task while the host sleeps in a shielded
    scope: that sleep completes, the next one is cancelled."""
    inner_sleep_completed = outer_sleep_completed = False

    with cx.CancelScope() as group_scope:

        async def cancel_when_ready() -> None:
            await anyio.wait_all_tasks_blocked()
            group_scope.cancel()

        async with api.TaskGroup() as tg:
            tg.create_task(cancel_when_ready())
            with cx.move_on_after(10, shield=True) as inner_scope:
                assert inner_scope.shield
                await anyio.sleep(0.1)
                inner_sleep_completed = True
            await anyio.sleep(1)
            outer_sleep_completed = True
    assert inner_sleep_completed
    assert not outer_sleep_completed
    assert group_scope.cancel_called
    assert not inner_scope.cancel_called


@pytest.mark.differs
@case("test_cancel_from_shielded_scope")
async def test_cancel_from_shielded_scope(cx: CancellationAPI, column: Column) -> None:
    """Cancelled from inside a shield: delivered after it, and (Trio, AnyIO) at every
    checkpoint after that; asyncio delivers it once."""
    with cx.CancelScope() as group_scope:
        with cx.CancelScope(shield=True) as inner_scope:
            assert inner_scope.shield
            group_scope.cancel()
            assert not await checkpoint_raises()
        raised = [await sleep_raises(0.01), await sleep_raises(0.01)]
    assert raised == expect(
        column,
        {"impl_asyncio": [True, False], "impl_trio": [True, True], "shared": [True, True]},
    )


@case("test_cancel_shielded_scope")
async def test_cancel_shielded_scope(cx: CancellationAPI) -> None:
    """A shield does not protect a scope from its own cancellation."""
    with cx.CancelScope(shield=True) as cancel_scope:
        assert cancel_scope.shield
        cancel_scope.cancel()
        with pytest.raises(cancelled_exc()):
            await anyio.lowlevel.checkpoint()


@pytest.mark.differs
@case("test_shielded_cleanup_after_cancel")
async def test_shielded_cleanup_after_cancel(cx: CancellationAPI, column: Column) -> None:
    """anyio#832: the cleanup of a cancelled block runs undisturbed in a shielded scope;
    after the shield, the block is cancelled again (Trio, AnyIO), not in asyncio."""
    with cx.CancelScope() as outer_scope:
        outer_scope.cancel()
        try:
            await anyio.lowlevel.checkpoint()
        finally:
            with cx.CancelScope(shield=True):
                in_shield = await checkpoint_raises()
            after_shield = await checkpoint_raises()
    assert outer_scope.cancelled_caught
    assert (in_shield, after_shield) == expect(
        column,
        {"impl_asyncio": (False, False), "impl_trio": (False, True), "shared": (False, True)},
    )


@case("test_cancelled_not_caught")
async def test_cancelled_not_caught(cx: CancellationAPI) -> None:
    with cx.CancelScope() as scope:
        scope.cancel()
    assert scope.cancel_called
    assert not scope.cancelled_caught


@case("test_cancelled_scope_based_checkpoint")
async def test_cancelled_scope_based_checkpoint(cx: CancellationAPI) -> None:
    """anyio#698: a checkpoint made of a cancelled scope in a cancelled scope (trio#860):
    the outer one catches."""
    reached = False
    with cx.CancelScope() as outer_scope:
        outer_scope.cancel()
        with cx.CancelScope() as inner_scope:
            inner_scope.cancel()
            await anyio.sleep_forever()
        reached = True
    assert not reached
    assert not inner_scope.cancelled_caught
    assert outer_scope.cancelled_caught


@case("test_cancelled_raises_beyond_origin_unshielded")
async def test_cancelled_raises_beyond_origin_unshielded(cx: CancellationAPI) -> None:
    """The inner scope's cancellation is unwinding when the outer one is cancelled: the
    outer one catches it."""
    reached: list[str] = []
    with cx.CancelScope() as outer_scope:
        with cx.CancelScope() as inner_scope:
            inner_scope.cancel()
            try:
                await anyio.lowlevel.checkpoint()
            finally:
                outer_scope.cancel()
            reached.append("after the checkpoint")
        reached.append("after the inner scope")
    assert reached == []
    assert not inner_scope.cancelled_caught
    assert outer_scope.cancelled_caught


@case("test_cancelled_raises_beyond_origin_shielded")
async def test_cancelled_raises_beyond_origin_shielded(cx: CancellationAPI) -> None:
    """The same with a shielded inner scope: it catches its own; the outer one is not
    considered to have caught anything."""
    code_between_scopes_was_run = False
    reached = False
    with cx.CancelScope() as outer_scope:
        with cx.CancelScope(shield=True) as inner_scope:
            inner_scope.cancel()
            try:
                await anyio.lowlevel.checkpoint()
            finally:
                outer_scope.cancel()
            reached = True
        code_between_scopes_was_run = True
    assert not reached
    assert code_between_scopes_was_run
    assert inner_scope.cancelled_caught
    assert not outer_scope.cancelled_caught


@case("test_shielding_immediate_scope_cancelled")
async def test_shielding_immediate_scope_cancelled(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    """A shielded scope cancelled from another task is cancelled."""
    sleep_completed = False

    async def cancel_when_ready(scope: CancelScopeLike) -> None:
        await anyio.wait_all_tasks_blocked()
        scope.cancel()

    async with api.TaskGroup() as tg:
        with cx.CancelScope(shield=True) as scope:
            tg.create_task(cancel_when_ready(scope))
            await anyio.sleep(0.5)
            sleep_completed = True
    assert not sleep_completed


@pytest.mark.differs
@case("test_shielding_mutate")
async def test_shielding_mutate(api: ConcurrencyAPI, cx: CancellationAPI, column: Column) -> None:
    """A child shields itself after a while, then its group is cancelled. Trio and
    AnyIO: its shielded sleep completes, and when it drops the shield it is cancelled.
    asyncio's TaskGroup cancels a child with a bare Task.cancel(), which no scope can
    refuse: the shielded sleep is interrupted."""
    completed = reached_end = False
    started = anyio.Event()

    async def task() -> None:
        nonlocal completed, reached_end
        with cx.CancelScope() as scope:
            await anyio.sleep(0.1)
            scope.shield = True
            started.set()
            await anyio.sleep(0.1)
            completed = True
            scope.shield = False
            await anyio.sleep(1)
        reached_end = True

    with cx.CancelScope() as group_scope:
        async with api.TaskGroup() as tg:
            tg.create_task(task())
            await started.wait()
            group_scope.cancel()
    assert not reached_end
    assert completed == expect(column, {"impl_asyncio": False, "impl_trio": True, "shared": True})


@case("test_cancel_scope_in_child_task")
async def test_cancel_scope_in_child_task(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """Cancelling a child's own scope leaves its group and host alone."""
    child_scopes: list[CancelScopeLike] = []

    async def child() -> None:
        with cx.CancelScope() as child_scope:
            child_scopes.append(child_scope)
            await anyio.sleep(2)

    host_done = False
    with cx.CancelScope() as group_scope:
        async with api.TaskGroup() as tg:
            tg.create_task(child())
            await anyio.wait_all_tasks_blocked()
            child_scopes[0].cancel()
            await anyio.sleep(0.1)
            host_done = True
    assert host_done
    assert child_scopes[0].cancelled_caught
    assert not group_scope.cancel_called


@case("test_cancelled_parent")
async def test_cancelled_parent(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """A task that would start a failing child in a cancelled group: no failure."""

    async def child() -> NoReturn:
        with cx.CancelScope():
            await anyio.sleep(1)
        raise Exception("foo")

    async def parent(tg: Any) -> None:
        await anyio.wait_all_tasks_blocked()
        tg.create_task(child())

    with cx.CancelScope() as group_scope:
        async with api.TaskGroup() as tg:
            tg.create_task(parent(tg))
            group_scope.cancel()
    assert group_scope.cancelled_caught


@case("test_shielded_deadline")
async def test_shielded_deadline(cx: CancellationAPI) -> None:
    """A shield hides the deadline of the scope around it (upstream reads the effective
    deadline; here the outer deadline passes during a shielded sleep)."""
    completed = False
    with (
        cx.move_on_after(0.01) as outer,
        cx.CancelScope(shield=True),
        cx.move_on_after(1000) as inner,
    ):
        await anyio.sleep(0.05)
        completed = True
    assert completed
    assert not inner.cancel_called
    assert not outer.cancelled_caught  # no checkpoint after the shield


@case("test_deadline_reached_on_start")
async def test_deadline_reached_on_start(cx: CancellationAPI) -> None:
    reached = False
    with cx.move_on_after(0) as scope:
        await anyio.lowlevel.checkpoint()
        reached = True
    assert not reached
    assert scope.cancelled_caught


@case("test_deadline_moved")
async def test_deadline_moved(cx: CancellationAPI) -> None:
    """A deadline moved later while the block runs: no TimeoutError."""
    with cx.fail_after(0.1) as scope:
        scope.deadline += 0.3
        await anyio.sleep(0.2)
    assert not scope.cancel_called


@case("test_timeout_error_with_multiple_cancellations")
async def test_timeout_error_with_multiple_cancellations(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    """The timeout cancels the host and its child: one TimeoutError, not a group."""
    with pytest.raises(TimeoutError), cx.fail_after(0.1):  # noqa: PT012
        async with api.TaskGroup() as tg:
            tg.create_task(anyio.sleep(2))
            await anyio.sleep(2)


@case("test_nested_fail_after")
async def test_nested_fail_after(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """An outer scope cancelled from another task: the inner fail_after does not raise."""
    reached: list[str] = []

    async def killer(scope: CancelScopeLike) -> None:
        await anyio.wait_all_tasks_blocked()
        scope.cancel()

    async with api.TaskGroup() as tg:
        with cx.CancelScope() as scope:
            with cx.CancelScope():
                tg.create_task(killer(scope))
                with cx.fail_after(1):
                    await anyio.sleep(2)
                    reached.append("in fail_after")
                reached.append("after fail_after")
            reached.append("after the middle scope")
    assert reached == []
    assert scope.cancel_called
    assert scope.cancelled_caught


@case("test_nested_shield")
async def test_nested_shield(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """Cancelled outside a shield, timed out inside it: the TimeoutError is what the
    group reports."""

    async def killer(scope: CancelScopeLike) -> None:
        await anyio.wait_all_tasks_blocked()
        scope.cancel()

    with pytest.raises(ExceptionGroup) as raised:  # noqa: PT012
        async with api.TaskGroup() as tg:
            with cx.CancelScope() as scope, cx.CancelScope(shield=True):
                tg.create_task(killer(scope))
                with cx.fail_after(0.2):
                    await anyio.sleep(2)
    assert len(raised.value.exceptions) == 1
    assert isinstance(raised.value.exceptions[0], TimeoutError)


@case("test_triple_nested_shield_checkpoint_in_outer")
async def test_triple_nested_shield_checkpoint_in_outer(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    """anyio#370: two scopes cancelled inside a shield; a checkpoint in the outer one
    after the shield is cancelled."""
    got_past_checkpoint = False

    async def taskfunc() -> None:
        nonlocal got_past_checkpoint
        with cx.CancelScope() as scope1:
            with cx.CancelScope() as scope2, cx.CancelScope(shield=True):
                scope1.cancel()
                scope2.cancel()
                await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            got_past_checkpoint = True

    async with api.TaskGroup() as tg:
        tg.create_task(taskfunc())
    assert not got_past_checkpoint


@case("test_triple_nested_shield_checkpoint_in_middle")
async def test_triple_nested_shield_checkpoint_in_middle(
    api: ConcurrencyAPI, cx: CancellationAPI
) -> None:
    got_past_checkpoint = False

    async def taskfunc() -> None:
        nonlocal got_past_checkpoint
        with cx.CancelScope() as scope1, cx.CancelScope():
            with cx.CancelScope(shield=True):
                scope1.cancel()
                await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            got_past_checkpoint = True

    async with api.TaskGroup() as tg:
        tg.create_task(taskfunc())
    assert not got_past_checkpoint


@case("test_escaping_cancelled_error_from_cancelled_task")
async def test_escaping_cancelled_error_from_cancelled_task(cx: CancellationAPI) -> None:
    """anyio#88: a scope cancelled after an inner timeout, with no checkpoint after:
    no cancellation escapes."""
    with cx.CancelScope() as scope:
        with cx.move_on_after(0.1):
            await anyio.sleep(1)
        scope.cancel()
    assert not scope.cancelled_caught


@case("test_cancelscope_wrong_exit_order")
async def test_cancelscope_wrong_exit_order(cx: CancellationAPI) -> None:
    scope1 = cx.CancelScope()
    scope2 = cx.CancelScope()
    scope1.__enter__()
    scope2.__enter__()
    with pytest.raises(RuntimeError):
        scope1.__exit__(None, None, None)
    # Put things right for the rest of this task (the test runner's). Trio and
    # impl_asyncio closed scope1 with the error; AnyIO's asyncio backend left it open.
    scope2.__exit__(None, None, None)
    with contextlib.suppress(RuntimeError):
        scope1.__exit__(None, None, None)


@case("test_cancelscope_exit_before_enter")
async def test_cancelscope_exit_before_enter(cx: CancellationAPI) -> None:
    scope = cx.CancelScope()
    with pytest.raises(RuntimeError):
        scope.__exit__(None, None, None)


@case("test_cancelscope_exit_in_wrong_task")
async def test_cancelscope_exit_in_wrong_task(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """Exiting a scope in a child task of the block raises RuntimeError. Upstream runs it
    on asyncio only: Trio takes the child for a task still inside the scope and closes
    the scope with the error (misnesting), so the block's own exit fails afterwards."""
    if column.on_trio:
        pytest.skip("upstream runs this case on asyncio only (Trio closes the scope)")

    async def exit_scope(scope: CancelScopeLike) -> None:
        scope.__exit__(None, None, None)

    with cx.CancelScope() as scope:
        with pytest.raises(ExceptionGroup) as raised:
            async with api.TaskGroup() as tg:
                tg.create_task(exit_scope(scope))
        assert [type(e) for e in raised.value.exceptions] == [RuntimeError]


@case("test_single_cancellation_exc")
async def test_single_cancellation_exc(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """Cancelled from outside, with no error inside: the group lets out the one
    cancellation, not a group of them."""
    raised: list[str] = []
    with cx.CancelScope() as outer:
        try:
            async with api.TaskGroup() as tg:
                tg.create_task(anyio.sleep(5))
                await anyio.wait_all_tasks_blocked()
                outer.cancel()
                await anyio.sleep(5)
        except BaseException as exc:
            raised.append("the cancellation" if cancelled(exc) else repr(exc))
            raise
    assert raised == ["the cancellation"]
    assert outer.cancelled_caught


@case("test_cancel_before_entering_task_group")
async def test_cancel_before_entering_task_group(api: ConcurrencyAPI, cx: CancellationAPI) -> None:
    """An empty task group in a cancelled scope is not a checkpoint."""
    with cx.CancelScope() as scope:
        scope.cancel()
        async with api.TaskGroup():
            pass
    assert not scope.cancelled_caught


@case("test_reraise_cancelled_in_excgroup")
async def test_reraise_cancelled_in_excgroup(cx: CancellationAPI) -> None:
    """A scope catches its cancellation inside an exception group too."""
    with cx.CancelScope() as scope:
        scope.cancel()
        try:
            await anyio.sleep_forever()
        except cancelled_exc() as exc:
            raise BaseExceptionGroup("", [exc]) from None
    assert scope.cancelled_caught


@pytest.mark.differs
@case("test_cancel_child_task_when_host_is_shielded")
async def test_cancel_child_task_when_host_is_shielded(
    api: ConcurrencyAPI, cx: CancellationAPI, column: Column
) -> None:
    """anyio#642: the scope around a group is cancelled while the host is shielded. Its
    children are inside that scope and are cancelled at once (Trio, AnyIO); an
    impl_asyncio scope reaches them only through the host, after the shield."""
    cancelled_event = anyio.Event()

    async def wait_cancel() -> None:
        try:
            await anyio.sleep_forever()
        except cancelled_exc():
            cancelled_event.set()
            raise

    with cx.CancelScope() as parent_scope:
        async with api.TaskGroup() as tg:
            tg.create_task(wait_cancel())
            await anyio.wait_all_tasks_blocked()
            with cx.CancelScope(shield=True), cx.move_on_after(0.5) as guard:
                parent_scope.cancel()
                await cancelled_event.wait()
    assert cancelled_event.is_set()
    child_cancelled_while_host_shielded = not guard.cancelled_caught
    assert child_cancelled_while_host_shielded == expect(
        column, {"impl_asyncio": False, "impl_trio": True, "shared": True}
    )


# -- TestUncancel: asyncio's Task.cancelling() after scopes (asyncio backends only) -----


def uncancel_case(name: str) -> pytest.MarkDecorator:
    return pytest.mark.upstream(f"anyio:tests/test_taskgroups.py::TestUncancel::{name}")


def _current_asyncio_task(column: Column) -> asyncio.Task[Any]:
    if column.on_trio:
        pytest.skip("Task.cancelling() is asyncio's; Trio has no such counter")
    task = asyncio.current_task()
    assert task is not None
    return task


@uncancel_case("test_uncancel_after_native_cancel")
async def test_uncancel_after_native_cancel(cx: CancellationAPI, column: Column) -> None:
    task = _current_asyncio_task(column)
    with pytest.raises(asyncio.CancelledError), cx.CancelScope():  # noqa: PT012
        task.cancel()
        await anyio.lowlevel.checkpoint()
    assert task.cancelling() == 1
    task.uncancel()


@uncancel_case("test_uncancel_after_scope_cancel")
async def test_uncancel_after_scope_cancel(cx: CancellationAPI, column: Column) -> None:
    task = _current_asyncio_task(column)
    with cx.CancelScope() as scope:
        scope.cancel()
        await anyio.lowlevel.checkpoint()
    assert task.cancelling() == 0


@uncancel_case("test_uncancel_after_scope_and_native_cancel")
async def test_uncancel_after_scope_and_native_cancel(cx: CancellationAPI, column: Column) -> None:
    task = _current_asyncio_task(column)
    with pytest.raises(asyncio.CancelledError), cx.CancelScope() as scope:  # noqa: PT012
        scope.cancel()
        task.cancel()
        await anyio.lowlevel.checkpoint()
    assert task.cancelling() == 1
    task.uncancel()


@uncancel_case("test_cancel_message_replaced")
async def test_cancel_message_replaced(cx: CancellationAPI, column: Column) -> None:
    """The scope's CancelledError re-raised as a new one, from it: still swallowed."""
    task = _current_asyncio_task(column)
    try:
        task.cancel()
        await anyio.lowlevel.checkpoint()
    except asyncio.CancelledError:
        try:
            with cx.CancelScope() as scope:
                scope.cancel()
                try:
                    await anyio.lowlevel.checkpoint()
                except asyncio.CancelledError as exc:
                    raise asyncio.CancelledError from exc
        except asyncio.CancelledError:
            pytest.fail("should have swallowed the CancelledError")
    finally:
        task.uncancel()


@uncancel_case("test_cancel_counter_nested_scopes")
async def test_cancel_counter_nested_scopes(cx: CancellationAPI, column: Column) -> None:
    task = _current_asyncio_task(column)
    with cx.CancelScope() as root_scope, cx.CancelScope():
        root_scope.cancel()
        await anyio.lowlevel.checkpoint()
    assert not task.cancelling()


@differs_before((3, 13))
@uncancel_case("test_uncancel_after_child_task_failed")
async def test_uncancel_after_child_task_failed(api: ConcurrencyAPI, column: Column) -> None:
    """A child fails after the block: the group cancels its host and must withdraw that
    request. The stdlib's asyncio.TaskGroup (impl_asyncio) does only from Python 3.13;
    on 3.11 and 3.12 the host is left with Task.cancelling() == 1 (checked on 3.11.7,
    3.12.1, 3.13.0). AnyIO's group withdraws it."""
    task = _current_asyncio_task(column)

    async def taskfunc() -> None:
        raise Exception("dummy error")

    with pytest.raises(ExceptionGroup) as raised:
        async with api.TaskGroup() as tg:
            tg.create_task(taskfunc())
    assert len(raised.value.exceptions) == 1
    assert str(raised.value.exceptions[0]) == "dummy error"
    left = task.cancelling()
    while task.cancelling():
        task.uncancel()  # the runner's task goes on to other tests
    assert left == expect(
        column,
        {
            "impl_asyncio": 1 if sys.version_info < (3, 13) else 0,
            "impl_trio": 0,  # skipped: not an asyncio task
            "shared": 0,
        },
    )


@uncancel_case("test_uncancel_cancelled_scope_based_checkpoint")
async def test_uncancel_cancelled_scope_based_checkpoint(
    cx: CancellationAPI, column: Column
) -> None:
    task = _current_asyncio_task(column)
    with cx.CancelScope() as outer_scope:
        outer_scope.cancel()
        try:
            with cx.CancelScope() as inner_scope:
                inner_scope.cancel()
                await anyio.sleep_forever()
        finally:
            assert isinstance(sys.exc_info()[1], asyncio.CancelledError)
            assert task.cancelling()
    assert not task.cancelling()
