"""Argument checks, one behaviour for every column: checked before any work starts.

A value of the wrong kind (not a number, or ``bool``, which is an ``int`` but never a
duration or a count) raises :exc:`TypeError`; a number out of range raises
:exc:`ValueError`. Both say ``WHAT must be ACCEPTED; got VALUE``.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["TIMEOUT", "check_count", "check_seconds", "check_timeout"]

#: What a timeout accepts (``move_on_after``, ``fail_after``, ``wait_for``).
TIMEOUT = "a number of seconds >= 0 (0: already expired, math.inf: never)"


def _seconds_accepted(zero_ok: bool, finite: bool) -> str:
    if not finite:
        return "a number of seconds >= 0" if zero_ok else "a number of seconds > 0"
    return "a number of seconds, " + ("0 <= seconds < inf" if zero_ok else "0 < seconds < inf")


def check_seconds(
    what: str,
    value: object,
    *,
    zero_ok: bool = True,
    finite: bool = False,
    accepted: str | None = None,
) -> float:
    """*value* as a float of seconds: ``>= 0`` (``> 0`` unless *zero_ok*), finite if
    *finite*; NaN is never accepted. *accepted* replaces the generated description."""
    if accepted is None:
        accepted = _seconds_accepted(zero_ok, finite)
    # bool is an int, but move_on_after(True) is a mistake, not one second.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be {accepted}; got {value!r}")
    seconds = float(value)
    in_range = seconds >= 0 if zero_ok else seconds > 0
    if math.isnan(seconds) or not in_range or (finite and math.isinf(seconds)):
        raise ValueError(f"{what} must be {accepted}; got {value!r}")
    return seconds


def check_timeout(what: str, value: object) -> float:
    """A timeout: seconds ``>= 0``, where 0 has already expired and ``math.inf`` never does."""
    return check_seconds(what, value, accepted=TIMEOUT)


def check_count(what: str, value: object, *, minimum: int, note: str = "") -> int:
    """*value* as an int ``>= minimum``; *note* follows the range in the message."""
    accepted = f"an int >= {minimum}{note}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be {accepted}; got {value!r}")
    if not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be {accepted}; got {value!r}")
    return value
