"""The tour's scenarios: each written once, against whichever package a column runs.

A scenario is an ``async def`` taking an :class:`Env` and returning a short string
or a list of events. It uses only ``env.api`` (the column's package) plus
``env.sleep`` / ``env.within``, which pick the package's own idiom for sleeping
and timing out. An exception escaping a scenario is a result too: the tour shows
it in the cell.

Scenarios catch the exceptions they expect and report only the type when the
packages word the message differently; a message is no behaviour.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

import anyio
import trio

from rosetta.columns import Column

__all__ = ["ASIDES", "SCENARIOS", "Aside", "Env", "Outcome", "Scenario", "describe_exception"]

T = TypeVar("T")

Outcome = str | list[str]


@dataclass(frozen=True)
class Env:
    """What a scenario runs against: a column's package and its native sleep and timeout."""

    column: Column

    @property
    def api(self) -> ModuleType:
        return self.column.api

    async def sleep(self, seconds: float) -> None:
        if self.column.package == "impl_asyncio":
            await asyncio.sleep(seconds)
        elif self.column.package == "impl_trio":
            await trio.sleep(seconds)
        else:
            await anyio.sleep(seconds)

    async def within(self, seconds: float, aw: Awaitable[T]) -> T:
        """Await *aw*; raise :exc:`TimeoutError` if it takes longer than *seconds*."""
        if self.column.package == "impl_asyncio":
            async with asyncio.timeout(seconds):
                return await aw
        if self.column.package == "impl_trio":
            try:
                with trio.fail_after(seconds):
                    return await aw
            except trio.TooSlowError:
                raise TimeoutError(f"timed out after {seconds} s") from None
        with anyio.fail_after(seconds):
            return await aw


def _asyncio_only(column: Column) -> bool:
    return column.package == "impl_asyncio"


def _on_trio(column: Column) -> bool:
    return column.backend == "trio"


def _never(column: Column) -> bool:
    return False


@dataclass(frozen=True)
class Scenario:
    """One behaviour, run in every column."""

    concept: str
    title: str
    explanation: str  # one line: what to look at, and why columns differ if they do
    fn: Callable[[Env], Awaitable[Outcome]]
    # Columns fall into two groups; the tour expects cells to differ exactly between groups.
    # The default: every column behaves like asyncio.
    group: Callable[[Column], bool] = field(default=_never)
    seconds: float = 2.0  # the per-scenario timeout: a hung scenario is a result, not a hang


@dataclass(frozen=True)
class Aside:
    """A concept's note that involves no event loop, shown once under its table."""

    concept: str
    title: str
    lines: Callable[[], list[str]]


def describe_exception(exc: BaseException, *, message: bool = True) -> str:
    """``TypeName: message``; a group names its members' types."""
    name = type(exc).__name__
    if isinstance(exc, BaseExceptionGroup):
        name += "[" + ", ".join(type(e).__name__ for e in exc.exceptions) + "]"
        text = exc.message
    else:
        text = str(exc)
    return f"{name}: {text}" if message and text else name


def _state(fut: Any) -> str:
    if fut.cancelled():
        return "cancelled"
    return "done" if fut.done() else "pending"


SCENARIOS: list[Scenario] = []
ASIDES: list[Aside] = []


def scenario(
    concept: str,
    title: str,
    explanation: str,
    *,
    group: Callable[[Column], bool] = _never,
    seconds: float = 2.0,
) -> Callable[[Callable[[Env], Awaitable[Outcome]]], Callable[[Env], Awaitable[Outcome]]]:
    """Register the decorated function as a scenario; the order of definition is the order shown."""

    def register(fn: Callable[[Env], Awaitable[Outcome]]) -> Callable[[Env], Awaitable[Outcome]]:
        SCENARIOS.append(Scenario(concept, title, explanation, fn, group, seconds))
        return fn

    return register


# -- futures ---------------------------------------------------------------------------------


@scenario("futures", "3-15 a new Future", "Nothing has settled it yet, so it is not done.")
async def _new_future(env: Env) -> Outcome:
    fut = env.api.Future()
    return f"done() → {fut.done()}"


@scenario(
    "futures",
    "await a Future nobody resolves",
    "It would wait forever, so a 0.1 s timeout stops it. The timeout cancels the waiting "
    "task; only asyncio passes that on to the awaited Future.",
    group=_asyncio_only,
)
async def _unresolved(env: Env) -> Outcome:
    fut = env.api.Future()
    try:
        value = await env.within(0.1, fut)
    except TimeoutError:
        return ["still pending after 0.1 s", f"then the future: {_state(fut)}"]
    return f"got {value!r}"


