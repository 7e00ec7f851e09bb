"""``ensure_list``: the everyday cousin of ``ensure_future``.

A framework function that accepts "a thing or several things" coerces its
argument once, at the door, so the rest of its code handles a single known
type. ``ensure_future`` does the same for awaitables: a Future (or Task) is
passed through unchanged, a coroutine is wrapped in a new Task.

==========================  =============================  ===============================
input                       ``ensure_list``                ``ensure_future``
==========================  =============================  ===============================
already the target type     a ``list``: returned as is     a Future/Task: returned as is
a single item               ``x`` → ``[x]``                a coroutine → a new Task
a convertible collection    tuple, set, generator → list   (an awaitable → a new Task)
==========================  =============================  ===============================

Application code rarely needs either: it builds lists with ``[...]`` and tasks
with ``create_task``. Both are tools for people writing APIs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ensure_list"]


def ensure_list(obj: object) -> list[Any]:
    """Return *obj* if it is a list, a new list of its items if it is iterable, else ``[obj]``.

    Strings and bytes count as single items, not as iterables of characters.
    The identity of a list argument is kept (``ensure_list(xs) is xs``), as
    ``ensure_future(task) is task``.
    """
    if isinstance(obj, list):
        return obj
    if isinstance(obj, str | bytes | bytearray) or not isinstance(obj, Iterable):
        return [obj]
    return list(obj)
