"""Timer, set_interval, set_timeout and interval — one test, six columns, in virtual time.

The asyncio columns run on :class:`tests.virtual_time.VirtualTimeLoop` and the
Trio columns on ``trio.testing.MockClock(autojump_threshold=0)``: whenever every
task waits, the clock jumps to the next deadline. A thousand ticks take
milliseconds and every tick lands exactly on its deadline, so times are compared
with ``==`` (the clocks start at 0.0 and the delays are binary fractions).

uvloop keeps libuv's clock, which cannot be replaced: the uvloop columns skip
the virtual-time tests (the skip says why) and run the tests that ask for the
``real_time`` fixture, which all six columns run on their real clocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import pytest
import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impl_asyncio
import impl_trio
import shared
from common.interface import ConcurrencyAPI, TimersAPI
from rosetta.columns import Column

from .conftest import expect
from .virtual_time import VirtualTimeLoop

pytestmark = pytest.mark.anyio

# The type check of the timers interface: mypy fails here if a package drifts.
TIMERS: dict[str, TimersAPI] = {
    "impl_asyncio": impl_asyncio,
    "impl_trio": impl_trio,
    "shared": shared,
}

UVLOOP_SKIP = (
    "virtual time: uvloop runs on libuv's own clock, which cannot be replaced; "
    "this column runs the real-time tests of timers only"
)


@pytest.fixture
def real_time() -> None:
    """Ask for this fixture to run a test on the column's real clock (uvloop included)."""


@pytest.fixture
def anyio_backend(column: Column, request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    if not column.available:
        pytest.skip(f"{column.name} needs uvloop")
    if "real_time" in request.fixturenames:
        return column.anyio_backend
    if column.uvloop:
        pytest.skip(UVLOOP_SKIP)
    if column.on_trio:
        return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})
    return ("asyncio", {"debug": True, "loop_factory": VirtualTimeLoop})


@pytest.fixture
def timers(column: Column) -> TimersAPI:
    return TIMERS[column.package]


def now() -> float:
    return anyio.current_time()


def recorder(log: list[tuple[Any, ...]], start: float = 0.0) -> Callable[[Any], None]:
    """An ``on_timer`` that logs (count, time since *start*, missed)."""
    return lambda tick: log.append((tick.count, now() - start, tick.missed))


# -- the grid -------------------------------------------------------------------------------