@scenario(
    "futures",
    "3-16 resolved by another task",
    "main awaits first; the other task sleeps, then sets the result, which wakes main.",
)
async def _resolved_by_task(env: Env) -> Outcome:
    events: list[str] = []
    fut = env.api.Future()

    async def resolve() -> None:
        events.append("resolver sleeps")
        await env.sleep(0.01)
        fut.set_result("hello")
        events.append("resolver: set_result")

    async with env.api.TaskGroup() as tg:
        tg.create_task(resolve())
        events.append("main awaits")
        value = await fut
        events.append(f"main got {value!r}")
    return events


@scenario("futures", "result() while pending", "There is no result yet to return.")
async def _result_pending(env: Env) -> Outcome:
    fut = env.api.Future()
    return f"{fut.result()!r}"  # raises: the cell shows the exception


@scenario(
    "futures",
    "set_result twice",
    "A Future settles once; the first result stays.",
)
async def _set_twice(env: Env) -> Outcome:
    fut = env.api.Future()
    fut.set_result(1)
    try:
        fut.set_result(2)
    except env.api.InvalidStateError as exc:
        second = f"raises {describe_exception(exc, message=False)}"
    else:
        second = "accepted"
    return [f"2nd set_result {second}", f"result() → {fut.result()!r}"]


@scenario(
    "futures",
    "cancel(), cancel(), result()",
    "Cancelling settles the future: True the first time, False once it is done.",
)
async def _cancel(env: Env) -> Outcome:
    fut = env.api.Future()
    first, second = fut.cancel(), fut.cancel()
    try:
        fut.result()
    except env.api.CancelledError as exc:
        result = f"raises {describe_exception(exc)}"
    else:
        result = "returned"
    return [f"cancel() → {first}, then {second}", f"cancelled() → {fut.cancelled()}", result]


@scenario(
    "futures",
    "done callbacks: when, with what",
    "set_result only schedules callbacks; the loop runs them later, each given the future.",
)
async def _callbacks(env: Env) -> Outcome:
    events: list[str] = []
    fut = env.api.Future()
    fut.add_done_callback(lambda f: events.append(f"callback 1 (arg is fut: {f is fut})"))
    fut.add_done_callback(lambda f: events.append(f"callback 2 (arg is fut: {f is fut})"))
    fut.set_result(1)
    events.append("set_result returned")
    await env.within(1, _until(env, lambda: len(events) == 3))
    return events


@scenario(
    "futures",
    "remove_done_callback",
    "Removes every registration of the function and says how many there were.",
)
async def _remove_callback(env: Env) -> Outcome:
    ran: list[str] = []

    def a(_: object) -> None:
        ran.append("a")

    def b(_: object) -> None:
        ran.append("b")

    fut = env.api.Future()
    fut.add_done_callback(a)
    fut.add_done_callback(b)
    fut.add_done_callback(a)
    removed = fut.remove_done_callback(a)
    fut.set_result(None)
    await env.sleep(0.01)
    return [f"remove(a) → {removed}", f"ran: {', '.join(ran) or 'none'}"]


@scenario(
    "futures",
    "cancel a task awaiting a Future",
    "asyncio cancels the awaited Future too; Trio and shared leave it pending: other "
    "waiters may still want its value.",
    group=_asyncio_only,
)
async def _cancel_waiter(env: Env) -> Outcome:
    fut = env.api.Future()

    async def wait() -> None:
        await fut

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(wait())
        await env.sleep(0.01)
        task.cancel()
    return [f"task: {_state(task)}", f"future: {_state(fut)}"]


# -- tasks -----------------------------------------------------------------------------------


async def _answer(env: Env, value: Any = 42, delay: float = 0.0) -> Any:
    await env.sleep(delay)
    return value


@scenario("tasks", "a Task is a Future", "Task subclasses Future in every package.")
async def _task_is_future(env: Env) -> Outcome:
    async with env.api.TaskGroup() as tg:
        task = tg.create_task(_answer(env))
    return f"is a Future: {isinstance(task, env.api.Future)}"


@scenario(
    "tasks",
    "3-17 task.set_result()",
    "Only the coroutine decides a task's result. asyncio has refused since Python 3.7 "
    "(bpo-32363), not 3.8 as the source text says.",
)
async def _task_set_result(env: Env) -> Outcome:
    async with env.api.TaskGroup() as tg:
        task = tg.create_task(_answer(env))
        try:
            task.set_result(0)
        except RuntimeError as exc:
            refused = f"raises {describe_exception(exc)}"
        else:
            refused = "accepted"
    return [refused, f"result() → {task.result()!r}"]


