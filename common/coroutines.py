"""What a Task accepts as a coroutine, and how it runs one that is only coroutine-like.

I/O-free helpers shared by the Task of ``impl_trio`` and of ``shared`` (asyncio's
Task has them built in).

asyncio's Task takes anything ``asyncio.iscoroutine()`` accepts: a native coroutine,
or an object with the :class:`collections.abc.Coroutine` methods (``send``,
``throw``, ``close``, ``__await__``), and drives it with ``send()`` and ``throw()``.
Such an object cannot always be ``await``-ed: ``__await__`` may return an object
that is not an iterator. :func:`drive` steps it the way asyncio's Task does, as an
awaitable that Trio and AnyIO can run.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeGuard, TypeVar

__all__ = ["drive", "is_coroutine"]

T = TypeVar("T")


def is_coroutine(obj: object) -> TypeGuard[Coroutine[Any, Any, Any]]:
    """``asyncio.iscoroutine()`` for Tasks: a coroutine, or the Coroutine ABC's methods."""
    return inspect.iscoroutine(obj) or isinstance(obj, Coroutine)


@types.coroutine
def _step(coro: Coroutine[Any, Any, T]) -> Generator[Any, Any, T]:
    # ``yield from`` by hand: the object has send() and throw() but may not be iterable.
    to_send: Any = None
    to_throw: BaseException | None = None
    while True:
        try:
            yielded = coro.send(to_send) if to_throw is None else coro.throw(to_throw)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        to_send, to_throw = None, None
        try:
            to_send = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # a cancellation, or anything thrown in: pass it on
            to_throw = exc


def drive(coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
    """*coro* itself if it is a native coroutine, else an awaitable stepping it."""
    if inspect.iscoroutine(coro):
        return coro
    return _run(coro)


async def _run(coro: Coroutine[Any, Any, T]) -> T:
    return await _step(coro)
