"""The concepts of async-rosetta written with Trio (and ``outcome``).

It also uses :mod:`common`, the loop-free pieces the three columns share; it does
not load AnyIO (``tests/test_layout.py``).
"""

from __future__ import annotations

from .cancellation import CancelScope, fail_after, move_on_after, shielded, wait_for
from .executors import run_in_executor
from .futures import CancelledError, Future, InvalidStateError
from .readiness import recv_some, send_all, wait_readable, wait_writable
from .servers import serve_echo
from .tasks import Task, TaskGroup, ensure_future, gather
from .timers import ScheduledCall, Tick, Timer, interval, set_interval, set_timeout

__all__ = [
    "Future",
    "Task",
    "TaskGroup",
    "CancelledError",
    "InvalidStateError",
    "ensure_future",
    "gather",
    "run_in_executor",
    "CancelScope",
    "move_on_after",
    "fail_after",
    "wait_for",
    "shielded",
    "Timer",
    "Tick",
    "ScheduledCall",
    "set_interval",
    "set_timeout",
    "interval",
    "wait_readable",
    "wait_writable",
    "recv_some",
    "send_all",
    "serve_echo",
]
