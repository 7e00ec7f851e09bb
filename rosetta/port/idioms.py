"""The idioms ``async-rosetta port`` recognises, and where each one's answers come from.

An :class:`Idiom` holds no equivalent and no difference of its own. It names:

* the **concept** it belongs to (a name of :data:`rosetta.concepts.CONCEPTS`, or
  ``None`` for the few idioms no concept module covers, such as ``asyncio.Lock``),
  and the **public names** of that concept's modules that are its equivalent in
  ``shared`` and ``impl_trio``;
* the **rows of the README's mapping table** whose Trio and ``shared`` cells are
  the equivalent lines (read from the generated index, :mod:`rosetta.port.index`);
* the **tests marked ``differs``** that assert how the equivalent behaves
  differently, by test function name (their node ids, summaries and the columns
  they differ in come from the index too);
* a **base severity** per target: ``"rewrite"`` when the target has no one-to-one
  equivalent (Trio has no ``gather``; no library has a task without a group),
  ``"rename"`` when it has one. A rename whose asserted differences apply to the
  target becomes ``"breaks"`` (:func:`severity`): the port reads the same and
  behaves otherwise.

``tests/test_port_catalogue.py`` fails if a concept, a public name, a mapping
row or a test named here does not exist, so the catalogue cannot cite something
that has drifted away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "IDIOMS",
    "SEVERITIES",
    "TARGETS",
    "Idiom",
    "Severity",
    "Target",
    "get_idiom",
    "severity",
]

Severity = Literal["breaks", "rewrite", "rename"]
Target = Literal["trio", "shared"]

#: Worst first: a port that reads the same and behaves otherwise is the one that bites.
SEVERITIES: tuple[Severity, ...] = ("breaks", "rewrite", "rename")
TARGETS: tuple[Target, ...] = ("trio", "shared")


@dataclass(frozen=True)
class Idiom:
    id: str  # kebab-case; the JSON "idiom" field and the Porting page's anchor
    title: str  # what was found, as a reader would say it
    concept: str | None
    names: tuple[str, ...]  # public names of the concept's modules; the first is linked
    mapping: tuple[str, ...]  # first-column labels of the README's mapping table
    differences: tuple[str, ...]  # names of test functions marked differs
    trio: Literal["rewrite", "rename"]
    shared: Literal["rewrite", "rename"]

    def base(self, target: Target) -> Literal["rewrite", "rename"]:
        return self.trio if target == "trio" else self.shared

    @property
    def page(self) -> str:
        """The site page (and anchor) that shows the equivalent."""
        if self.concept is None:
            return f"porting.html#idiom-{self.id}"
        if self.names:
            return f"{self.concept}.html#name-{self.names[0]}"
        return f"{self.concept}.html"


def severity(idiom: Idiom, targets: Iterable[Target], applying: Iterable[str]) -> Severity:
    """The worst severity over *targets*, given the targets some cited difference applies to.

    *applying* holds the targets for which at least one of the idiom's differences
    asserts a value other than asyncio's.
    """
    hit = set(applying)
    found: list[Severity] = []
    for target in targets:
        base = idiom.base(target)
        found.append("breaks" if base == "rename" and target in hit else base)
    return min(found, key=SEVERITIES.index) if found else "rename"


_UNGROUPED = ("group of tasks", "start a task")
_TASK_DIFFERENCES = ("test_ensure_future_without_a_group",)

IDIOMS: tuple[Idiom, ...] = (
    # -- tasks ----------------------------------------------------------------------------------
    Idiom(
        "create-task",
        "a task with no group (create_task)",
        "tasks",
        ("TaskGroup", "Task"),
        _UNGROUPED,
        _TASK_DIFFERENCES,
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "task-never-awaited",
        "a task with no group, never awaited (discarded, or stored and never awaited)",
        "tasks",
        ("TaskGroup", "Task"),
        _UNGROUPED,
        _TASK_DIFFERENCES,
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "ensure-future",
        "ensure_future: a coroutine becomes a task with no group",
        "tasks",
        ("ensure_future",),
        ("coerce to a future", "group of tasks"),
        _TASK_DIFFERENCES,
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "task-group",
        "asyncio.TaskGroup",
        "tasks",
        ("TaskGroup",),
        ("group of tasks", "start a task"),
        (),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "gather",
        "gather without return_exceptions",
        "tasks",
        ("gather",),
        ("run concurrently, collect",),
        (
            "test_gather_failure_and_the_other_awaitables",
            "test_gather_with_two_simultaneous_failures",
            "test_gather_with_a_bad_argument",
        ),
        trio="rewrite",
        shared="rename",
    ),
    Idiom(
        "gather-return-exceptions",
        "gather with return_exceptions=True",
        "tasks",
        ("gather",),
        ("run concurrently, collect",),
        ("test_gather_with_a_bad_argument",),
        trio="rewrite",
        shared="rename",
    ),
    Idiom(
        "wait",
        "asyncio.wait / as_completed: tasks raced or collected by hand",
        "tasks",
        ("TaskGroup",),
        ("wait for the first of several",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "cancel-not-awaited",
        "task.cancel() with no await of the task after it",
        "cancellation",
        ("CancelScope",),
        ("cancel a task",),
        (
            "test_cancel_raises_the_backend_cancellation_inside",
            "test_a_task_cancelled_before_it_first_runs",
            "test_an_await_in_the_cleanup_of_a_cancelled_task",
        ),
        trio="rewrite",
        shared="rename",
    ),
    # -- cancellation and timeouts ---------------------------------------------------------------
    Idiom(
        "wait-for",
        "asyncio.wait_for",
        "cancellation",
        ("wait_for",),
        ("time-limit an awaitable",),
        (
            "test_wait_for_timing_out_on_a_future",
            "test_a_result_arriving_with_the_cancellation",
            "test_wait_for_zero_and_a_coroutine_that_never_suspends",
        ),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "timeout",
        "asyncio.timeout / timeout_at",
        "cancellation",
        ("move_on_after", "fail_after"),
        ("a block with a timeout",),
        ("test_a_block_that_swallows_its_timeout",),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "shield",
        "asyncio.shield",
        "cancellation",
        ("shielded",),
        ("protect cleanup",),
        ("test_a_shielded_cleanup_completing_under_cancellation",),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "except-cancelled",
        "except CancelledError (re-raised)",
        "cancellation",
        ("CancelScope",),
        ("catch the cancellation",),
        ("test_cancel_raises_the_backend_cancellation_inside",),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "swallow-cancelled",
        "except CancelledError that does not re-raise (or suppress(CancelledError))",
        "cancellation",
        ("CancelScope",),
        ("catch the cancellation",),
        (
            "test_a_task_that_swallows_its_cancellation",
            "test_cancel_raises_the_backend_cancellation_inside",
        ),
        trio="rename",
        shared="rename",
    ),
    # -- futures -----------------------------------------------------------------------------
    Idiom(
        "future",
        "a bare Future (asyncio.Future() or loop.create_future())",
        "futures",
        ("Future",),
        ("a value that arrives later",),
        (
            "test_unresolved_future_waits_forever",
            "test_awaiting_a_done_future_is_a_checkpoint_or_not",
        ),
        trio="rewrite",
        shared="rename",
    ),
    Idiom(
        "set-result",
        "set_result / set_exception on a future made here",
        "futures",
        ("Future",),
        ("set it",),
        (),
        trio="rewrite",
        shared="rename",
    ),
    Idiom(
        "add-done-callback",
        "add_done_callback",
        "futures",
        ("Future",),
        ("done callbacks",),
        ("test_failing_callback_is_reported_and_others_still_run",),
        trio="rewrite",
        shared="rename",
    ),
    # -- threads -----------------------------------------------------------------------------
    Idiom(
        "run-in-executor",
        "loop.run_in_executor",
        "executors",
        ("run_in_executor",),
        ("blocking call on a thread",),
        ("test_contextvars_reach_the_worker_or_not",),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "to-thread",
        "asyncio.to_thread",
        "executors",
        ("run_in_executor",),
        ("await a blocking call",),
        (),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "call-soon-threadsafe",
        "loop.call_soon_threadsafe",
        "executors",
        (),
        ("back to the loop from a thread",),
        (),
        trio="rename",
        shared="rename",
    ),
    # -- callbacks and timers --------------------------------------------------------------------
    Idiom(
        "call-soon",
        "loop.call_soon: a callback with no group",
        "timers",
        ("set_timeout",),
        ("call soon, call later",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "call-later",
        "loop.call_later / call_at: a delayed callback with no group",
        "timers",
        ("set_timeout", "ScheduledCall"),
        ("call soon, call later",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "sleep-loop",
        "a periodic loop: work, then await asyncio.sleep(period) (drifts)",
        "timers",
        ("interval", "Timer", "set_interval"),
        ("repeat on a fixed grid",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    # -- synchronisation ---------------------------------------------------------------------
    Idiom(
        "queue",
        "asyncio.Queue (LifoQueue, PriorityQueue)",
        None,
        (),
        ("a queue between tasks",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "event",
        "asyncio.Event",
        None,
        (),
        ("an event",),
        (),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "lock",
        "asyncio.Lock / Condition",
        None,
        (),
        ("a lock, a condition",),
        (),
        trio="rename",
        shared="rename",
    ),
    Idiom(
        "semaphore",
        "asyncio.Semaphore / BoundedSemaphore",
        None,
        (),
        ("a semaphore",),
        (),
        trio="rename",
        shared="rename",
    ),
    # -- networking and readiness ------------------------------------------------------------
    Idiom(
        "open-connection",
        "asyncio.open_connection: a reader and a writer",
        None,
        (),
        ("connect over TCP",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "start-server",
        "asyncio.start_server / loop.create_server",
        "servers",
        ("serve_echo",),
        ("serve TCP",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "protocol",
        "a Protocol subclass: callbacks per connection",
        "servers",
        ("serve_echo",),
        ("a protocol: callbacks per connection",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "add-reader",
        "loop.add_reader / add_writer: a readiness callback",
        "readiness",
        ("wait_readable", "wait_writable"),
        ("wait until a socket is ready",),
        ("test_a_second_waiter_on_the_same_socket_is_refused",),
        trio="rewrite",
        shared="rewrite",
    ),
    # -- the loop itself -----------------------------------------------------------------------
    Idiom(
        "get-event-loop",
        "the loop object (get_event_loop, get_running_loop, new_event_loop)",
        None,
        (),
        ("the loop object",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "run-until-complete",
        "loop.run_until_complete / run_forever: the loop driven by hand",
        None,
        (),
        ("run the program",),
        (),
        trio="rewrite",
        shared="rewrite",
    ),
    Idiom(
        "run",
        "asyncio.run",
        None,
        (),
        ("run the program",),
        (),
        trio="rename",
        shared="rename",
    ),
)

_BY_ID = {idiom.id: idiom for idiom in IDIOMS}


def get_idiom(idiom_id: str) -> Idiom:
    """The idiom called *idiom_id*; :exc:`KeyError` naming the known ids otherwise."""
    try:
        return _BY_ID[idiom_id]
    except KeyError:
        raise KeyError(f"unknown idiom {idiom_id!r}; known: {', '.join(_BY_ID)}") from None