@scenario(
    "tasks",
    "3-17 task.cancel()",
    "The coroutine sees its backend's cancellation at its await and its finally runs; "
    "awaiting the task then raises CancelledError.",
    group=_on_trio,
)
async def _task_cancel(env: Env) -> Outcome:
    events: list[str] = []

    async def victim() -> None:
        try:
            await env.sleep(10)
        except BaseException as exc:  # to show which exception the backend raises; re-raised
            events.append(f"inside: {type(exc).__name__}")
            raise
        finally:
            events.append("finally ran")

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(victim())
        await env.sleep(0.01)
        events.append(f"cancel() → {task.cancel()}")
        try:
            await task
        except env.api.CancelledError as exc:
            events.append(f"await: {describe_exception(exc)}")
    return events


@scenario(
    "tasks",
    "cancel one of two tasks",
    "Cancellation is per task: the sibling finishes normally.",
)
async def _cancel_sibling(env: Env) -> Outcome:
    async with env.api.TaskGroup() as tg:
        doomed = tg.create_task(_answer(env, "a", 10))
        sibling = tg.create_task(_answer(env, "b", 0.02))
        await env.sleep(0.005)
        doomed.cancel()
    return [f"a: {_state(doomed)}", f"b: {_state(sibling)} → {sibling.result()!r}"]


@scenario(
    "tasks",
    "3-18 ensure_future(task)",
    "A Future or Task is passed through unchanged.",
)
async def _ensure_task(env: Env) -> Outcome:
    async with env.api.TaskGroup() as tg:
        task = tg.create_task(_answer(env))
        same = env.api.ensure_future(task) is task
    return f"same object: {same}"


@scenario(
    "tasks",
    "3-18 ensure_future(coro, task_group=tg)",
    "A coroutine is wrapped in a new Task of the group, as tg.create_task would.",
)
async def _ensure_coro_group(env: Env) -> Outcome:
    async with env.api.TaskGroup() as tg:
        task = env.api.ensure_future(_answer(env), task_group=tg)
    return [f"a Task: {isinstance(task, env.api.Task)}", f"result() → {task.result()!r}"]


@scenario(
    "tasks",
    "3-18 ensure_future(coro)",
    "asyncio makes an ungrouped task nothing waits for; in Trio and AnyIO every task "
    "needs a nursery or task group, so it is refused (and the coroutine closed).",
    group=_asyncio_only,
)
async def _ensure_coro_alone(env: Env) -> Outcome:
    try:
        task = env.api.ensure_future(_answer(env))
    except RuntimeError as exc:
        return f"raises {describe_exception(exc, message=False)}"
    value = await task  # an ungrouped task: nobody else would await it
    return [f"ungrouped {type(task).__name__}", f"result → {value!r}"]


@scenario("tasks", "ensure_future(42)", "Not awaitable: nothing to wrap.")
async def _ensure_int(env: Env) -> Outcome:
    try:
        env.api.ensure_future(42)
    except TypeError as exc:
        return f"raises {describe_exception(exc, message=False)}"
    return "accepted"


@scenario(
    "tasks",
    "gather(coro, task, future)",
    "Whatever order they finish in, results come back in argument order.",
)
async def _gather_mixed(env: Env) -> Outcome:
    finished: list[str] = []

    async def take(name: str, delay: float) -> str:
        await env.sleep(delay)
        finished.append(name)
        return name

    async with env.api.TaskGroup() as tg:
        fut = env.api.Future()
        fut.add_done_callback(lambda _: finished.append("future"))
        task = tg.create_task(take("task", 0.03))

        async def resolve() -> None:
            await env.sleep(0.01)
            fut.set_result("future")

        tg.create_task(resolve())
        results = await env.api.gather(take("coro", 0.05), task, fut)
    return [f"finished: {', '.join(finished)}", f"results: {results!r}"]


@scenario(
    "tasks",
    "gather(..., return_exceptions=True)",
    "An exception takes its awaitable's place in the results instead of being raised.",
)
async def _gather_return_exceptions(env: Env) -> Outcome:
    async def fail() -> None:
        raise ValueError("boom")

    results = await env.api.gather(_answer(env, 1), fail(), return_exceptions=True)
    return [f"[{index}] {result!r}" for index, result in enumerate(results)]


