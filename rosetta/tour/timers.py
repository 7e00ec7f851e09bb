"""The tour's timer scenarios: ActionScript's Timer and JavaScript's setInterval, structured.

Registered into :data:`rosetta.tour.scenarios.SCENARIOS` on import (``tour``
imports this module), with the same ``@scenario`` decorator and the same rules.
They run on the real clock, so every figure that depends on how busy the machine
is becomes a yes/no against a generous bound (a cell is compared as text), and
the periods leave 10 ms or more between a deadline and the event it races.
"""

from __future__ import annotations

from typing import Any

from rosetta.columns import Column
from rosetta.tour.scenarios import ASIDES, Aside, Env, Outcome, describe_exception, scenario

CONCEPT = "timers"


def _uvloop(column: Column) -> bool:
    return column.uvloop


def _now(env: Env) -> float:
    """The clock the column's timers schedule on."""
    return env.column.now()


@scenario(
    CONCEPT,
    "Timer(0.02, 3): AS3's new Timer(20, 3)",
    "TIMER three times, 20 ms apart, then TIMER_COMPLETE, in which the timer is no "
    "longer running. The group's async with waits for the timer, as for any task.",
)
async def _as3_timer(env: Env) -> Outcome:
    events: list[str] = []
    async with env.api.TaskGroup() as tg:
        timer = env.api.Timer(
            0.02,
            3,
            task_group=tg,
            on_timer=lambda tick: events.append(f"TIMER {tick.count}"),
            on_timer_complete=lambda t: events.append(f"TIMER_COMPLETE (running: {t.running})"),
        )
        timer.start()
    return events


@scenario(
    CONCEPT,
    "sleep loop vs Timer: 25 ticks of 10 ms, 2 ms of work each",
    "The loop sleeps 10 ms after each 2 ms of work, so every tick adds 2 ms or more; the "
    "Timer's deadlines are start + n·10 ms, so its last tick is late by one wake-up only.",
    seconds=3.0,
)
async def _drift(env: Env) -> Outcome:
    period, work, ticks = 0.01, 0.002, 25
    start = _now(env)
    for _ in range(ticks):
        await env.sleep(work)
        await env.sleep(period)
    naive = _now(env) - start - ticks * period

    last: list[tuple[int, float]] = []

    async def tick_work(tick: Any) -> None:
        last[:] = [(tick.count, _now(env) - tick.scheduled)]
        await env.sleep(work)

    async with env.api.TaskGroup() as tg:
        env.api.Timer(period, ticks, task_group=tg, on_timer=tick_work).start()
    return [
        f"sleep loop: last tick ≥ {ticks * work * 1000:.0f} ms late → {naive >= ticks * work}",
        f"Timer: tick {last[0][0]} < 5 ms late → {last[0][1] < 0.005}",
    ]


def _overrun(env: Env, log: list[str]) -> Any:
    async def on_timer(tick: Any) -> None:
        log.append(f"{tick.count}" + (f" (missed {tick.missed})" if tick.missed else ""))
        if tick.count == 2:
            await env.sleep(0.05)  # 2.5 periods: the deadlines of ticks 3 and 4 pass

    return on_timer


@scenario(
    CONCEPT,
    'a callback overruns 2.5 periods: missed="skip"',
    "Tick 2's callback works 50 ms of a 20 ms period. The default drops the passed ticks "
    "3 and 4, resumes on the grid and reports them on tick 5; the timer ends on time.",
)
async def _skip(env: Env) -> Outcome:
    log: list[str] = []
    async with env.api.TaskGroup() as tg:
        timer = env.api.Timer(0.02, 6, task_group=tg, on_timer=_overrun(env, log))
        timer.start()
    return [f"ticks: {', '.join(log)}", f"current_count {timer.current_count}"]


@scenario(
    CONCEPT,
    'the same overrun: missed="burst"',
    "Every passed tick is delivered at once (3 and 4 right after the long callback), "
    "then the grid goes on: nothing is dropped.",
)
async def _burst(env: Env) -> Outcome:
    log: list[str] = []
    async with env.api.TaskGroup() as tg:
        timer = env.api.Timer(0.02, 6, task_group=tg, on_timer=_overrun(env, log), missed="burst")
        timer.start()
    return [f"ticks: {', '.join(log)}", f"missed_count {timer.missed_count}"]


@scenario(
    CONCEPT,
    "stop() inside on_timer",
    "No more ticks, and no TIMER_COMPLETE: stopping is not completing (as in AS3).",
)
async def _stop_inside(env: Env) -> Outcome:
    log: list[str] = []

    def on_timer(tick: Any) -> None:
        log.append(str(tick.count))
        if tick.count == 2:
            timer.stop()

    async with env.api.TaskGroup() as tg:
        timer = env.api.Timer(
            0.01,
            5,
            task_group=tg,
            on_timer=on_timer,
            on_timer_complete=lambda _: log.append("TIMER_COMPLETE"),
        )
        timer.start()
    return [f"events: {', '.join(log)}", f"running: {timer.running}"]


