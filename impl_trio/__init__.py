"""The concepts of async-rosetta written with Trio (and ``outcome``)."""

from __future__ import annotations

from .executors import run_in_executor
from .futures import CancelledError, Future, InvalidStateError
from .tasks import Task, TaskGroup, ensure_future, gather

__all__ = [
    "Future",
    "Task",
    "TaskGroup",
    "CancelledError",
    "InvalidStateError",
    "ensure_future",
    "gather",
    "run_in_executor",
]