async def test_timer_ticks_on_the_grid_then_completes(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    """AS3's ``new Timer(500, 4)``: TIMER four times, then TIMER_COMPLETE."""
    events: list[tuple[Any, ...]] = []
    start = now()
    async with api.TaskGroup() as tg:
        timer = timers.Timer(
            0.5,
            4,
            task_group=tg,
            on_timer=lambda tick: events.append(
                ("timer", tick.count, now() - start, tick.scheduled - start, tick.missed)
            ),
            on_timer_complete=lambda t: events.append(
                ("complete", t.current_count, now() - start, t.running)
            ),
        )
        assert (timer.delay, timer.repeat_count, timer.current_count) == (0.5, 4, 0)
        assert not timer.running
        timer.start()
        assert timer.running
    assert events == [
        ("timer", 1, 0.5, 0.5, 0),
        ("timer", 2, 1.0, 1.0, 0),
        ("timer", 3, 1.5, 1.5, 0),
        ("timer", 4, 2.0, 2.0, 0),
        ("complete", 4, 2.0, False),
    ]
    assert now() - start == 2.0  # the group waited for the timer, as for any task


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_callbacks_may_be_plain_or_coroutine_functions(
    api: ConcurrencyAPI, timers: TimersAPI, kind: str
) -> None:
    log: list[tuple[Any, ...]] = []
    completed: list[float] = []

    def on_tick(tick: Any) -> None:
        log.append((tick.count, now()))

    async def on_tick_async(tick: Any) -> None:
        log.append((tick.count, now()))
        await anyio.sleep(0.125)  # work that takes a quarter of the period: no drift

    async def on_complete_async(timer: Any) -> None:
        await anyio.lowlevel.checkpoint()
        completed.append(now())

    async with api.TaskGroup() as tg:
        timers.Timer(
            0.5,
            3,
            task_group=tg,
            on_timer=on_tick if kind == "sync" else on_tick_async,
            on_timer_complete=(lambda t: completed.append(now()))
            if kind == "sync"
            else on_complete_async,
        ).start()
    assert log == [(1, 0.5), (2, 1.0), (3, 1.5)]
    # TIMER_COMPLETE follows the last on_timer, which the async variant makes 0.125 s long.
    assert completed == [1.5 if kind == "sync" else 1.625]


async def test_a_sleep_loop_drifts_and_a_timer_does_not(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    """300 ticks of 10 ms with 3 ms of work each: the naive loop ends 0.9 s late."""
    period, work, ticks = 0.01, 0.003, 300

    start = now()
    for _ in range(ticks):
        await anyio.sleep(work)
        await anyio.sleep(period)
    naive_drift = now() - start - ticks * period

    last: list[float] = []

    async def tick_work(tick: Any) -> None:
        last[:] = [now() - tick.scheduled]
        await anyio.sleep(work)

    async with api.TaskGroup() as tg:
        timer = timers.Timer(period, ticks, task_group=tg, on_timer=tick_work)
        start = now()
        timer.start()
    assert naive_drift == pytest.approx(ticks * work)
    assert last == [0.0]  # the 300th tick is exactly on its deadline
    assert timer.missed_count == 0
    assert now() - start == pytest.approx(ticks * period + work)


async def test_repeat_count_zero_ticks_until_stopped(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(0.25, task_group=tg, on_timer=recorder(log))
        timer.start()
        await anyio.sleep(100.125)  # not 100: a tie with tick 400 could go either way
        assert timer.running
        assert timer.current_count == 400
        timer.stop()
    assert not timer.running
    assert len(log) == 400
    assert log[-1] == (400, 100.0, 0)


# -- missed ticks ---------------------------------------------------------------------------


def overrun_at(count: int, seconds: float, log: list[tuple[Any, ...]]) -> Callable[[Any], Any]:
    """An async ``on_timer`` that logs and, at tick *count*, works for *seconds*."""

    async def on_timer(tick: Any) -> None:
        log.append((tick.count, now(), tick.missed))
        if tick.count == count:
            await anyio.sleep(seconds)

    return on_timer


async def test_skip_drops_the_passed_ticks_and_reports_them(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    """Tick 2's callback runs until 4.5: ticks 3 and 4 are dropped, tick 5 says so."""
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(1.0, 7, task_group=tg, on_timer=overrun_at(2, 2.5, log))
        timer.start()
    assert log == [(1, 1.0, 0), (2, 2.0, 0), (5, 5.0, 2), (6, 6.0, 0), (7, 7.0, 0)]
    assert (timer.current_count, timer.missed_count) == (7, 2)
    assert now() == 7.0  # still ends on schedule


async def test_burst_delivers_the_passed_ticks_at_once(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(
            1.0, 6, task_group=tg, on_timer=overrun_at(2, 2.5, log), missed="burst"
        )
        timer.start()
    assert log == [(1, 1.0, 0), (2, 2.0, 0), (3, 4.5, 0), (4, 4.5, 0), (5, 5.0, 0), (6, 6.0, 0)]
    assert (timer.current_count, timer.missed_count) == (6, 0)


async def test_skip_never_drops_the_last_tick(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    log: list[tuple[Any, ...]] = []
    done: list[float] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(
            1.0,
            3,
            task_group=tg,
            on_timer=overrun_at(1, 5.0, log),
            on_timer_complete=lambda t: done.append(now()),
        )
        timer.start()
    assert log == [(1, 1.0, 0), (3, 6.0, 1)]  # tick 3 was due at 3.0: delivered late
    assert done == [6.0]
    assert (timer.current_count, timer.missed_count) == (3, 1)


@pytest.mark.parametrize("missed", ["skip", "burst"])
async def test_a_callback_of_exactly_one_period_misses_nothing(
    api: ConcurrencyAPI, timers: TimersAPI, missed: Any
) -> None:
    """The next deadline is reached exactly, not passed: that tick is on time."""
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timers.Timer(1.0, 3, task_group=tg, on_timer=overrun_at(1, 1.0, log), missed=missed).start()
    assert log == [(1, 1.0, 0), (2, 2.0, 0), (3, 3.0, 0)]


@st.composite
def _overruns(draw: st.DrawFn) -> tuple[list[float], int]:
    repeat = draw(st.integers(1, 8))
    works = draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 1.5, 2.25, 3.0]), max_size=repeat))
    return works, repeat


def _model(works: list[float], repeat: int, missed: str) -> list[tuple[int, float, int]]:
    """What the module docstring promises, tick by tick, with a delay of 1.0."""
    log: list[tuple[int, float, int]] = []
    t, slot = 0.0, 0
    while slot < repeat:
        slot += 1
        dropped = 0
        if missed == "skip" and slot < t:
            target = min(max(slot, int(-(-t // 1))), repeat)
            dropped, slot = target - slot, target
        t = max(t, float(slot))
        log.append((slot, t, dropped))
        t += works[len(log) - 1] if len(log) <= len(works) else 0.0
    return log


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # api and timers are plain lookups: sharing them between examples is harmless.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=_overruns(), missed=st.sampled_from(["skip", "burst"]))
async def test_ticks_follow_the_documented_policy(
    api: ConcurrencyAPI, timers: TimersAPI, case: tuple[list[float], int], missed: Any
) -> None:
    works, repeat = case
    log: list[tuple[Any, ...]] = []
    start = now()

    async def on_timer(tick: Any) -> None:
        log.append((tick.count, now() - start, tick.missed))
        if len(log) <= len(works):
            await anyio.sleep(works[len(log) - 1])

    async with api.TaskGroup() as tg:
        timers.Timer(1.0, repeat, task_group=tg, on_timer=on_timer, missed=missed).start()
    assert log == _model(works, repeat, missed)


# -- start, stop, reset ---------------------------------------------------------------------


async def test_stop_from_inside_the_callback(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    log: list[int] = []
    completed: list[int] = []

    def on_timer(tick: Any) -> None:
        log.append(tick.count)
        if tick.count == 3:
            timer.stop()

    async with api.TaskGroup() as tg:
        timer = timers.Timer(
            0.5, 10, task_group=tg, on_timer=on_timer, on_timer_complete=completed.append
        )
        timer.start()
    assert log == [1, 2, 3]
    assert completed == []  # stop() is not completion (AS3 neither)
    assert not timer.running
    assert now() == 1.5  # the group did not wait for more


async def test_stop_from_another_task_lets_a_running_callback_finish(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    events: list[tuple[str, float]] = []

    async def on_timer(tick: Any) -> None:
        events.append((f"tick {tick.count}", now()))
        await anyio.sleep(0.25)
        events.append((f"tick {tick.count} done", now()))

    async with api.TaskGroup() as tg:
        timer = timers.Timer(0.5, task_group=tg, on_timer=on_timer)
        timer.start()
        await anyio.sleep(1.125)  # inside tick 2's callback
        timer.stop()
        assert not timer.running
    assert events == [
        ("tick 1", 0.5),
        ("tick 1 done", 0.75),
        ("tick 2", 1.0),
        ("tick 2 done", 1.25),
    ]
    assert now() == 1.25


async def test_stop_then_start_goes_on_counting(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    """AS3: ``start()`` after ``stop()`` keeps currentCount; the grid restarts from now."""
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(1.0, 5, task_group=tg, on_timer=recorder(log))
        timer.start()
        await anyio.sleep(2.5)
        timer.stop()
        assert (timer.running, timer.current_count) == (False, 2)
        await anyio.sleep(1.5)
        timer.start()
    assert log == [(1, 1.0, 0), (2, 2.0, 0), (3, 5.0, 0), (4, 6.0, 0), (5, 7.0, 0)]


async def test_reset_stops_and_rearms_from_zero(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(1.0, 3, task_group=tg, on_timer=recorder(log))
        timer.start()
        await anyio.sleep(2.5)
        timer.reset()
        assert (timer.running, timer.current_count) == (False, 0)
        await anyio.sleep(0.5)
        timer.start()
    assert log == [(1, 1.0, 0), (2, 2.0, 0), (1, 4.0, 0), (2, 5.0, 0), (3, 6.0, 0)]


async def test_reset_and_start_in_on_timer_complete_repeats_the_timer(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    log: list[tuple[Any, ...]] = []
    rounds: list[float] = []

    def again(timer: Any) -> None:
        rounds.append(now())
        if len(rounds) < 3:
            timer.reset()
            timer.start()

    async with api.TaskGroup() as tg:
        timers.Timer(0.5, 2, task_group=tg, on_timer=recorder(log), on_timer_complete=again).start()
    assert [count for count, _, _ in log] == [1, 2, 1, 2, 1, 2]
    assert rounds == [1.0, 2.0, 3.0]


async def test_start_on_a_running_timer_does_nothing(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    log: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(1.0, 3, task_group=tg, on_timer=recorder(log))
        timer.start()
        await anyio.sleep(0.5)
        timer.start()  # neither a second task nor a new grid
    assert log == [(1, 1.0, 0), (2, 2.0, 0), (3, 3.0, 0)]


async def test_start_on_a_completed_timer_raises(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    async with api.TaskGroup() as tg:
        timer = timers.Timer(0.5, 2, task_group=tg)
        timer.start()
        await anyio.sleep(5)
        with pytest.raises(RuntimeError, match=r"reset\(\)"):
            timer.start()
        timer.reset()
        timer.start()
    assert timer.current_count == 2


async def test_a_timer_after_its_group_exited_raises(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    async with api.TaskGroup() as tg:
        timer = timers.Timer(0.5, 2, task_group=tg)
    with pytest.raises(RuntimeError, match=r"Timer\.start\(\).*(not active|closed)"):
        timer.start()
    with pytest.raises(RuntimeError, match=r"Timer\.start\(\)"):
        async for _ in timer:
            pass
    with pytest.raises(RuntimeError, match=r"Timer\.start\(\)"):
        timers.set_timeout(lambda: None, 1, task_group=tg)
    assert not timer.running
    timer.stop()  # stopping a timer that is not running is harmless
    timer.reset()


async def test_a_timer_in_a_group_not_entered_yet_raises(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    tg = api.TaskGroup()
    timer = timers.Timer(0.5, task_group=tg)
    with pytest.raises(RuntimeError, match=r"Timer\.start\(\)"):
        timer.start()


@pytest.mark.differs
async def test_the_package_takes_the_backends_own_group(column: Column, timers: TimersAPI) -> None:
    """Besides the package's TaskGroup: asyncio.TaskGroup is that already; impl_trio also
    takes a trio.Nursery, shared an AnyIO task group."""
    groups: dict[str, Callable[[], AbstractAsyncContextManager[Any]]] = {
        "impl_asyncio": _asyncio_group,
        "impl_trio": trio.open_nursery,
        "shared": anyio.create_task_group,
    }
    native = expect(column, groups)
    log: list[tuple[Any, ...]] = []
    async with native() as group:
        timers.Timer(0.5, 2, task_group=group, on_timer=recorder(log)).start()
    assert log == [(1, 0.5, 0), (2, 1.0, 0)]


@asynccontextmanager
async def _asyncio_group() -> AsyncIterator[Any]:
    import asyncio

    async with asyncio.TaskGroup() as tg:
        yield tg


# -- errors propagate -----------------------------------------------------------------------


async def test_an_exception_in_on_timer_stops_the_timer_and_reaches_the_owner(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    def on_timer(tick: Any) -> None:
        if tick.count == 3:
            raise ValueError("tick 3 failed")

    async def sibling() -> None:
        await anyio.sleep(100)

    with pytest.raises(ExceptionGroup) as raised:  # noqa: PT012 - the group block is the subject
        async with api.TaskGroup() as tg:
            timer = timers.Timer(0.5, task_group=tg, on_timer=on_timer)
            timer.start()
            other = tg.create_task(sibling())
    assert [type(e) for e in raised.value.exceptions] == [ValueError]
    assert not timer.running
    assert timer.current_count == 3
    assert other.cancelled()  # the group cancelled the rest, as for any failing task
    assert now() == 1.5


async def test_an_exception_in_on_timer_complete_reaches_the_owner(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    async def on_complete(timer: Any) -> None:
        await anyio.sleep(0.25)
        raise KeyError("complete")

    with pytest.raises(ExceptionGroup) as raised:
        async with api.TaskGroup() as tg:
            timers.Timer(0.5, 1, task_group=tg, on_timer_complete=on_complete).start()
    assert [type(e) for e in raised.value.exceptions] == [KeyError]


async def test_cancelling_the_group_stops_the_timer(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    with anyio.move_on_after(2.25):
        async with api.TaskGroup() as tg:
            timer = timers.Timer(0.5, task_group=tg)
            timer.start()
    assert not timer.running
    assert timer.current_count == 4


# -- async iteration ------------------------------------------------------------------------


async def test_async_for_starts_the_timer_and_ends_with_it(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    async with api.TaskGroup() as tg:
        timer = timers.Timer(0.5, 4, task_group=tg)
        seen = [(tick.count, now()) async for tick in timer]
    assert seen == [(1, 0.5), (2, 1.0), (3, 1.5), (4, 2.0)]


async def test_async_for_with_a_slow_body_sees_the_newest_tick(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    """Nothing queues: after a 2.25 s body the loop gets the newest tick at once."""
    seen: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(1.0, 6, task_group=tg)
        async for tick in timer:
            seen.append((tick.count, now()))
            await anyio.sleep(2.25)
    assert seen == [(1, 1.0), (3, 3.25), (5, 5.5), (6, 7.75)]
    assert timer.missed_count == 0  # the timer itself never waited for the loop


async def test_async_for_ends_when_the_body_stops_the_timer(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    seen: list[int] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(0.5, task_group=tg)
        async for tick in timer:
            seen.append(tick.count)
            if tick.count == 3:
                timer.stop()
    assert seen == [1, 2, 3]
    assert now() == 1.5


# -- set_interval, set_timeout --------------------------------------------------------------


async def test_set_interval_calls_until_cleared(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    calls: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        handle = timers.set_interval(
            lambda a, b: calls.append((a, b, now())), 0.5, 1, 2, task_group=tg
        )
        assert handle.active
        await anyio.sleep(1.75)
        handle.clear()
        assert not handle.active
        handle.clear()  # twice is harmless
    assert calls == [(1, 2, 0.5), (1, 2, 1.0), (1, 2, 1.5)]
    assert handle.calls == 3
    assert now() == 1.75


async def test_set_interval_cleared_from_its_own_coroutine_function(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    calls: list[float] = []

    async def fn() -> None:
        calls.append(now())
        await anyio.sleep(0.125)
        if len(calls) == 3:
            handle.clear()

    async with api.TaskGroup() as tg:
        handle = timers.set_interval(fn, 0.5, task_group=tg)
    assert calls == [0.5, 1.0, 1.5]
    assert now() == 1.625


async def test_an_exception_in_set_interval_reaches_the_owner(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    def fn() -> None:
        raise ValueError("interval failed")

    with pytest.raises(ExceptionGroup) as raised:
        async with api.TaskGroup() as tg:
            handle = timers.set_interval(fn, 0.5, task_group=tg)
    assert [type(e) for e in raised.value.exceptions] == [ValueError]
    assert not handle.active


async def test_set_timeout_calls_once_and_the_group_waits(
    api: ConcurrencyAPI, timers: TimersAPI
) -> None:
    calls: list[tuple[Any, ...]] = []
    async with api.TaskGroup() as tg:
        handle = timers.set_timeout(lambda x: calls.append((x, now())), 1.5, "x", task_group=tg)
        assert handle.active
    assert calls == [("x", 1.5)]
    assert not handle.active
    assert handle.calls == 1


async def test_set_timeout_cleared_before_it_fires(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    calls: list[float] = []
    async with api.TaskGroup() as tg:
        handle = timers.set_timeout(lambda: calls.append(now()), 1.5, task_group=tg)
        await anyio.sleep(1)
        handle.clear()
    assert calls == []
    assert handle.calls == 0
    assert now() == 1.0  # nothing left to wait for


async def test_set_timeout_zero_runs_soon_not_now(api: ConcurrencyAPI, timers: TimersAPI) -> None:
    calls: list[str] = []
    async with api.TaskGroup() as tg:
        timers.set_timeout(calls.append, 0, "timeout", task_group=tg)
        calls.append("after set_timeout")
    assert calls == ["after set_timeout", "timeout"]
    assert now() == 0.0


# -- interval -------------------------------------------------------------------------------


async def test_interval_yields_tick_numbers_on_the_grid(timers: TimersAPI) -> None:
    start = now()
    got = [(n, now() - start) async for n in timers.interval(0.25, 4)]
    assert got == [(1, 0.25), (2, 0.5), (3, 0.75), (4, 1.0)]


async def test_interval_forever_until_the_loop_is_left(timers: TimersAPI) -> None:
    got: list[int] = []
    async for n in timers.interval(0.5):
        got.append(n)
        if n == 5:
            break
    assert got == [1, 2, 3, 4, 5]
    assert now() == 2.5


@pytest.mark.parametrize(
    ("missed", "expected"),
    [
        ("skip", [(1, 1.0), (2, 2.0), (5, 5.0), (6, 6.0)]),
        ("burst", [(1, 1.0), (2, 2.0), (3, 4.5), (4, 4.5), (5, 5.0), (6, 6.0)]),
    ],
)
async def test_interval_with_a_slow_body(
    timers: TimersAPI, missed: Any, expected: list[tuple[int, float]]
) -> None:
    got: list[tuple[int, float]] = []
    async for n in timers.interval(1.0, 6, missed=missed):
        got.append((n, now()))
        if n == 2:
            await anyio.sleep(2.5)
    assert got == expected


async def test_interval_never_skips_the_last_number(timers: TimersAPI) -> None:
    got: list[tuple[int, float]] = []
    async for n in timers.interval(1.0, 3):
        got.append((n, now()))
        await anyio.sleep(5)
    assert got == [(1, 1.0), (3, 6.0)]


# -- bad input ------------------------------------------------------------------------------


_BAD_CALLS: list[tuple[str, Callable[[TimersAPI, Any], object], type[Exception], str]] = [
    ("Timer(-1)", lambda t, g: t.Timer(-1, task_group=g), ValueError, r"0 < seconds < inf.*-1"),
    ("Timer(0)", lambda t, g: t.Timer(0, task_group=g), ValueError, r"0 < seconds < inf"),
    ("Timer('1')", lambda t, g: t.Timer("1", task_group=g), TypeError, r"number of seconds"),  # type: ignore[arg-type]
    ("Timer(True)", lambda t, g: t.Timer(True, task_group=g), TypeError, r"number of seconds"),
    ("Timer(nan)", lambda t, g: t.Timer(float("nan"), task_group=g), ValueError, r"0 < seconds"),
    ("Timer(inf)", lambda t, g: t.Timer(float("inf"), task_group=g), ValueError, r"0 < seconds"),
    (
        "repeat_count=-1",
        lambda t, g: t.Timer(1, -1, task_group=g),
        ValueError,
        r"repeat_count.*>= 0",
    ),
    (
        "repeat_count=1.5",
        lambda t, g: t.Timer(1, 1.5, task_group=g),  # type: ignore[arg-type]
        ValueError,
        r"repeat_count.*int",
    ),
    (
        "repeat_count='2'",
        lambda t, g: t.Timer(1, "2", task_group=g),  # type: ignore[arg-type]
        TypeError,
        r"repeat_count.*int",
    ),
    (
        "missed='drop'",
        lambda t, g: t.Timer(1, task_group=g, missed="drop"),  # type: ignore[arg-type]
        ValueError,
        r"'skip' or 'burst'",
    ),
    ("interval(0)", lambda t, g: t.interval(0), ValueError, r"0 < seconds < inf"),
    (
        "interval(1, 0)",
        lambda t, g: t.interval(1, 0),
        ValueError,
        r"None \(forever\) or an int >= 1",
    ),
    (
        "set_interval(fn, 0)",
        lambda t, g: t.set_interval(print, 0, task_group=g),
        ValueError,
        r"0 < seconds",
    ),
    (
        "set_timeout(fn, -1)",
        lambda t, g: t.set_timeout(print, -1, task_group=g),
        ValueError,
        r"0 <= seconds",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [case[1:] for case in _BAD_CALLS],
    ids=[case[0] for case in _BAD_CALLS],
)
async def test_bad_arguments_raise_naming_the_range(
    api: ConcurrencyAPI,
    timers: TimersAPI,
    real_time: None,
    call: Callable[[TimersAPI, Any], object],
    error: type[Exception],
    match: str,
) -> None:
    """A value of the wrong kind raises TypeError, one out of range ValueError."""
    async with api.TaskGroup() as tg:
        with pytest.raises(error, match=match):
            call(timers, tg)


# -- real time ------------------------------------------------------------------------------


async def test_real_time_smoke(api: ConcurrencyAPI, timers: TimersAPI, real_time: None) -> None:
    """On the real clock, loose bounds: 20 ticks of 10 ms, an interval and a timeout."""
    period, ticks = 0.01, 20
    lateness: list[float] = []
    numbers: list[int] = []
    fired: list[float] = []
    async with api.TaskGroup() as tg:
        timer = timers.Timer(
            period, ticks, task_group=tg, on_timer=lambda t: lateness.append(now() - t.scheduled)
        )
        start = now()
        timer.start()
        timers.set_timeout(lambda: fired.append(now() - start), 0.05, task_group=tg)
        async for n in timers.interval(period, 5):
            numbers.append(n)
    elapsed = now() - start
    assert timer.current_count == ticks
    assert len(lateness) + timer.missed_count == ticks
    # uvloop's millisecond clock may wake a tick up to 1 ms early; a busy machine, late.
    assert ticks * period - 0.002 <= elapsed < ticks * period + 1.0
    assert min(lateness) >= -0.002
    assert max(lateness) < 1.0
    assert numbers[-1] == 5
    assert len(fired) == 1
    assert 0.048 <= fired[0] < 1.0


@pytest.mark.differs
async def test_the_clock_a_tick_sees_has_whole_milliseconds_on_uvloop(
    api: ConcurrencyAPI, timers: TimersAPI, column: Column, real_time: None
) -> None:
    """uvloop's ``loop.time()`` is libuv's loop time, in whole milliseconds and cached
    per loop iteration; asyncio's and Trio's clocks are fractional. Ticks are still
    scheduled on it, so on uvloop a deadline is effectively rounded to a millisecond."""
    seen: list[float] = []
    async with api.TaskGroup() as tg:
        timers.Timer(0.0013, 5, task_group=tg, on_timer=lambda tick: seen.append(now())).start()
    whole_ms = all(abs(t * 1000 - round(t * 1000)) < 1e-6 for t in seen)
    assert whole_ms == expect(
        column,
        {"impl_asyncio": column.uvloop, "impl_trio": False, "shared": column.uvloop},
    )
