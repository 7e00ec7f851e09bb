"""The loop-free half of the periodic timers, written once for the three columns.

A :class:`Timer`'s bookkeeping (counts, runs, ``start``/``stop``/``reset``), its tick
loop, ``async for`` over its ticks, :class:`ScheduledCall` and ``interval``'s
iterator are the same in asyncio, Trio and AnyIO. What differs is small, and it is
what each column's ``timers.py`` shows side by side, as AnyIO's backend classes do
for its API:

* how to read the clock (:meth:`TimerBase._now`);
* how to wait for an absolute deadline that ``stop()`` can cut short
  (:meth:`TimerBase._sleep_until`, with the column's :class:`Run`);
* how to start the ticking task in the group the timer was given
  (:meth:`TimerBase._spawn`), and the event an iterator waits on;
* whether handing out a tick is a checkpoint (Trio's rule) or not (asyncio's).

The coroutines here are plain ``async def``: they await only what the hooks
return, so this module imports no event loop library. The grid arithmetic and the
argument checks are :mod:`common.timergrid`.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar

from common.timergrid import Missed, catch_up, check_policy, check_repeat_count, check_seconds

__all__ = [
    "Event",
    "IntervalBase",
    "Run",
    "ScheduledCall",
    "Tick",
    "TimerBase",
    "check_interval_count",
    "start_interval",
    "start_timeout",
]

G = TypeVar("G")


class Event(Protocol):
    """The column's event (``asyncio.Event``, ``trio.Event``, ``anyio.Event``)."""

    def set(self) -> None: ...
    def wait(self) -> Awaitable[object]: ...


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick of a :class:`Timer`, as ``on_timer`` and ``async for`` receive it."""

    count: int  # the timer's current_count: this tick's slot on the grid, from 1
    scheduled: float  # its deadline on the column's clock (the one its loop reads)
    missed: int = 0  # ticks dropped just before this one (missed="skip")


class Run:
    """One stretch of ticking, from ``start()`` to its end; a restart makes a new one.

    A column subclasses it with what wakes its waiting tick when :meth:`stop` is
    called (:meth:`wake`).
    """

    __slots__ = ("first", "start", "stopped")

    def __init__(self, start: float, first: int) -> None:
        self.start = start  # the clock at start(): slot first + n is due n delays later
        self.first = first  # current_count when started (AS3 goes on counting after stop)
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True
        self.wake()

    def wake(self) -> None:
        """Wake the tick waiting in :meth:`TimerBase._sleep_until`, if one is."""


async def _call(fn: Callable[[Any], object] | None, arg: Any) -> None:
    if fn is None:
        return
    result = fn(arg)
    if inspect.isawaitable(result):  # a coroutine function: its time counts toward overrun
        await result


class TimerBase(Generic[G]):
    """ActionScript 3's Timer with seconds for milliseconds, ticking in a task of
    *task_group*; a column's ``Timer`` adds the hooks below. See the columns'
    ``timers.py`` for the whole story."""

    def __init__(
        self,
        delay: float,
        repeat_count: int = 0,
        *,
        task_group: G,
        on_timer: Callable[[Tick], object] | None = None,
        on_timer_complete: Callable[[Self], object] | None = None,
        missed: Missed = "skip",
    ) -> None:
        self._setup(
            check_seconds("Timer delay", delay),
            check_repeat_count(repeat_count),
            task_group,
            on_timer,
            on_timer_complete,
            check_policy(missed),
        )

    def _setup(
        self,
        delay: float,
        repeat_count: int,
        task_group: G,
        on_timer: Callable[[Tick], object] | None,
        on_timer_complete: Callable[[Self], object] | None,
        missed: Missed,
    ) -> None:
        # Separate from __init__ so set_timeout can make a zero-delay timer.
        self._delay = delay
        self._repeat_count = repeat_count
        self._group = task_group
        self.on_timer = on_timer
        self.on_timer_complete = on_timer_complete
        self.missed: Missed = missed
        self._count = 0
        self._missed_count = 0
        self._run: Run | None = None
        self._latest: Tick | None = None
        self._delivered = 0  # ticks delivered since creation; iterators compare with it
        self._changed: Event | None = None  # made when an iterator first waits

    # -- what each column provides ----------------------------------------------------------

    def _now(self) -> float:
        """The column's clock, the one its deadlines are on."""
        raise NotImplementedError

    def _new_run(self, start: float, first: int) -> Run:
        """A :class:`Run` whose :meth:`~Run.wake` ends the column's :meth:`_sleep_until`."""
        raise NotImplementedError

    async def _sleep_until(self, deadline: float, run: Run) -> None:
        """Wait for *deadline*; ``run.stop()`` ends the wait early."""
        raise NotImplementedError

    def _spawn(self, run: Run) -> None:
        """Run ``self._tick(run)`` as a task of the timer's group.

        Error handling: :exc:`RuntimeError` naming the group if it is not active.
        """
        raise NotImplementedError

    def _new_event(self) -> Event:
        """An event of the column, for iterators waiting on the next tick."""
        raise NotImplementedError

    async def _handing_out(self) -> None:
        """What handing a tick to ``async for`` costs: a checkpoint, or nothing."""

    # -- the timer --------------------------------------------------------------------------

    @property
    def delay(self) -> float:
        return self._delay

    @property
    def repeat_count(self) -> int:
        return self._repeat_count

    @property
    def current_count(self) -> int:
        """Ticks so far, dropped ones included; 0 after :meth:`reset`."""
        return self._count

    @property
    def missed_count(self) -> int:
        """Ticks dropped by ``missed="skip"`` since the last :meth:`reset`."""
        return self._missed_count

    @property
    def running(self) -> bool:
        return self._run is not None

    def start(self) -> None:
        """Start ticking; after :meth:`stop`, go on counting from ``current_count``.

        The next tick is due one delay after this call. A running timer is left
        as it is.

        Error handling
        --------------
        :exc:`RuntimeError` if all ``repeat_count`` ticks have been delivered
        (call :meth:`reset` first), or if the timer's group is not active.
        """
        if self._run is not None:
            return
        if self._repeat_count and self._count >= self._repeat_count:
            raise RuntimeError(
                f"this Timer has delivered all {self._repeat_count} ticks; "
                "reset() it to start again"
            )
        run = self._new_run(self._now(), self._count)
        self._spawn(run)
        self._run = run

    def stop(self) -> None:
        """Stop ticking; ``current_count`` is kept. A callback that is running finishes."""
        run, self._run = self._run, None
        if run is not None:
            run.stop()
            self._pulse()

    def reset(self) -> None:
        """Stop, and set ``current_count`` back to 0: the next :meth:`start` begins anew."""
        self.stop()
        self._count = 0
        self._missed_count = 0

    @property
    def _task_name(self) -> str:
        return f"Timer({self._delay}, {self._repeat_count})"

    async def _tick(self, run: Run) -> None:
        delay, last = self._delay, self._repeat_count
        slot = run.first
        try:
            while not run.stopped:  # stop() may come before this task first runs
                slot += 1
                now = self._now()
                target = catch_up(slot, now, run.start, run.first, delay, last, self.missed)
                dropped, slot = target - slot, target
                deadline = run.start + (slot - run.first) * delay
                await self._sleep_until(deadline, run)  # a yield even when it has passed
                if run.stopped:
                    return
                self._count = slot
                self._missed_count += dropped
                tick = Tick(slot, deadline, dropped)
                self._latest = tick
                self._delivered += 1
                self._pulse()
                await _call(self.on_timer, tick)
                if run.stopped:  # stop() or reset() from the callback
                    return
                if last and slot >= last:
                    self._run = None
                    self._pulse()
                    await _call(self.on_timer_complete, self)
                    return
        finally:
            if self._run is run:  # a callback raised, or the group was cancelled
                self._run = None
                self._pulse()

    def _pulse(self) -> None:
        """Wake the iterators: a tick was delivered, or the timer stopped."""
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    def __aiter__(self) -> AsyncIterator[Tick]:
        """``async for tick in timer``: start the timer if needed, then yield its ticks.

        Nothing queues up: each step returns the newest tick not yet seen, or
        waits for the next, so a body slower than the delay sees ``tick.count``
        jump. The loop ends when the timer completes or is stopped.

        Error handling
        --------------
        As :meth:`start`.
        """
        seen = self._delivered
        self.start()
        return _Ticks(self, seen)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"<Timer delay={self._delay} repeat_count={self._repeat_count} "
            f"current_count={self._count} {state}>"
        )


