"""The tour's Future scenarios: a result that arrives later, in every column."""

from __future__ import annotations

from rosetta.tour.scenarios import (
    Env,
    Outcome,
    asyncio_only,
    describe_exception,
    future_state,
    scenario,
    until,
)

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
    group=asyncio_only,
)
async def _unresolved(env: Env) -> Outcome:
    fut = env.api.Future()
    try:
        value = await env.within(0.1, fut)
    except TimeoutError:
        return ["still pending after 0.1 s", f"then the future: {future_state(fut)}"]
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
    await env.within(1, until(env, lambda: len(events) == 3))
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
    group=asyncio_only,
)
async def _cancel_waiter(env: Env) -> Outcome:
    fut = env.api.Future()

    async def wait() -> None:
        await fut

    async with env.api.TaskGroup() as tg:
        task = tg.create_task(wait())
        await env.sleep(0.01)
        task.cancel()
    return [f"task: {future_state(task)}", f"future: {future_state(fut)}"]