@scenario(
    "tasks",
    "gather: one fails, then?",
    "gather raises the error in every package. asyncio leaves the others running; "
    "Trio's and shared's gather cancel them first.",
    group=_asyncio_only,
)
async def _gather_failure(env: Env) -> Outcome:
    state: dict[str, str] = {}
    release = env.api.Future()  # lets leftover work finish, so nothing outlives the scenario

    async def slow(name: str) -> None:
        state[name] = "running"
        try:
            await env.within(5, _until_done(env, release))
        except BaseException:
            state[name] = "cancelled"
            raise
        state[name] = "finished"

    async def fail() -> None:
        await env.sleep(0.01)
        raise ValueError("boom")

    events: list[str] = []
    async with env.api.TaskGroup() as tg:
        task = tg.create_task(slow("task"))
        try:
            await env.api.gather(slow("coro"), task, fail())
        except ValueError as exc:
            events.append(f"gather raises {describe_exception(exc)}")
        await env.sleep(0.01)
        events.extend(f"{name}: {state[name]}" for name in ("coro", "task"))
        # asyncio's leftovers are still running; release them and wait until they end.
        release.set_result(None)
        await env.within(1, _until(env, lambda: "running" not in state.values()))
    return events


async def _until_done(env: Env, fut: Any) -> None:
    # Poll instead of awaiting: on asyncio, cancelling a waiter would cancel the Future too.
    await _until(env, fut.done)


async def _until(env: Env, condition: Callable[[], bool]) -> None:
    while not condition():
        await env.sleep(0.002)


def _ensure_list_lines() -> list[str]:
    from shared import ensure_list

    xs = [1, 2]
    return [
        f"ensure_list(xs) is xs → {ensure_list(xs) is xs}",
        f"ensure_list(5) → {ensure_list(5)!r}",
        f"ensure_list((1, 2)) → {ensure_list((1, 2))!r}",
        f"ensure_list('ab') → {ensure_list('ab')!r}",
        "like ensure_future: the target type passes through, anything else is converted.",
    ]


ASIDES.append(
    Aside("tasks", "3-19 shared.ensure_list, ensure_future's analogy", _ensure_list_lines)
)


# -- executors -------------------------------------------------------------------------------


@scenario(
    "executors",
    "run_in_executor returns",
    "A Future, not a Task: a function runs, no coroutine.",
)
async def _executor_returns(env: Env) -> Outcome:
    fut = env.api.run_in_executor(None, lambda: 42)
    kinds = f"Future: {isinstance(fut, env.api.Future)}, Task: {isinstance(fut, env.api.Task)}"
    return [kinds, f"await → {await fut!r}"]


@scenario(
    "executors",
    "which thread does what",
    "The function runs on a worker thread; the loop's thread settles the Future and so "
    "runs its done callbacks.",
)
async def _executor_threads(env: Env) -> Outcome:
    loop_thread = threading.get_ident()
    seen: dict[str, int] = {}

    def work() -> None:
        seen["function"] = threading.get_ident()

    def settled(_: object) -> None:
        seen["callback"] = threading.get_ident()

    fut = env.api.run_in_executor(None, work)
    fut.add_done_callback(settled)
    await fut
    await env.within(1, _until(env, lambda: "callback" in seen))
    return [
        f"{what}: {'loop' if ident == loop_thread else 'worker'} thread"
        for what, ident in seen.items()
    ]


@scenario(
    "executors",
    "function raises",
    "The exception is stored in the Future and raised where it is awaited.",
)
async def _executor_raises(env: Env) -> Outcome:
    def work() -> None:
        raise ValueError("from the worker")

    fut = env.api.run_in_executor(None, work)
    try:
        await fut
    except ValueError as exc:
        return [
            f"await raises {describe_exception(exc)}",
            f"exception() is it: {fut.exception() is exc}",
        ]
    return "no exception"


_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("tour_request_id")


@scenario(
    "executors",
    "a ContextVar set in the task",
    "asyncio's run_in_executor runs the function in the worker's own context; Trio and "
    "shared copy the caller's, as to_thread does.",
    group=_asyncio_only,
)
async def _executor_context(env: Env) -> Outcome:
    token = _REQUEST_ID.set("set by the task")
    try:
        fut = env.api.run_in_executor(None, _REQUEST_ID.get, "<not set>")
        return f"function sees {await fut!r}"
    finally:
        _REQUEST_ID.reset(token)