class _Ticks:
    __slots__ = ("_seen", "_timer")

    def __init__(self, timer: TimerBase[Any], seen: int) -> None:
        self._timer = timer
        self._seen = seen

    def __aiter__(self) -> _Ticks:
        return self

    async def __anext__(self) -> Tick:
        timer = self._timer
        while True:
            if timer._delivered != self._seen and timer._latest is not None:
                self._seen = timer._delivered
                tick = timer._latest
                await timer._handing_out()
                return tick
            if timer._run is None:
                raise StopAsyncIteration
            if timer._changed is None:
                timer._changed = timer._new_event()
            await timer._changed.wait()


# -- set_interval, set_timeout --------------------------------------------------------------


class ScheduledCall:
    """What ``set_interval`` and ``set_timeout`` return."""

    __slots__ = ("_timer",)

    def __init__(self, timer: TimerBase[Any]) -> None:
        self._timer = timer

    @property
    def active(self) -> bool:
        """True until cleared, or until a timeout has made its call."""
        return self._timer.running

    @property
    def calls(self) -> int:
        """How many calls have been made (begun, for a coroutine function)."""
        return self._timer.current_count - self._timer.missed_count

    def clear(self) -> None:
        """Cancel the calls still to come (``clearInterval`` / ``clearTimeout``).

        A call in progress finishes; clearing twice, or after a timeout has
        fired, does nothing.
        """
        self._timer.stop()


