"""Periodic timers, the asyncio way: ticks on a fixed grid of ``loop.time()``.

asyncio schedules one-shot callbacks (``loop.call_later``, ``loop.call_at``) and
has no repeating timer. The loop written instead, ``while True: work(); await
asyncio.sleep(p)``, drifts: each sleep is measured from whenever the previous one
ended, so the time ``work()`` takes and every late wake-up are added to every
tick that follows. (Wake-ups are late by design: the selector rounds its timeout
up to the next millisecond, and for some waits by one more, since
``math.ceil(t * 1e3) * 1e-3`` can give ``0.009000000000000001`` s, which
``epoll.poll`` rounds up to 10 ms.)

Here tick *n* of a run is due at ``start + n * delay`` on the loop's clock: one
multiplication from the start time, never a sum of sleeps. The ticking task waits
for that absolute deadline with ``loop.call_at``, asyncio's absolute-time
primitive. A late wake-up makes one tick late, not the ones after it. On uvloop
``loop.time()`` is libuv's clock: whole milliseconds, read once per loop
iteration.

* :class:`Timer` is ActionScript 3's ``Timer``, in seconds: AS3's
  ``new Timer(1000, 5)`` is ``Timer(1.0, 5, task_group=tg)``, and
  ``repeat_count=0`` ticks until stopped. ``on_timer(tick)`` plays AS3's
  ``TIMER`` listener and ``on_timer_complete(timer)`` its ``TIMER_COMPLETE``;
  either may be a plain function or a coroutine function. ``async for tick in
  timer`` receives the ticks as well.
* :func:`set_interval` and :func:`set_timeout` are JavaScript's; the
  :class:`ScheduledCall` they return has ``clear()`` for ``clearInterval`` /
  ``clearTimeout``.
* :func:`interval` is an async iterator of tick numbers, for a ``for`` loop
  whose body runs on the grid.

Structure: a timer's ticks run in a task of the :class:`asyncio.TaskGroup` it is
given, never in a free-floating task. Like every task of that group, a running
timer keeps the group's ``async with`` block from ending: a finite timer until
its last tick, a ``repeat_count=0`` timer or an interval until ``stop()`` /
``clear()`` (an active ``setInterval`` keeps Node.js running the same way).

Missed ticks: a callback, a loop body or anything else holding the loop may run
past the deadline of the next tick, or of several. ``missed`` decides:

* ``"skip"`` (the default): drop the ticks whose deadlines have passed and wait
  for the next deadline still ahead. That tick's :attr:`Tick.missed` says how
  many were dropped, and ``current_count`` counts them, so a finite timer still
  ends on schedule. The last tick of a finite timer is never dropped: it is
  delivered at once, late.
* ``"burst"``: deliver every passed tick at once, in order, then carry on with
  the grid.

A deadline reached exactly (a callback that takes exactly one period) is on
time, not missed.

Error handling
--------------
A delay or period that is not a finite number of seconds greater than zero
(``set_timeout``: zero or more), a ``repeat_count`` that is not an int of zero
or more, an ``interval`` count that is not ``None`` or an int of one or more, and
any ``missed`` but ``"skip"`` or ``"burst"`` raise :exc:`ValueError` naming the
accepted range. An exception raised by a callback stops the timer and is raised
in its task, so the group cancels its other tasks and raises it in an
:exc:`ExceptionGroup` from ``async with`` — never logged and dropped.
``start()`` on a running timer does nothing (as AS3's does); on a timer that
has delivered all of its ``repeat_count`` ticks it raises :exc:`RuntimeError`
(``reset()`` it first); when the group is not active (already exited, or never
entered) it raises :exc:`RuntimeError`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from common.timergrid import Missed, catch_up, check_policy, check_repeat_count, check_seconds

__all__ = ["Timer", "Tick", "ScheduledCall", "set_interval", "set_timeout", "interval"]

# Argument checks and the grid arithmetic are shared by the three packages: common/timergrid.py.


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _sleep_until(deadline: float, run: _Run | None = None) -> None:
    """Wait for *deadline* on the loop's clock; ``run.stop()`` ends the wait early."""
    # asyncio.sleep takes a duration; call_at takes the deadline itself, so nothing is
    # lost converting back and forth (asyncio.sleep uses call_at the same way).
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    handle = loop.call_at(deadline, _wake, waiter)
    if run is not None:
        run.waiter = waiter
    try:
        await waiter
    finally:
        handle.cancel()
        if run is not None:
            run.waiter = None


