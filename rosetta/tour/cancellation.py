"""The tour's cancellation scenarios: edge-triggered asyncio against level-triggered scopes.

Registered into :data:`rosetta.tour.scenarios.SCENARIOS` on import (``tour``
imports this module), with the same ``@scenario`` decorator and the same rules:
each is written once against the column's package, and reports the exception
*type* of a cancellation, since asyncio, Trio and AnyIO name theirs differently.
Every cancellation a scenario provokes is caught inside it (by a scope, a task
group or an ``except``): one escaping would cancel the tour itself.
"""

from __future__ import annotations

import math
from typing import Any

from rosetta.tour.scenarios import Env, Outcome, asyncio_only, describe_exception, scenario

CONCEPT = "cancellation"


def _cancelled(env: Env) -> type[BaseException]:
    """The exception a cancelled coroutine sees in this column."""
    return env.column.cancelled_exc_class()


def _state(task: Any) -> str:
    if task.cancelled():
        return "cancelled"
    return f"finished → {task.result()!r}" if task.done() else "pending"


@scenario(
    CONCEPT,
    "finally runs when a timeout cancels",
    "move_on_after(0.01) around a long sleep: the sleep is cancelled, the finally block "
    "runs, and execution moves on after the block.",
)
async def _finally_runs(env: Env) -> Outcome:
    events: list[str] = []
    with env.api.move_on_after(0.01) as scope:
        try:
            await env.sleep(10)
        finally:
            events.append("finally ran")
    events.append(f"cancelled_caught → {scope.cancelled_caught}")
    return events


@scenario(
    CONCEPT,
    "an await in the cleanup of a cancelled task",
    "asyncio's one CancelledError is spent by the time finally runs, so the await there "
    "completes. Trio and shared keep the task cancelled: the await raises again.",
    group=asyncio_only,
)
async def _await_in_cleanup(env: Env) -> Outcome:
    events: list[str] = []
    cancelled = _cancelled(env)

    async def worker() -> None:
        try:
            await env.sleep(10)
        finally:
            try:
                await env.sleep(0.001)
                events.append("cleanup await completed")
            except cancelled as exc:
                events.append(f"cleanup await raised {type(exc).__name__}")
                raise

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await env.sleep(0.01)
        task.cancel()
    return [*events, f"task: {_state(task)}"]


@scenario(
    CONCEPT,
    "the same cleanup await, through shielded()",
    "shielded(aw) protects the cleanup everywhere: a new task behind asyncio.shield in "
    "asyncio, CancelScope(shield=True) in Trio and AnyIO.",
)
async def _shielded_cleanup_await(env: Env) -> Outcome:
    events: list[str] = []

    async def cleanup() -> str:
        await env.sleep(0.001)
        return "cleanup await completed"

    async def worker() -> None:
        try:
            await env.sleep(10)
        finally:
            events.append(await env.api.shielded(cleanup()))

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await env.sleep(0.01)
        task.cancel()
    return [*events, f"task: {_state(task)}"]


@scenario(
    CONCEPT,
    "a task catches its cancellation and goes on",
    "asyncio: caught means over, the task runs to its end. Trio and shared: the task's "
    "scope is still cancelled, so the next checkpoint raises again.",
    group=asyncio_only,
)
async def _swallow_task(env: Env) -> Outcome:
    events: list[str] = []
    cancelled = _cancelled(env)

    async def stubborn() -> str:
        try:
            await env.sleep(10)
        except cancelled:
            events.append("caught and swallowed")
        try:
            await env.sleep(0.001)
        except cancelled:
            events.append("next await: cancelled again")
            raise
        events.append("next await: kept running")
        return "done"

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(stubborn())
        await env.sleep(0.01)
        task.cancel()
    return [*events, f"task: {_state(task)}"]


@scenario(
    CONCEPT,
    "a block catches its timeout and goes on",
    "The same inside move_on_after: impl_asyncio's scope cancels once, like asyncio.timeout; "
    "Trio's and AnyIO's raise at every checkpoint until the block ends.",
    group=asyncio_only,
)
async def _swallow_block(env: Env) -> Outcome:
    events: list[str] = []
    cancelled = _cancelled(env)
    with env.api.move_on_after(0.01) as scope:
        try:
            await env.sleep(10)
        except cancelled:
            events.append("caught and swallowed")
        try:
            await env.sleep(0.001)
            events.append("next await: kept running")
        except cancelled:
            events.append("next await: cancelled again")
            raise
    return [*events, f"cancelled_caught → {scope.cancelled_caught}"]