def _scheduled_call(
    timer_class: type[TimerBase[G]],
    fn: Callable[..., object],
    args: tuple[Any, ...],
    delay: float,
    repeat_count: int,
    task_group: G,
    missed: Missed,
) -> ScheduledCall:
    timer = timer_class.__new__(timer_class)
    timer._setup(delay, repeat_count, task_group, lambda _: fn(*args), None, missed)
    timer.start()
    return ScheduledCall(timer)


def start_interval(
    timer_class: type[TimerBase[G]],
    fn: Callable[..., object],
    period: float,
    args: tuple[Any, ...],
    task_group: G,
    missed: Missed,
) -> ScheduledCall:
    """``set_interval`` on *timer_class*: arguments checked, then the timer started."""
    seconds = check_seconds("set_interval period", period)
    return _scheduled_call(timer_class, fn, args, seconds, 0, task_group, check_policy(missed))


def start_timeout(
    timer_class: type[TimerBase[G]],
    fn: Callable[..., object],
    delay: float,
    args: tuple[Any, ...],
    task_group: G,
) -> ScheduledCall:
    """``set_timeout`` on *timer_class*: one tick, *delay* >= 0, missed ticks burst."""
    seconds = check_seconds("set_timeout delay", delay, zero_ok=True)
    return _scheduled_call(timer_class, fn, args, seconds, 1, task_group, "burst")


# -- interval -------------------------------------------------------------------------------


def check_interval_count(count: object) -> int | None:
    if count is None:
        return None
    accepted = "None (forever) or an int >= 1"
    if isinstance(count, bool) or not isinstance(count, int | float):
        raise TypeError(f"interval count must be {accepted}; got {count!r}")
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"interval count must be {accepted}; got {count!r}")
    return count


class IntervalBase:
    """``interval``'s iterator; a column adds its clock and its wait for a deadline."""

    __slots__ = ("_count", "_missed", "_period", "_slot", "_start")

    def __init__(self, period: float, count: int | None, missed: Missed) -> None:
        # Checked here, when interval() is called, before iterating.
        self._period = check_seconds("interval period", period)
        self._count = check_interval_count(count) or 0
        self._missed = check_policy(missed)
        self._start: float | None = None
        self._slot = 0

    def _now(self) -> float:
        raise NotImplementedError

    async def _sleep_until(self, deadline: float) -> None:
        raise NotImplementedError

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> int:
        if self._count and self._slot >= self._count:
            raise StopAsyncIteration
        now = self._now()
        if self._start is None:
            self._start = now  # the grid starts when iteration does
        slot = catch_up(
            self._slot + 1, now, self._start, 0, self._period, self._count, self._missed
        )
        await self._sleep_until(self._start + slot * self._period)
        self._slot = slot
        return slot
