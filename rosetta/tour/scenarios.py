"""The tour's scenario framework: each scenario written once, run in every column.

The scenarios themselves live one concept per module beside this one
(``futures.py``, ``tasks.py``, ... named like the concept modules); each registers
its scenarios here, in :data:`SCENARIOS`, on import.

A scenario is an ``async def`` taking an :class:`Env` and returning a short string
or a list of events. It uses only ``env.api`` (the column's package) plus
``env.sleep`` / ``env.within``, which pick the package's own idiom for sleeping
and timing out. An exception escaping a scenario is a result too: the tour shows
it in the cell.

Scenarios catch the exceptions they expect and report only the type when the
packages word the message differently; a message is no behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from rosetta.columns import Column

__all__ = [
    "ASIDES",
    "SCENARIOS",
    "Aside",
    "Env",
    "Outcome",
    "Scenario",
    "asyncio_only",
    "describe_exception",
    "future_state",
    "never",
    "on_trio",
    "scenario",
    "until",
    "until_done",
]

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
        await self.column.sleep(seconds)

    async def within(self, seconds: float, aw: Awaitable[T]) -> T:
        """Await *aw*; raise :exc:`TimeoutError` if it takes longer than *seconds*."""
        async with self.column.fail_after(seconds):
            return await aw


def asyncio_only(column: Column) -> bool:
    """The group of a scenario where plain asyncio differs from the other columns."""
    return column.native_asyncio


def on_trio(column: Column) -> bool:
    return column.on_trio


def never(column: Column) -> bool:
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
    group: Callable[[Column], bool] = field(default=never)
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


def future_state(fut: Any) -> str:
    """``pending``, ``done`` or ``cancelled``."""
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
    group: Callable[[Column], bool] = never,
    seconds: float = 2.0,
) -> Callable[[Callable[[Env], Awaitable[Outcome]]], Callable[[Env], Awaitable[Outcome]]]:
    """Register the decorated function as a scenario; the order of definition is the order shown."""

    def register(fn: Callable[[Env], Awaitable[Outcome]]) -> Callable[[Env], Awaitable[Outcome]]:
        SCENARIOS.append(Scenario(concept, title, explanation, fn, group, seconds))
        return fn

    return register


async def until_done(env: Env, fut: Any) -> None:
    """Wait, polling, until *fut* is done."""
    # Poll instead of awaiting: on asyncio, cancelling a waiter would cancel the Future too.
    await until(env, fut.done)


async def until(env: Env, condition: Callable[[], bool]) -> None:
    """Wait, polling every 2 ms, until *condition()* holds."""
    while not condition():
        await env.sleep(0.002)