@scenario(
    CONCEPT,
    "nested timeouts: the outer fires first",
    "fail_after(0.01) around fail_after(10): the outer deadline passes while the inner is "
    "pending. The outer scope catches the cancellation and raises; the inner sees it pass.",
)
async def _nested(env: Env) -> Outcome:
    try:
        with env.api.fail_after(0.01) as outer, env.api.fail_after(10) as inner:
            await env.sleep(10)
    except TimeoutError as exc:
        raised = f"raises {describe_exception(exc, message=False)}"
    else:
        raised = "no exception"
    return [
        raised,
        f"caught by: outer {outer.cancelled_caught}, inner {inner.cancelled_caught}",
    ]


@scenario(
    CONCEPT,
    "a timeout fires during a shielded cleanup",
    "The cleanup finishes in every column. asyncio then raises its one CancelledError out "
    "of shielded() (the result is dropped); Trio and shared return the result and cancel "
    "at the next checkpoint.",
    group=asyncio_only,
)
async def _shielded_under_timeout(env: Env) -> Outcome:
    events: list[str] = []
    cancelled = _cancelled(env)

    async def cleanup() -> str:
        await env.sleep(0.05)
        events.append("cleanup finished")
        return "cleaned"

    with env.api.move_on_after(0.01) as scope:
        try:
            events.append(f"shielded() returned {await env.api.shielded(cleanup())!r}")
            await env.sleep(0)
            events.append("next checkpoint passed")
        except cancelled as exc:
            events.append(f"then {type(exc).__name__}")
            raise
    return [*events, f"cancelled_caught → {scope.cancelled_caught}"]


@scenario(
    CONCEPT,
    "CancelScope(shield=True) against task.cancel()",
    "asyncio cannot refuse a Task.cancel(): impl_asyncio's shield holds back only the "
    "scopes around it. Trio and AnyIO shield the block from the task's cancellation.",
    group=asyncio_only,
)
async def _shield_vs_task_cancel(env: Env) -> Outcome:
    events: list[str] = []
    cancelled = _cancelled(env)

    async def worker() -> None:
        with env.api.CancelScope(shield=True):
            try:
                await env.sleep(0.03)
                events.append("shielded sleep finished")
            except cancelled:
                events.append("shielded sleep interrupted")
                raise

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(worker())
        await env.sleep(0.005)
        task.cancel()
    return [*events, f"task: {_state(task)}"]


@scenario(
    CONCEPT,
    "cancel a task group whose children fail in cleanup",
    "The timeout cancels the group; the group cancels both children; their finally blocks "
    "raise, and the errors come out together as one ExceptionGroup.",
)
async def _group_errors(env: Env) -> Outcome:
    cleaned: list[str] = []

    async def child(name: str) -> None:
        try:
            await env.sleep(10)
        finally:
            cleaned.append(name)
            raise RuntimeError(f"{name} failed")

    try:
        with env.api.move_on_after(0.01):
            async with env.api.TaskGroup() as tg:
                tg.create_task(child("a"))
                tg.create_task(child("b"))
    except ExceptionGroup as group:
        raised = f"raises {describe_exception(group, message=False)}"
    else:
        raised = "no exception"
    return [f"finally ran in: {', '.join(sorted(cleaned))}", raised]


@scenario(
    CONCEPT,
    "a result arrives together with the cancel",
    "The Future gets its result and the waiting task is cancelled in the same step. "
    "Python 3.11's wait_for returns the result and loses the cancellation (gh-86296); "
    "Trio and shared return it too, then cancel at the next checkpoint.",
    group=asyncio_only,
)
async def _result_and_cancel(env: Env) -> Outcome:
    events: list[str] = []
    cancelled = _cancelled(env)
    fut = env.api.Future()

    async def waiter() -> str:
        events.append(f"wait_for returned {await env.api.wait_for(fut, 10)!r}")
        try:
            await env.sleep(0.001)
        except cancelled:
            events.append("next await: cancelled")
            raise
        events.append("next await: kept running")
        return "done"

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(waiter())
        await env.sleep(0.01)
        fut.set_result(42)
        task.cancel()
    return [*events, f"task: {_state(task)}"]