@scenario(
    CONCEPT,
    "stop(), start(); then reset(), start()",
    "After stop() AS3's Timer goes on counting; reset() stops it and sets the count back "
    "to 0, so the next start() runs all repeats again.",
)
async def _stop_reset(env: Env) -> Outcome:
    counts: list[str] = []
    async with env.api.TaskGroup() as tg:
        timer = env.api.Timer(
            0.02, 3, task_group=tg, on_timer=lambda tick: counts.append(str(tick.count))
        )
        timer.start()
        await env.sleep(0.05)
        timer.stop()
        counts.append("stop")
        timer.start()
        await env.sleep(0.01)
        timer.reset()
        counts.append("reset")
        timer.start()
    return f"ticks: {' '.join(counts)}"


@scenario(
    CONCEPT,
    "on_timer raises",
    "The exception stops the timer and reaches the owner through the task group, as an "
    "ExceptionGroup; it is not logged and lost.",
)
async def _raises(env: Env) -> Outcome:
    def on_timer(tick: Any) -> None:
        if tick.count == 2:
            raise ValueError(f"tick {tick.count}")

    try:
        async with env.api.TaskGroup() as tg:
            timer = env.api.Timer(0.01, task_group=tg, on_timer=on_timer)
            timer.start()
    except ExceptionGroup as group:
        return [f"group raises {describe_exception(group, message=False)}", f"{timer!r}"]
    return "nothing raised"


@scenario(
    CONCEPT,
    "set_interval(fn, 0.01), clear() after 3 calls",
    "JavaScript's setInterval, but in a task group: until cleared it keeps the group open, "
    "as an active interval keeps Node.js running.",
)
async def _set_interval(env: Env) -> Outcome:
    calls: list[str] = []

    def fn(name: str) -> None:
        calls.append(name)
        if len(calls) == 3:
            handle.clear()

    async with env.api.TaskGroup() as tg:
        handle = env.api.set_interval(fn, 0.01, "fn", task_group=tg)
    return [f"calls: {', '.join(calls)}", f"active: {handle.active}"]


@scenario(
    CONCEPT,
    "set_timeout(fn, 0.05), cleared after 10 ms",
    "clearTimeout before it fires: fn is never called and the group has nothing to wait for.",
)
async def _set_timeout(env: Env) -> Outcome:
    calls: list[str] = []
    async with env.api.TaskGroup() as tg:
        handle = env.api.set_timeout(calls.append, 0.05, "fired", task_group=tg)
        await env.sleep(0.01)
        handle.clear()
    return f"calls: {calls or 'none'}"


@scenario(
    CONCEPT,
    "async for n in interval(0.01, 4)",
    "Tick numbers on a 10 ms grid, in the caller's own task: no task group needed.",
)
async def _interval(env: Env) -> Outcome:
    return ", ".join([str(n) async for n in env.api.interval(0.01, 4)])


@scenario(CONCEPT, "Timer(0)", "A period must be more than zero seconds.")
async def _zero(env: Env) -> Outcome:
    try:
        env.api.Timer(0, task_group=env.api.TaskGroup())  # checked before the group is used
    except ValueError as exc:
        return f"raises {describe_exception(exc)}"
    return "accepted"


@scenario(
    CONCEPT,
    "start() after the group exited",
    "A timer lives inside its group; once the group is gone it cannot tick.",
)
async def _after_exit(env: Env) -> Outcome:
    async with env.api.TaskGroup() as tg:
        timer = env.api.Timer(0.01, 1, task_group=tg)
    try:
        timer.start()
    except RuntimeError as exc:
        return f"raises {describe_exception(exc, message=False)}"
    return "started"


@scenario(
    CONCEPT,
    "the clock a tick sees",
    "uvloop's loop.time() is libuv's millisecond clock, cached per loop iteration; "
    "asyncio's and Trio's are fractional. Deadlines are rounded to it.",
    group=_uvloop,
)
async def _clock(env: Env) -> Outcome:
    seen: list[float] = []
    async with env.api.TaskGroup() as tg:
        env.api.Timer(0.0013, 4, task_group=tg, on_timer=lambda _: seen.append(_now(env))).start()
    whole = all(abs(t * 1000 - round(t * 1000)) < 1e-6 for t in seen)
    return f"whole milliseconds: {whole}"


def _units() -> list[str]:
    return [
        "AS3 counts milliseconds, asyncio and Trio count seconds; so do these timers:",
        "new Timer(1000, 5)  →  Timer(1.0, 5, task_group=tg)",
        "setInterval(fn, 1000)  →  set_interval(fn, 1.0, task_group=tg)",
        "repeat_count=0 is AS3's 0: tick until stopped.",
    ]


ASIDES.append(Aside(CONCEPT, "Units: seconds, not milliseconds", _units))
