"""The tour's executor scenarios: blocking work on a thread, in every column."""

from __future__ import annotations

import contextvars
import threading

from rosetta.tour.scenarios import (
    Env,
    Outcome,
    asyncio_only,
    describe_exception,
    scenario,
    until,
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
    await env.within(1, until(env, lambda: "callback" in seen))
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
    group=asyncio_only,
)
async def _executor_context(env: Env) -> Outcome:
    token = _REQUEST_ID.set("set by the task")
    try:
        fut = env.api.run_in_executor(None, _REQUEST_ID.get, "<not set>")
        return f"function sees {await fut!r}"
    finally:
        _REQUEST_ID.reset(token)