async def _call(fn: Callable[[Any], object] | None, arg: Any) -> None:
    if fn is None:
        return
    result = fn(arg)
    if inspect.isawaitable(result):  # a coroutine function: its time counts toward overrun
        await result


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick of a :class:`Timer`, as ``on_timer`` and ``async for`` receive it."""

    count: int  # the timer's current_count: this tick's slot on the grid, from 1
    scheduled: float  # its deadline on the loop's clock (loop.time())
    missed: int = 0  # ticks dropped just before this one (missed="skip")


class _Run:
    """One stretch of ticking, from ``start()`` to its end; a restart makes a new one."""

    __slots__ = ("first", "start", "stopped", "waiter")

    def __init__(self, start: float, first: int) -> None:
        self.start = start  # the loop time of start(): slot first + n is due n delays later
        self.first = first  # current_count when started (AS3 goes on counting after stop)
        self.stopped = False
        self.waiter: asyncio.Future[None] | None = None

    def stop(self) -> None:
        self.stopped = True
        if self.waiter is not None:
            _wake(self.waiter)


# -- Timer ----------------------------------------------------------------------------------


class Timer:
    """A timer that ticks every *delay* seconds, *repeat_count* times (0: until stopped).

    ActionScript 3's Timer with seconds for milliseconds, ticking in a task of
    *task_group*. Nothing happens until :meth:`start` (or ``async for``).

    Error handling
    --------------
    See the module: invalid arguments raise :exc:`ValueError`; an exception in a
    callback stops the timer and propagates through the group.
    """

    def __init__(
        self,
        delay: float,
        repeat_count: int = 0,
        *,
        task_group: asyncio.TaskGroup,
        on_timer: Callable[[Tick], object] | None = None,
        on_timer_complete: Callable[[Timer], object] | None = None,
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
        task_group: asyncio.TaskGroup,
        on_timer: Callable[[Tick], object] | None,
        on_timer_complete: Callable[[Timer], object] | None,
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
        self._run: _Run | None = None
        self._latest: Tick | None = None
        self._delivered = 0  # ticks delivered since creation; iterators compare with it
        self._changed: asyncio.Event | None = None  # made when an iterator first waits

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
        (call :meth:`reset` first), or if the task group is not active.
        """
        if self._run is not None:
            return
        if self._repeat_count and self._count >= self._repeat_count:
            raise RuntimeError(
                f"this Timer has delivered all {self._repeat_count} ticks; "
                "reset() it to start again"
            )
        run = _Run(asyncio.get_running_loop().time(), self._count)
        coro = self._tick(run)
        try:
            self._group.create_task(coro, name=f"Timer({self._delay}, {self._repeat_count})")
        except RuntimeError as exc:
            coro.close()  # never started: don't leave a never-awaited coroutine behind
            raise RuntimeError(
                "Timer.start(): its task group is not active (exited, or not entered yet); "
                "a timer only runs inside the group it was given"
            ) from exc
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

    async def _tick(self, run: _Run) -> None:
        delay, last = self._delay, self._repeat_count
        slot = run.first
        try:
            while not run.stopped:  # stop() may come before this task first runs
                slot += 1
                now = asyncio.get_running_loop().time()
                target = catch_up(slot, now, run.start, run.first, delay, last, self.missed)
                dropped, slot = target - slot, target
                deadline = run.start + (slot - run.first) * delay
                await _sleep_until(deadline, run)  # a yield even when the deadline has passed
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

    def __init__(self, timer: Timer, seen: int) -> None:
        self._timer = timer
        self._seen = seen

    def __aiter__(self) -> _Ticks:
        return self

    async def __anext__(self) -> Tick:
        timer = self._timer
        while True:
            if timer._delivered != self._seen and timer._latest is not None:
                self._seen = timer._delivered
                return timer._latest
            if timer._run is None:
                raise StopAsyncIteration
            if timer._changed is None:
                timer._changed = asyncio.Event()
            await timer._changed.wait()