@scenario(
    CONCEPT,
    "a task cancelled before it first runs",
    "asyncio throws CancelledError in before the first line: nothing runs, not even "
    "finally. Trio and shared start it in a cancelled scope: it runs to its first "
    "checkpoint, is cancelled there, and finally runs.",
    group=asyncio_only,
)
async def _cancel_before_start(env: Env) -> Outcome:
    events: list[str] = []

    async def worker() -> None:
        events.append("first line ran")
        try:
            await env.sleep(10)
        finally:
            events.append("finally ran")

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(worker())
        task.cancel()
    return [*(events or ["nothing ran"]), f"task: {_state(task)}"]


@scenario(
    CONCEPT,
    "wait_for(coro, 0), coro never suspends",
    "asyncio's wait_for runs a coroutine in a new task and, at 0, cancels it before it "
    "starts. Trio and shared await it in the caller's task: no checkpoint, no cancel.",
    group=asyncio_only,
)
async def _wait_for_zero(env: Env) -> Outcome:
    ran: list[str] = []

    async def instant() -> str:
        ran.append("coroutine ran")
        return "result"

    try:
        outcome = f"returns {await env.api.wait_for(instant(), 0)!r}"
    except TimeoutError as exc:
        outcome = f"raises {describe_exception(exc, message=False)}"
    return [*(ran or ["coroutine never ran"]), outcome]


@scenario(
    CONCEPT,
    "wait_for(future, 0.01) times out",
    "asyncio's wait_for cancels what it waited for; Trio and shared only stop waiting, "
    "and the Future stays pending for anyone else.",
    group=asyncio_only,
)
async def _wait_for_future(env: Env) -> Outcome:
    fut = env.api.Future()
    try:
        await env.api.wait_for(fut, 0.01)
    except TimeoutError as exc:
        raised = f"raises {describe_exception(exc, message=False)}"
    else:
        raised = "returned"
    state = "cancelled" if fut.cancelled() else "pending"
    fut.cancel()
    return [raised, f"the future: {state}"]


@scenario(
    CONCEPT,
    "fail_after, then scope.cancel() by hand",
    "Only the deadline makes fail_after raise, as with asyncio.timeout and AnyIO's "
    "fail_after; impl_trio follows them (Trio's own fail_after would raise TooSlowError).",
)
async def _fail_after_by_hand(env: Env) -> Outcome:
    try:
        with env.api.fail_after(10) as scope:
            scope.cancel()
            await env.sleep(10)
    except TimeoutError as exc:
        return f"raises {describe_exception(exc, message=False)}"
    return f"moves on (cancelled_caught → {scope.cancelled_caught})"


@scenario(
    CONCEPT,
    "move_on_after(0) and move_on_after(math.inf)",
    "0 is legal and already expired: the block runs up to its first checkpoint. "
    "math.inf never expires.",
)
async def _zero_and_inf(env: Env) -> Outcome:
    events: list[str] = []
    with env.api.move_on_after(0) as zero:
        events.append("0: ran up to the first checkpoint")
        await env.sleep(10)
        events.append("0: not reached")
    with env.api.move_on_after(math.inf) as never:
        await env.sleep(0.01)
    events.append(f"cancelled_caught: 0 → {zero.cancelled_caught}, inf → {never.cancelled_caught}")
    return events


@scenario(
    CONCEPT,
    "bad timeouts",
    "A negative or NaN number of seconds is a ValueError, anything not a number a "
    "TypeError; each message names the accepted range.",
)
async def _bad_timeouts(env: Env) -> Outcome:
    lines: list[str] = []
    for value in (-1, math.nan, "1", None):
        try:
            env.api.move_on_after(value)
        except (TypeError, ValueError) as exc:
            lines.append(f"move_on_after({value!r}) → {type(exc).__name__}")
        else:
            lines.append(f"move_on_after({value!r}) accepted")
    try:
        env.api.move_on_after(-1)
    except ValueError as exc:
        lines.append(f"message: {str(exc).split(';')[0]}")
    return lines
