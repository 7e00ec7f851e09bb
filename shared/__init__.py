"""The concepts of async-rosetta as one backend-agnostic API on AnyIO.

asyncio's names (``Future``, ``TaskGroup``, ``gather``, ``run_in_executor``,
``wait_for``, ...) built on AnyIO: import it in your own library and its code runs
unchanged under ``anyio.run`` on either backend, ``asyncio.run`` (with or without
uvloop) and ``trio.run``. Where asyncio and Trio differ, it behaves as Trio does:
every task belongs to a task group, and cancellation is level-triggered.

The README's section "Use `shared` in your own code" (and the site's library page)
has a complete program and a line on each public name; the bare distribution
(``pip install .``) brings only anyio, trio and outcome. :mod:`common.interface`
holds the Protocol all three packages satisfy.
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
