"""The arithmetic of a drift-free periodic timer, with no I/O and no event loop.

``impl_asyncio/timers.py``, ``impl_trio/timers.py`` and ``shared/timers.py`` wait
in their own ways (``loop.call_at``, ``trio.move_on_at``, an AnyIO cancel scope
with a deadline); what a tick's deadline is, which ticks a late timer skips, and
which arguments are accepted is the same for all three, so it is written once,
here. Tick *n* of a run is due at ``start + n * delay``: one multiplication from
the start, never a sum of sleeps.

Error handling
--------------
The ``check_*`` functions raise :exc:`TypeError` for a value that is not a number
and :exc:`ValueError` for one out of range, naming the accepted range
(:mod:`common.checks`).
"""

from __future__ import annotations

import math
from typing import Literal

from common import checks

__all__ = ["Missed", "check_seconds", "check_repeat_count", "check_policy", "catch_up"]

Missed = Literal["skip", "burst"]


# -- arguments ----------------------------------------------------------------------------


def check_seconds(what: str, value: object, *, zero_ok: bool = False) -> float:
    """A timer's delay or period: a finite number of seconds, > 0 (>= 0 if *zero_ok*)."""
    return checks.check_seconds(what, value, zero_ok=zero_ok, finite=True)


def check_repeat_count(value: object) -> int:
    return checks.check_count("repeat_count", value, minimum=0, note=" (0: forever)")


def check_policy(value: object) -> Missed:
    if value == "skip":
        return "skip"
    if value == "burst":
        return "burst"
    raise ValueError(f"missed must be 'skip' or 'burst'; got {value!r}")


# -- the schedule ---------------------------------------------------------------------------


def catch_up(
    slot: int, now: float, start: float, first: int, delay: float, last: int, missed: Missed
) -> int:
    """The slot to wait for instead of *slot*, whose deadline may have passed.

    Slot *k* is due at ``start + (k - first) * delay``. *last* is the final slot
    of a finite timer, 0 for none; it is never skipped.
    """
    if missed == "burst" or start + (slot - first) * delay >= now:
        return slot
    # The first slot due at or after now; the loops only correct float rounding.
    target = max(slot, first + math.ceil((now - start) / delay))
    while start + (target - first) * delay < now:
        target += 1
    while target > slot and start + (target - 1 - first) * delay >= now:
        target -= 1
    return min(target, last) if last else target