# -- set_interval, set_timeout --------------------------------------------------------------


class ScheduledCall:
    """What :func:`set_interval` and :func:`set_timeout` return."""

    __slots__ = ("_timer",)

    def __init__(self, timer: Timer) -> None:
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
    fn: Callable[..., object],
    args: tuple[Any, ...],
    delay: float,
    repeat_count: int,
    task_group: asyncio.TaskGroup,
    missed: Missed,
) -> ScheduledCall:
    timer = Timer.__new__(Timer)
    timer._setup(delay, repeat_count, task_group, lambda _: fn(*args), None, missed)
    timer.start()
    return ScheduledCall(timer)


def set_interval(
    fn: Callable[..., object | Awaitable[object]],
    period: float,
    *args: Any,
    task_group: asyncio.TaskGroup,
    missed: Missed = "skip",
) -> ScheduledCall:
    """Call ``fn(*args)`` every *period* seconds until cleared (JavaScript's ``setInterval``).

    *fn* may be a plain function or a coroutine function; it runs in a task of
    *task_group*, which does not exit while the interval is active.

    Error handling
    --------------
    As :class:`Timer`: a bad *period* or *missed* raises :exc:`ValueError`; an
    exception from *fn* clears the interval and propagates through the group.
    """
    seconds = check_seconds("set_interval period", period)
    return _scheduled_call(fn, args, seconds, 0, task_group, check_policy(missed))


def set_timeout(
    fn: Callable[..., object | Awaitable[object]],
    delay: float,
    *args: Any,
    task_group: asyncio.TaskGroup,
) -> ScheduledCall:
    """Call ``fn(*args)`` once, *delay* seconds from now (JavaScript's ``setTimeout``).

    A delay of 0 calls it as soon as the loop gets to it. The group waits for the
    call unless it is cleared first.

    Error handling
    --------------
    A bad *delay* raises :exc:`ValueError`; an exception from *fn* propagates
    through the group.
    """
    seconds = check_seconds("set_timeout delay", delay, zero_ok=True)
    return _scheduled_call(fn, args, seconds, 1, task_group, "burst")


# -- interval -------------------------------------------------------------------------------


class _Interval:
    __slots__ = ("_count", "_missed", "_period", "_slot", "_start")

    def __init__(self, period: float, count: int | None, missed: Missed) -> None:
        self._period = period
        self._count = count or 0
        self._missed = missed
        self._start: float | None = None
        self._slot = 0

    def __aiter__(self) -> _Interval:
        return self

    async def __anext__(self) -> int:
        if self._count and self._slot >= self._count:
            raise StopAsyncIteration
        now = asyncio.get_running_loop().time()
        if self._start is None:
            self._start = now  # the grid starts when iteration does
        slot = catch_up(
            self._slot + 1, now, self._start, 0, self._period, self._count, self._missed
        )
        await _sleep_until(self._start + slot * self._period)
        self._slot = slot
        return slot


def interval(
    period: float, count: int | None = None, *, missed: Missed = "skip"
) -> AsyncIterator[int]:
    """Tick numbers 1, 2, 3, ..., tick *n* at *n* periods after iteration begins.

    ``async for n in interval(0.5, 10)`` runs its body on a half-second grid, ten
    times; with ``count=None``, until the loop is left. The body runs in the
    caller's own task, so no task group is needed. When the body overruns, the
    numbers show it: ``missed="skip"`` jumps over the passed ticks (1, 2, 5, ...),
    ``"burst"`` returns each of them at once.

    Error handling
    --------------
    A *period* that is not a number > 0, a *count* that is not ``None`` or an
    int >= 1, or a bad *missed* raises :exc:`ValueError` here, before iterating.
    """
    seconds = check_seconds("interval period", period)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError(f"interval count must be None (forever) or an int >= 1; got {count!r}")
    return _Interval(seconds, count, check_policy(missed))
