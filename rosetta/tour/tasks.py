"""The tour's Task scenarios: create_task, ensure_future, gather, in every column."""

from __future__ import annotations

from typing import Any

from rosetta.tour.scenarios import (
    ASIDES,
    Aside,
    Env,
    Outcome,
    asyncio_only,
    describe_exception,
    future_state,
    on_trio,
    scenario,
    until,
    until_done,
)

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
    group=on_trio,
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
    return [f"a: {future_state(doomed)}", f"b: {future_state(sibling)} → {sibling.result()!r}"]


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
    group=asyncio_only,
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
    group=asyncio_only,
)
async def _gather_failure(env: Env) -> Outcome:
    state: dict[str, str] = {}
    release = env.api.Future()  # lets leftover work finish, so nothing outlives the scenario

    async def slow(name: str) -> None:
        state[name] = "running"
        try:
            await env.within(5, until_done(env, release))
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
        await env.within(1, until(env, lambda: "running" not in state.values()))
    return events


def _ensure_list_lines() -> list[str]:
    from common.listify import ensure_list

    xs = [1, 2]
    return [
        f"ensure_list(xs) is xs → {ensure_list(xs) is xs}",
        f"ensure_list(5) → {ensure_list(5)!r}",
        f"ensure_list((1, 2)) → {ensure_list((1, 2))!r}",
        f"ensure_list('ab') → {ensure_list('ab')!r}",
        "like ensure_future: the target type passes through, anything else is converted.",
    ]


ASIDES.append(
    Aside("tasks", "3-19 common.listify.ensure_list, ensure_future's analogy", _ensure_list_lines)
)
