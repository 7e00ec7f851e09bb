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

The bookkeeping, the tick loop, ``async for`` and :class:`ScheduledCall` are the
same in every column and live in :mod:`common.timerbase`; this file holds what
is asyncio's own: the clock, the wait for a deadline that ``stop()`` can end, and
how the ticking task is started in its task group (handing a tick to ``async for``
is no checkpoint here: asyncio has none).

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
any ``missed`` but ``"skip"`` or ``"burst"`` raise an error naming the accepted
range: :exc:`TypeError` for a value that is not a number, :exc:`ValueError` for
one out of range. An exception raised by a callback stops the timer and is raised
in its task, so the group cancels its other tasks and raises it in an
:exc:`ExceptionGroup` from ``async with`` — never logged and dropped.
``start()`` on a running timer does nothing (as AS3's does); on a timer that
has delivered all of its ``repeat_count`` ticks it raises :exc:`RuntimeError`
(``reset()`` it first); when the group is not active (already exited, or never
entered) it raises :exc:`RuntimeError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from common import timerbase
from common.timergrid import Missed

__all__ = ["Timer", "Tick", "ScheduledCall", "set_interval", "set_timeout", "interval"]


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


class _Run(timerbase.Run):
    __slots__ = ("waiter",)

    def __init__(self, start: float, first: int) -> None:
        super().__init__(start, first)
        self.waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.waiter is not None:
            _wake(self.waiter)


# -- Timer ----------------------------------------------------------------------------------


class Timer(timerbase.TimerBase[asyncio.TaskGroup]):
    """A timer that ticks every *delay* seconds, *repeat_count* times (0: until stopped).

    ActionScript 3's Timer with seconds for milliseconds, ticking in a task of
    *task_group*. Nothing happens until :meth:`start` (or ``async for``).

    Error handling
    --------------
    See the module: invalid arguments raise :exc:`TypeError` or :exc:`ValueError`;
    an exception in a callback stops the timer and propagates through the group.
    """

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _new_run(self, start: float, first: int) -> _Run:
        return _Run(start, first)

    async def _sleep_until(self, deadline: float, run: timerbase.Run) -> None:
        assert isinstance(run, _Run)
        await _sleep_until(deadline, run)

    def _spawn(self, run: timerbase.Run) -> None:
        coro = self._tick(run)
        try:
            self._group.create_task(coro, name=self._task_name)
        except RuntimeError as exc:
            coro.close()  # never started: don't leave a never-awaited coroutine behind
            raise RuntimeError(
                "Timer.start(): its task group is not active (exited, or not entered yet); "
                "a timer only runs inside the group it was given"
            ) from exc

    def _new_event(self) -> asyncio.Event:
        return asyncio.Event()


Tick = timerbase.Tick
ScheduledCall = timerbase.ScheduledCall


# -- set_interval, set_timeout --------------------------------------------------------------


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
    As :class:`Timer`: a bad *period* or *missed* raises :exc:`TypeError` or
    :exc:`ValueError`; an exception from *fn* clears the interval and propagates
    through the group.
    """
    return timerbase.start_interval(Timer, fn, period, args, task_group, missed)


def set_timeout(
    fn: Callable[..., object | Awaitable[object]],
    delay: float,
    *args: Any,
    task_group: asyncio.TaskGroup,
) -> ScheduledCall:
    """Call ``fn(*args)`` once, *delay* seconds from now (JavaScript's ``setTimeout``).

    A delay of 0 calls it as soon as the loop gets to it. The group waits for
    the call unless it is cleared first.

    Error handling
    --------------
    A bad *delay* raises :exc:`TypeError` or :exc:`ValueError`; an exception from
    *fn* propagates through the group.
    """
    return timerbase.start_timeout(Timer, fn, delay, args, task_group)


# -- interval -------------------------------------------------------------------------------


class _Interval(timerbase.IntervalBase):
    __slots__ = ()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _sleep_until(self, deadline: float) -> None:
        await _sleep_until(deadline)


def interval(
    period: float, count: int | None = None, *, missed: Missed = "skip"
) -> AsyncIterator[int]:
    """Tick numbers 1, 2, 3, ..., tick *n* at *n* periods after iteration begins.

    ``async for n in interval(0.5, 10)`` runs its body on a half-second grid, ten
    times; with ``count=None``, until the loop is left. The body runs in the
    caller's own task, so no group is needed. When the body overruns, the
    numbers show it: ``missed="skip"`` jumps over the passed ticks (1, 2, 5, ...),
    ``"burst"`` returns each of them at once.

    Error handling
    --------------
    A *period* that is not a number > 0, a *count* that is not ``None`` or an
    int >= 1, or a bad *missed* raises :exc:`TypeError` or :exc:`ValueError`
    here, before iterating.
    """
    return _Interval(period, count, missed)
