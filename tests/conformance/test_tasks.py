"""CPython 3.11's ``Lib/test/test_asyncio/test_tasks.py`` (Task, cancel, gather,
ensure_future, create_task), re-expressed for every column.

Upstream makes tasks with ``Task(coro, loop=...)`` or ``asyncio.create_task``, ungrouped,
and drives the loop by hand (``run_briefly``, ``run_until_complete``). Here every task
belongs to a ``TaskGroup`` (Trio and AnyIO have no other kind), the loop is the
column's own, and "run briefly" is a short ``anyio.sleep``. A coroutine that catches
its cancellation catches the backend's exception (``anyio.get_cancelled_exc_class()``);
what awaiting a cancelled task or future raises is the package's ``CancelledError``.
``gather()`` returns a coroutine in all three packages (asyncio's returns a future), so
upstream's checks on the gathering future are made on a task running ``gather()``.

Left out, and why
-----------------
Not in the interface (asyncio names the three packages do not share):

* ``test_get_stack`` (``Task.get_stack``/``print_stack``), ``test_get_coro``,
  ``test_current_task``, ``test_current_task_with_interleaving_tasks``,
  ``BaseCurrentLoopTests`` (3 cases: ``asyncio.current_task``),
  ``test_iscoroutinefunction``, ``test_coroutine_non_gen_function``
  (``asyncio.iscoroutinefunction``).
* ``test_cancelling``, ``test_uncancel_basic``, ``test_uncancel_structured_blocks``:
  ``Task.cancelling()`` / ``uncancel()``, asyncio's count of pending edge-triggered
  cancel requests. With level-triggered scopes there is nothing to count; the
  structured-block pattern they build by hand is ``cancellation.py``'s ``fail_after``.
* ``test_wait``, ``test_wait_duplicate_coroutines``, ``test_wait_errors``,
  ``test_wait_first_completed``, ``test_wait_really_done``,
  ``test_wait_first_exception``, ``test_wait_first_exception_in_wait``,
  ``test_wait_with_exception``, ``test_wait_with_timeout``,
  ``test_wait_concurrent_complete``, ``test_wait_with_iterator_of_tasks``,
  ``test_wait_invalid_args``, ``test_yield_wait_does_not_shield_cancel``
  (``asyncio.wait``); ``test_as_completed``, ``test_as_completed_with_timeout``,
  ``test_as_completed_with_unused_timeout``, ``test_as_completed_reverse_wait``,
  ``test_as_completed_concurrent``, ``test_as_completed_duplicate_coroutines``,
  ``test_as_completed_coroutine_without_loop``,
  ``test_as_completed_coroutine_use_running_loop``,
  ``test_as_completed_invalid_args`` (``asyncio.as_completed``); ``test_sleep``,
  ``test_sleep_cancel``, ``SleepTests::test_sleep_zero`` (``asyncio.sleep``);
  ``RunCoroutineThreadsafeTests`` (5 cases: ``run_coroutine_threadsafe``).
* ``test_bare_create_named_task``: a module-level ``create_task(name=)``; names are
  ``test_taskgroups.py::test_taskgroup_task_name``, tasks without a group
  ``test_bare_create_task``.
* ``test_context_4``, ``test_context_5``, ``test_context_6``: ``create_task(...,
  context=ctx)``; Trio's and AnyIO's ``start_soon`` take no context.
* ``test_ensure_future_error_msg`` and the ``loop=`` halves of
  ``test_ensure_future_future`` / ``test_ensure_future_task``: the ``loop`` argument.
* ``test_cancel_gather_1``: ``cancel()`` on asyncio's gathering future once its
  children are done (bpo-26923); ``gather()`` returns a coroutine here.
* ``FutureGatherTests::test_constructor_empty_sequence_without_loop``,
  ``test_constructor_empty_sequence_use_global_loop``,
  ``test_constructor_homogenous_futures``,
  ``CoroutineGatherTests::test_constructor_without_loop``,
  ``test_constructor_use_global_loop``, ``test_ensure_future_coroutine``'s and
  ``test_task_class``'s global-loop halves: which loop ``gather()`` or a Task binds to
  when none runs; a coroutine function binds nothing until it runs.
* ``test_shield_result``, ``test_shield_exception``, ``test_shield_cancel_inner``,
  ``test_shield_cancel_outer``, ``test_shield_shortcut``, ``test_shield_effect``,
  ``test_shield_gather``, ``test_gather_shield``,
  ``test_shield_coroutine_without_loop``, ``test_shield_coroutine_use_running_loop``,
  ``test_shield_coroutine_use_global_loop``: ``asyncio.shield`` is the cancellation
  concept's ``shielded`` (``cancellation.py``); these are mirrored in
  ``test_shield.py``, whose docstring lists the ones left out there.

Loop internals, private names, and what a task group makes impossible:

* ``test_task_cancel_message_setter`` (writes ``_cancel_message``),
  ``test_log_traceback`` (writes ``_log_traceback``), ``test_step_result_future``
  (that a Task adds a done callback to the future it waits on),
  ``test_stop_while_run_in_complete`` (``loop.stop()``), ``test_error_in_call_soon``
  (a failing ``loop.call_soon``), ``BaseTaskIntrospectionTests`` /
  ``PyIntrospectionTests`` / ``CIntrospectionTests`` (``_register_task``,
  ``_enter_task``, ``_leave_task``, ``_unregister_task``: 9 cases each),
  ``SetMethodsTest::test_set_result_causes_invalid_state`` and
  ``test_set_exception_causes_invalid_state`` (``Future.set_result`` called unbound on
  a Task, then the loop's "step(): already done").
* ``test_log_destroyed_pending_task``: a pending task garbage collected; a task held
  by a group that waits for it cannot be. ``test_tb_logger_not_called_after_cancel``:
  an ungrouped task's exception never retrieved; a group always takes it.
* ``GatherTestsBase::test_env_var_debug`` (both subclasses): ``PYTHONASYNCIODEBUG``.

Representation and debug mode: ``test_task_repr``, ``test_task_repr_autogenerated``,
``test_task_repr_wait_for``, ``test_task_source_traceback``.

C-versus-Python duplication: ``BaseTaskTests`` runs as ``CTask_CFuture_Tests``,
``CTask_CFuture_SubclassTests``, ``CTaskSubclass_PyFuture_Tests``,
``PyTask_CFutureSubclass_Tests``, ``CTask_PyFuture_Tests``, ``PyTask_CFuture_Tests``,
``PyTask_PyFuture_Tests`` and ``PyTask_PyFuture_SubclassTests``; mirrored once.
``test_subclasses_ctask_cfuture`` (added to the subclass variants),
``CTask_CFuture_Tests::test_refleaks_in_task___init__``,
``test_del__log_destroy_pending_segfault``, ``CTask_Future_Tests::test_foobar`` and
``GenericTaskTests::test_asyncio_module_compiled`` test the C module itself.
"""

from __future__ import annotations

import contextvars
import gc
import random
import threading
import traceback
from collections.abc import Coroutine, Generator
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from common.interface import ConcurrencyAPI, FutureLike, TaskGroupLike
from rosetta.columns import Column

from ..conftest import expect
from ._tasks_helpers import LONG, U, run_as_task

pytestmark = [pytest.mark.anyio, pytest.mark.concept("tasks")]

# Cancel arguments and the CancelledError args they produce (upstream's subtest cases).
CANCEL_CASES: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = [
    ((), ()),
    ((None,), ()),
    (("my message",), ("my message",)),
    ((5,), (5,)),  # a message that is not a string round-trips
]


def cancelled_exc() -> type[BaseException]:
    """What a coroutine sees when it is cancelled, in this column."""
    return anyio.get_cancelled_exc_class()


async def run_briefly() -> None:
    """Let the loop run the steps that are ready (upstream's ``test_utils.run_briefly``).

    Only ever followed by a check that something has *not* happened: on a loaded
    machine a short sleep proves nothing about what has. Progress is waited for
    (:func:`wait_done`, events)."""
    await anyio.sleep(U / 4)


async def wait_done(fut: FutureLike[Any]) -> None:
    """Wait until *fut* is done without reading its outcome (upstream:
    ``await asyncio.wait([task])``)."""
    done = anyio.Event()
    fut.add_done_callback(lambda _: done.set())
    await done.wait()


def innermost_context(exc: BaseException) -> tuple[type[BaseException], tuple[Any, ...], int]:
    """Upstream's ``get_innermost_context``: the end of the ``__context__`` chain."""
    depth = 0
    while exc.__context__ is not None:
        exc = exc.__context__
        depth += 1
    return type(exc), exc.args, depth


async def task_in_group(api: ConcurrencyAPI, coro: Coroutine[Any, Any, Any]) -> Any:
    """Upstream's ``run_until_complete(new_task(coro))``: the task's result."""
    task = await run_as_task(api, coro)
    return task.result()


class CoroLikeObject:
    """Upstream's coroutine-like object: the Coroutine ABC's methods, no coroutine."""

    def send(self, value: Any) -> Any:
        raise StopIteration(42)

    def throw(self, *exc: Any) -> Any:
        pass

    def close(self) -> None:
        pass

    def __await__(self) -> Any:
        return self


# -- BaseTaskTests --------------------------------------------------------------------------


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_generic_alias")
async def test_generic_alias(api: ConcurrencyAPI) -> None:
    alias = api.Task[str]  # type: ignore[index]
    assert alias.__args__ == (str,)
    assert alias.__origin__ is api.Task


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_cancel_message_getter")
async def test_task_cancel_message_getter(api: ConcurrencyAPI, column: Column) -> None:
    """A task cancelled before it runs, whose coroutine has no await at all. asyncio
    never runs it: CancelledError with the message. In Trio and AnyIO the cancellation
    waits for a checkpoint, and this coroutine returns before reaching one: the task
    has finished, with its result. With a checkpoint, the message arrives everywhere."""

    async def coro() -> None:
        pass

    async def with_checkpoint() -> None:
        await anyio.lowlevel.checkpoint()

    async with api.TaskGroup() as tg:
        t = tg.create_task(coro())
        t.cancel("my message")
        u = tg.create_task(with_checkpoint())
        u.cancel("my message")
    try:
        t.result()
    except api.CancelledError as exc:
        outcome = f"cancelled {exc.args}"
    else:
        outcome = "finished"
    assert outcome == expect(
        column,
        {
            "impl_asyncio": "cancelled ('my message',)",
            "impl_trio": "finished",
            "shared": "finished",
        },
    )
    with pytest.raises(api.CancelledError) as raised:
        u.result()
    assert raised.value.args == ("my message",)


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_del_collect")
async def test_task_del_collect(api: ConcurrencyAPI) -> None:
    """Task results whose ``__del__`` runs the garbage collector while the tasks are
    freed: no crash (upstream: 100 tasks; a full collection costs tens of milliseconds
    here, so 10)."""
    collections: list[int] = []

    class Evil:
        def __del__(self) -> None:
            collections.append(gc.collect())

    async def run() -> Evil:
        return Evil()

    async with api.TaskGroup() as tg:
        tasks = [tg.create_task(run()) for _ in range(10)]
        results = await api.gather(*tasks)
    assert [type(r) for r in results] == [Evil] * 10
    del tasks, results
    gc.collect()


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_other_loop_future")
def test_other_loop_future(column: Column) -> None:
    """A task of one run awaits a Future of another: RuntimeError."""
    api = column.api

    async def make() -> FutureLike[Any]:
        made: FutureLike[Any] = api.Future()
        return made

    fut = column.run(make)

    async def run(other: FutureLike[Any]) -> None:
        async with api.TaskGroup() as tg:
            task = tg.create_task(_await(other))
            await wait_done(task)
        raise AssertionError("unreachable: the task fails")

    with pytest.raises(ExceptionGroup) as raised:
        column.run(run, fut)
    (error,) = raised.value.exceptions
    assert isinstance(error, RuntimeError)
    assert any(words in str(error) for words in ("different loop", "another"))


async def _await(aw: Any) -> Any:
    return await aw


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_awaits_on_itself")
async def test_task_awaits_on_itself(api: ConcurrencyAPI) -> None:
    """A task that awaits itself gets RuntimeError (it would otherwise wait forever)."""
    task: FutureLike[None] | None = None

    async def coro() -> None:
        await anyio.lowlevel.checkpoint()
        assert task is not None
        await task

    with pytest.raises(ExceptionGroup) as raised:
        async with api.TaskGroup() as tg:
            task = tg.create_task(coro())
    (error,) = raised.value.exceptions
    assert isinstance(error, RuntimeError)
    assert "Task cannot await on itself" in str(error)
    assert task is not None
    assert task.exception() is error


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_class")
async def test_task_class(api: ConcurrencyAPI) -> None:
    async def notmuch() -> str:
        return "ok"

    async with api.TaskGroup() as tg:
        t = tg.create_task(notmuch())
    assert t.done()
    assert t.result() == "ok"


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_ensure_future_coroutine")
async def test_ensure_future_coroutine(api: ConcurrencyAPI) -> None:
    """A coroutine becomes a task; with no event loop at all (a fresh thread) the call
    is refused with RuntimeError, and the coroutine can still be closed."""

    async def notmuch() -> str:
        return "ok"

    async with api.TaskGroup() as tg:
        t = api.ensure_future(notmuch(), task_group=tg)
        assert isinstance(t, api.Task)
    assert t.result() == "ok"

    orphan = notmuch()
    errors: list[BaseException] = []

    def without_loop() -> None:
        try:
            api.ensure_future(orphan)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=without_loop)
    thread.start()
    thread.join()
    orphan.close()
    assert [type(e) for e in errors] == [RuntimeError]


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_ensure_future_future")
async def test_ensure_future_future(api: ConcurrencyAPI) -> None:
    f_orig = api.Future()
    f_orig.set_result("ko")
    f = api.ensure_future(f_orig)
    assert await f == "ko"
    assert f.done()
    assert f is f_orig


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_ensure_future_task")
async def test_ensure_future_task(api: ConcurrencyAPI) -> None:
    async def notmuch() -> str:
        return "ok"

    async with api.TaskGroup() as tg:
        t_orig = tg.create_task(notmuch())
        t = api.ensure_future(t_orig)
        assert await t == "ok"
    assert t.done()
    assert t.result() == "ok"
    assert t is t_orig


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_ensure_future_awaitable")
async def test_ensure_future_awaitable(api: ConcurrencyAPI) -> None:
    class Aw:
        def __init__(self, coro: Coroutine[Any, Any, str]) -> None:
            self.coro = coro

        def __await__(self) -> Generator[Any, None, str]:
            return self.coro.__await__()

    async def coro() -> str:
        return "ok"

    async with api.TaskGroup() as tg:
        fut = api.ensure_future(Aw(coro()), task_group=tg)
    assert fut.result() == "ok"


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_ensure_future_neither")
async def test_ensure_future_neither(api: ConcurrencyAPI) -> None:
    with pytest.raises(TypeError):
        api.ensure_future("ok")


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_repr_name_not_str")
async def test_task_repr_name_not_str(api: ConcurrencyAPI) -> None:
    async def notmuch() -> int:
        return 123

    async with api.TaskGroup() as tg:
        t = tg.create_task(notmuch(), name={6})  # upstream's odd name: not a str
        assert t.get_name() == "{6}"


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_basics")
async def test_task_basics(api: ConcurrencyAPI) -> None:
    async def outer() -> int:
        a = await inner1()
        b = await inner2()
        return a + b

    async def inner1() -> int:
        return 42

    async def inner2() -> int:
        return 1000

    assert await task_in_group(api, outer()) == 1042


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_exception_chaining_after_await")
async def test_exception_chaining_after_await(api: ConcurrencyAPI) -> None:
    """Awaiting a failed task inside ``except`` chains its error to the one handled.

    The failing task is in a group of its own: a group cancels its other tasks and its
    body when one fails (asyncio would then throw CancelledError into the awaiter
    instead of the error), and upstream's task has no group."""

    async def raise_error() -> None:
        await anyio.lowlevel.checkpoint()
        raise ValueError

    caught: list[Exception] = []

    async def run(failing: TaskGroupLike, created: anyio.Event) -> None:
        try:
            raise KeyError(3)
        except Exception:
            task = failing.create_task(raise_error())
            created.set()
            try:
                await task
            except Exception as exc:
                caught.append(exc)

    created = anyio.Event()
    async with api.TaskGroup() as awaiters:
        with pytest.raises(ExceptionGroup):  # noqa: PT012 - the group block is the subject
            async with api.TaskGroup() as failing:
                awaiters.create_task(run(failing, created))
                await created.wait()
    assert [type(e) for e in caught] == [ValueError]
    context = caught[0].__context__
    assert context is not None
    assert (type(context), context.args) == (KeyError, (3,))


@pytest.mark.upstream(
    "test_tasks.py::BaseTaskTests::test_exception_chaining_after_await_with_context_cycle"
)
async def test_exception_chaining_after_await_with_context_cycle(api: ConcurrencyAPI) -> None:
    """bpo-40696: the task raises the very exception its awaiter is handling; no cycle.
    (The failing task has a group of its own, as in the case above.)"""
    has_cycle: list[bool] = []

    async def process_exc(exc: BaseException) -> None:
        await anyio.lowlevel.checkpoint()
        raise exc

    async def run(failing: TaskGroupLike, created: anyio.Event) -> None:
        try:
            raise KeyError("a")
        except Exception as exc:
            task = failing.create_task(process_exc(exc))
            created.set()
            try:
                await task
            except KeyError as raised:
                has_cycle.append(raised is raised.__context__)
                raised.__context__ = None  # no hang if there is one

    created = anyio.Event()
    async with api.TaskGroup() as awaiters:
        with pytest.raises(ExceptionGroup):  # noqa: PT012 - the group block is the subject
            async with api.TaskGroup() as failing:
                awaiters.create_task(run(failing, created))
                await created.wait()
    assert has_cycle == [False]


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel")
async def test_cancel(api: ConcurrencyAPI) -> None:
    async def task() -> int:
        await anyio.sleep(LONG)
        return 12

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        await run_briefly()
        t.cancel()
        with pytest.raises(api.CancelledError):
            await t
    assert t.done()
    assert t.cancelled()
    assert not t.cancel()


async def _cancel_then_read(
    api: ConcurrencyAPI, cancel_args: tuple[Any, ...], read: str
) -> FutureLike[Any]:
    """Upstream's coro(): cancel a sleeping task, wait for it, read its outcome (which
    raises CancelledError out of the reader, so the reader's task ends cancelled)."""

    async def sleep() -> None:
        await anyio.sleep(LONG)

    async def coro(tg: TaskGroupLike) -> None:
        task = tg.create_task(sleep())
        await anyio.lowlevel.checkpoint()
        task.cancel(*cancel_args)
        await wait_done(task)
        getattr(task, read)()

    async with api.TaskGroup() as tg:
        reader: FutureLike[Any] = tg.create_task(coro(tg))
    return reader


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_with_message_then_future_result")
async def test_cancel_with_message_then_future_result(api: ConcurrencyAPI) -> None:
    """Reading ``result()`` of a task cancelled with a message raises CancelledError
    with it; raised out of a task, that makes the task cancelled, with the same args and
    no context."""
    for cancel_args, expected_args in CANCEL_CASES:
        reader = await _cancel_then_read(api, cancel_args, "result")
        assert reader.cancelled(), cancel_args
        with pytest.raises(api.CancelledError) as raised:
            reader.result()
        assert raised.value.args == expected_args
        assert innermost_context(raised.value) == (api.CancelledError, expected_args, 0)


@pytest.mark.upstream(
    "test_tasks.py::BaseTaskTests::test_cancel_with_message_then_future_exception"
)
async def test_cancel_with_message_then_future_exception(api: ConcurrencyAPI) -> None:
    for cancel_args, expected_args in CANCEL_CASES:
        reader = await _cancel_then_read(api, cancel_args, "exception")
        assert reader.cancelled(), cancel_args
        with pytest.raises(api.CancelledError) as raised:
            reader.result()
        assert raised.value.args == expected_args
        assert innermost_context(raised.value) == (api.CancelledError, expected_args, 0)


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancellation_exception_context")
async def test_cancellation_exception_context(api: ConcurrencyAPI) -> None:
    fut = api.Future()

    async def sleep() -> None:
        fut.set_result(None)
        await anyio.sleep(LONG)

    async def coro(tg: TaskGroupLike) -> None:
        inner_task = tg.create_task(sleep())
        await fut
        inner_task.cancel("msg")
        try:
            await inner_task
        except api.CancelledError as ex:
            raise ValueError("cancelled") from ex

    with pytest.raises(ExceptionGroup) as raised:
        async with api.TaskGroup() as tg:
            tg.create_task(coro(tg))
    (error,) = raised.value.exceptions
    assert error.args == ("cancelled",)
    assert innermost_context(error) == (api.CancelledError, ("msg",), 1)


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_with_message_before_starting_task")
async def test_cancel_with_message_before_starting_task(api: ConcurrencyAPI) -> None:
    """Cancelled before it first runs (asyncio: it never runs; Trio and AnyIO: it runs to
    its first checkpoint, here at once): the message reaches the reader either way."""

    async def sleep() -> None:
        await anyio.sleep(LONG)

    async def coro(tg: TaskGroupLike) -> None:
        task = tg.create_task(sleep())
        task.cancel("my message")  # no checkpoint in between
        await wait_done(task)
        task.exception()

    async with api.TaskGroup() as tg:
        reader = tg.create_task(coro(tg))
    with pytest.raises(api.CancelledError) as raised:
        reader.result()
    assert raised.value.args == ("my message",)
    assert innermost_context(raised.value) == (api.CancelledError, ("my message",), 0)


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_yield")
async def test_cancel_yield(api: ConcurrencyAPI) -> None:
    async def task() -> int:
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()
        return 12

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        await anyio.lowlevel.checkpoint()  # start coro
        t.cancel()
    with pytest.raises(api.CancelledError):
        t.result()
    assert t.done()
    assert t.cancelled()
    assert not t.cancel()


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_inner_future")
async def test_cancel_inner_future(api: ConcurrencyAPI) -> None:
    """Someone cancels the Future a task awaits: the task ends CANCELLED, and its group
    takes that as no failure (the sibling runs to the end, the group raises nothing).
    impl_trio and shared used to fail the task and the group."""
    f = api.Future()

    async def task() -> int:
        await f
        return 12

    async def sibling() -> str:
        await anyio.sleep(2 * U)
        return "finished"

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        s = tg.create_task(sibling())
        await run_briefly()  # start the task
        f.cancel()
    assert f.cancelled()
    assert t.cancelled()
    with pytest.raises(api.CancelledError):
        t.result()
    assert s.result() == "finished"


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_both_task_and_inner_future")
async def test_cancel_both_task_and_inner_future(api: ConcurrencyAPI) -> None:
    f = api.Future()

    async def task() -> int:
        await f
        return 12

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        await run_briefly()
        f.cancel()
        t.cancel()
        with pytest.raises(api.CancelledError):
            await t
    assert t.done()
    assert f.cancelled()
    assert t.cancelled()


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_task_catching")
async def test_cancel_task_catching(api: ConcurrencyAPI, column: Column) -> None:
    """The task catches its cancellation at ``await fut2`` and returns 42: the result
    stands everywhere. asyncio cancelled ``fut2`` on the way; Trio and AnyIO leave a
    future a cancelled task was waiting on pending."""
    fut1, fut2 = api.Future(), api.Future()
    at_fut2 = anyio.Event()

    async def task() -> int:
        await fut1
        try:
            at_fut2.set()
            await fut2
        except cancelled_exc():
            return 42
        return 0

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        await run_briefly()
        fut1.set_result(None)
        await at_fut2.wait()  # upstream: run_briefly, then t._fut_waiter is fut2
        t.cancel()
        assert await t == 42
    assert not t.cancelled()
    assert fut2.cancelled() is expect(
        column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
    )


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_task_ignoring")
async def test_cancel_task_ignoring(api: ConcurrencyAPI, column: Column) -> None:
    """The task swallows its cancellation and awaits ``fut3``. asyncio delivered it
    once: the task waits for ``fut3`` and returns its 42. In Trio and AnyIO it is
    level-triggered: ``await fut3`` is cancelled again and the task ends cancelled."""
    fut1, fut2, fut3 = api.Future(), api.Future(), api.Future()
    at_fut2 = anyio.Event()

    async def task() -> int:
        await fut1
        try:
            at_fut2.set()
            await fut2
        except cancelled_exc():
            pass
        result: int = await fut3
        return result

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        await run_briefly()
        fut1.set_result(None)
        await at_fut2.wait()  # upstream: run_briefly, then t._fut_waiter is fut2
        t.cancel()
        await run_briefly()
        fut3.set_result(42)
        await wait_done(t)
    outcome = "cancelled" if t.cancelled() else t.result()
    assert outcome == expect(
        column, {"impl_asyncio": 42, "impl_trio": "cancelled", "shared": "cancelled"}
    )
    assert not fut3.cancelled()


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_current_task")
async def test_cancel_current_task(api: ConcurrencyAPI) -> None:
    t: FutureLike[int] | None = None

    async def task() -> int:
        assert t is not None
        t.cancel()
        await anyio.sleep(LONG)  # cancelled at once
        return 12

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
        assert not t.cancelled()
    assert t.done()
    assert t.cancelled()
    assert not t.cancel()


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_at_end")
async def test_cancel_at_end(api: ConcurrencyAPI, column: Column) -> None:
    """The task cancels itself and returns 12 without another await. asyncio marks the
    task cancelled on its way out. In Trio and AnyIO a cancellation is delivered at a
    checkpoint: the coroutine reached none, so it finished and 12 stands (AnyIO's own
    TaskHandle reports FINISHED too)."""
    t: FutureLike[int] | None = None

    async def task() -> int:
        assert t is not None
        t.cancel()
        return 12

    async with api.TaskGroup() as tg:
        t = tg.create_task(task())
    assert t.done()
    outcome = "cancelled" if t.cancelled() else t.result()
    assert outcome == expect(column, {"impl_asyncio": "cancelled", "impl_trio": 12, "shared": 12})
    assert not t.cancel()


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_awaited_task")
async def test_cancel_awaited_task(api: ConcurrencyAPI, column: Column) -> None:
    """bpo-34872: a task cancels itself, then awaits a nested task. asyncio passes the
    cancellation on to what it awaits: the nested task and the future it waits on end
    cancelled. In Trio and AnyIO the awaiting task is cancelled at its await; what it
    waited for is not its to cancel, and stays pending (cancelled here to finish)."""
    fut = api.Future()
    task: FutureLike[None] | None = None
    nested: list[FutureLike[None]] = []

    async def nested_coro() -> None:
        await fut

    async def coro(tg: TaskGroupLike) -> None:
        nested.append(tg.create_task(nested_coro()))
        await anyio.lowlevel.checkpoint()
        assert task is not None
        task.cancel()
        await nested[0]

    async with api.TaskGroup() as tg:
        task = tg.create_task(coro(tg))
        await wait_done(task)
        states = (task.cancelled(), nested[0].done(), fut.done())
        nested[0].cancel()
    assert states == expect(
        column,
        {
            "impl_asyncio": (True, True, True),
            "impl_trio": (True, False, False),
            "shared": (True, False, False),
        },
    )
    assert nested[0].cancelled()


def _assert_text_contains(text: str, substr: str) -> None:
    assert substr in text, f"{substr!r} not found in:\n>>>{text}<<<"


async def _cancelled_reader(api: ConcurrencyAPI, read: str) -> FutureLike[Any]:
    """A task whose nested task is cancelled at ``anyio.sleep(LONG)``, and which then
    reads the nested task's outcome by ``await`` or ``exception()``."""

    async def nested() -> None:
        await anyio.sleep(LONG)  # interrupted here

    async def coro(tg: TaskGroupLike) -> None:
        task = tg.create_task(nested())
        await anyio.lowlevel.checkpoint()
        task.cancel()
        if read == "await":
            await task  # search target
        else:
            await wait_done(task)
            task.exception()  # search target

    async with api.TaskGroup() as tg:
        reader: FutureLike[Any] = tg.create_task(coro(tg))
    return reader


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_traceback_for_future_result")
async def test_cancel_traceback_for_future_result(api: ConcurrencyAPI) -> None:
    """The CancelledError of a cancelled task shows where its coroutine was interrupted
    and the await that read it."""
    reader = await _cancelled_reader(api, "await")
    try:
        reader.result()
    except api.CancelledError:
        tb = traceback.format_exc()
    else:
        pytest.fail("CancelledError did not occur")
    _assert_text_contains(tb, "await anyio.sleep(LONG)  # interrupted here")
    _assert_text_contains(tb, "await task  # search target")


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_traceback_for_future_exception")
async def test_cancel_traceback_for_future_exception(api: ConcurrencyAPI) -> None:
    reader = await _cancelled_reader(api, "exception")
    try:
        reader.result()
    except api.CancelledError:
        tb = traceback.format_exc()
    else:
        pytest.fail("CancelledError did not occur")
    _assert_text_contains(tb, "await anyio.sleep(LONG)  # interrupted here")
    _assert_text_contains(tb, "task.exception()  # search target")


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_cancel_sleeping_task")
async def test_task_cancel_sleeping_task(api: ConcurrencyAPI) -> None:
    async def sleep(dt: float) -> None:
        await anyio.sleep(dt)

    async def cancel_later(task: FutureLike[None]) -> None:
        await anyio.sleep(U)
        task.cancel()

    async def doit(tg: TaskGroupLike) -> str:
        sleeper = tg.create_task(sleep(LONG))
        tg.create_task(cancel_later(sleeper))
        try:
            await sleeper
        except api.CancelledError:
            return "cancelled"
        return "slept in"

    started = anyio.current_time()
    async with api.TaskGroup() as tg:
        doer = tg.create_task(doit(tg))
    assert doer.result() == "cancelled"
    assert U <= anyio.current_time() - started < LONG


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_cancel_waiter_future")
async def test_task_cancel_waiter_future(api: ConcurrencyAPI, column: Column) -> None:
    """Cancelling a task that awaits a future: asyncio cancels the future with it, Trio
    and AnyIO leave it pending (other tasks may be waiting for it too)."""
    fut = api.Future()
    waiting = anyio.Event()

    async def coro() -> None:
        waiting.set()
        await fut

    async with api.TaskGroup() as tg:
        task = tg.create_task(coro())
        await waiting.wait()  # upstream: run_briefly, then task._fut_waiter is fut
        task.cancel()
    assert task.cancelled()
    assert fut.cancelled() is expect(
        column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
    )


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_task_set_methods")
async def test_task_set_methods(api: ConcurrencyAPI) -> None:
    async def notmuch() -> str:
        return "ko"

    async with api.TaskGroup() as tg:
        task = tg.create_task(notmuch())
        with pytest.raises(RuntimeError, match="not support set_result"):
            task.set_result("ok")
        with pytest.raises(RuntimeError, match="not support set_exception"):
            task.set_exception(ValueError())
    assert task.result() == "ko"


class MyBaseExc(BaseException):
    pass


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_baseexception_during_cancel")
async def test_baseexception_during_cancel(api: ConcurrencyAPI) -> None:
    """The coroutine answers its cancellation with a BaseException: the task fails with
    it, not cancelled. (Upstream raises SystemExit, which asyncio also lets out of the
    event loop; under the test runner that would stop the loop, so a BaseException of
    our own stands in.)"""
    base_exc = MyBaseExc()

    async def sleeper() -> None:
        await anyio.sleep(LONG)

    started = anyio.Event()

    async def notmuch() -> None:
        try:
            started.set()
            await sleeper()
        except cancelled_exc():
            raise base_exc from None

    with pytest.raises(BaseExceptionGroup):  # noqa: PT012 - the group block is the subject
        async with api.TaskGroup() as tg:
            task = tg.create_task(notmuch())
            await started.wait()
            task.cancel()
            assert not task.done()
    assert task.done()
    assert not task.cancelled()
    assert task.exception() is base_exc


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_coroutine_non_gen_function_return_future")
async def test_coroutine_non_gen_function_return_future(api: ConcurrencyAPI) -> None:
    """A coroutine that returns a Future: the task's result is that Future, not its value."""
    fut = api.Future()

    async def func() -> FutureLike[str]:
        return fut

    async def coro() -> None:
        fut.set_result("test")

    async with api.TaskGroup() as tg:
        t1 = tg.create_task(func())
        t2 = tg.create_task(coro())
    assert t1.result() is fut
    assert t2.result() is None


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_yield_future_passes_cancel")
async def test_yield_future_passes_cancel(api: ConcurrencyAPI, column: Column) -> None:
    """Cancelling outer() cancels inner(), which re-raises; outer() catches it and ends
    normally (proof 101) everywhere. asyncio cancels the future inner() waited on; Trio
    and AnyIO leave it pending."""
    proof = 0
    waiter = api.Future()
    waiting = anyio.Event()

    async def inner() -> None:
        nonlocal proof
        try:
            waiting.set()
            await waiter
        except cancelled_exc():
            proof += 1
            raise
        pytest.fail("got past the waiter in inner()")

    async def outer() -> None:
        nonlocal proof
        try:
            await inner()
        except cancelled_exc():
            proof += 100  # expect this path
        else:
            proof += 10

    async with api.TaskGroup() as tg:
        f = tg.create_task(outer())
        await waiting.wait()
        f.cancel()
    assert f.result() is None
    assert proof == 101
    assert waiter.cancelled() is expect(
        column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
    )


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_cancel_gather_2")
async def test_cancel_gather_2(api: ConcurrencyAPI) -> None:
    """A task looping on ``gather(sleep, return_exceptions=True)`` is cancelled with a
    message: the cancellation is not returned as a result, it ends the task, and the
    message reaches whoever awaits it, with no context."""
    for cancel_args, expected_args in CANCEL_CASES:

        async def test() -> None:
            elapsed = 0.0
            while True:
                elapsed += U / 2
                await api.gather(anyio.sleep(U / 2), return_exceptions=True)
                if elapsed > 10 * U:
                    return

        async def main(tg: TaskGroupLike, cancel_args: tuple[Any, ...] = cancel_args) -> None:
            qwe = tg.create_task(test())
            await anyio.sleep(2 * U)
            qwe.cancel(*cancel_args)
            await qwe

        async with api.TaskGroup() as tg:
            runner = tg.create_task(main(tg))
        assert runner.cancelled(), "gather() returned the cancellation as a result"
        with pytest.raises(api.CancelledError) as raised:
            runner.result()
        assert raised.value.args == expected_args
        assert innermost_context(raised.value) == (api.CancelledError, expected_args, 0)


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_exception_traceback")
async def test_exception_traceback(api: ConcurrencyAPI) -> None:
    """bpo-28843: a failed task's exception keeps its traceback."""

    async def foo() -> None:
        1 / 0  # noqa: B018

    with pytest.raises(ExceptionGroup):  # noqa: PT012 - the group block is the subject
        async with api.TaskGroup() as tg:
            task = tg.create_task(foo())
            await wait_done(task)
            error = task.exception()
            assert error is not None
            assert error.__traceback__ is not None


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_create_task_with_noncoroutine")
async def test_create_task_with_noncoroutine(api: ConcurrencyAPI) -> None:
    async with api.TaskGroup() as tg:
        for _ in range(2):  # twice: a cache in the check must not change the answer
            with pytest.raises(TypeError, match="a coroutine was expected, got 123"):
                tg.create_task(123)  # the bad input under test


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_create_task_with_async_function")
async def test_create_task_with_async_function(api: ConcurrencyAPI) -> None:
    async def coro() -> None:
        pass

    async with api.TaskGroup() as tg:
        for _ in range(2):
            task = tg.create_task(coro())
            assert isinstance(task, api.Task)
            await task


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_create_task_with_asynclike_function")
async def test_create_task_with_asynclike_function(api: ConcurrencyAPI) -> None:
    """An object with the Coroutine ABC's methods is accepted like a coroutine (as
    ``ensure_future`` accepts it); impl_trio and shared used to refuse it."""
    async with api.TaskGroup() as tg:
        for _ in range(2):
            task = tg.create_task(CoroLikeObject())
            assert isinstance(task, api.Task)
            assert await task == 42


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_bare_create_task")
async def test_bare_create_task(api: ConcurrencyAPI, column: Column) -> None:
    """A task with no group (``asyncio.create_task``; here ``ensure_future`` without
    ``task_group``): asyncio makes one; Trio and AnyIO have no place for it."""

    async def inner() -> int:
        return 1

    coro = inner()
    try:
        task = api.ensure_future(coro)
    except RuntimeError as exc:
        coro.close()
        outcome = "RuntimeError naming task_group" if "task_group" in str(exc) else repr(exc)
    else:
        assert isinstance(task, api.Task)
        assert await task == 1
        outcome = "ungrouped task"
    assert outcome == expect(
        column,
        {
            "impl_asyncio": "ungrouped task",
            "impl_trio": "RuntimeError naming task_group",
            "shared": "RuntimeError naming task_group",
        },
    )


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_context_1")
async def test_context_1(api: ConcurrencyAPI) -> None:
    """A task runs in a copy of its creator's context, taken when it is created."""
    cvar: contextvars.ContextVar[str] = contextvars.ContextVar("cvar", default="nope")

    async def sub() -> None:
        await anyio.sleep(U / 2)
        assert cvar.get() == "nope"
        cvar.set("something else")

    async def main() -> None:
        assert cvar.get() == "nope"
        async with api.TaskGroup() as tg:
            subtask = tg.create_task(sub())
            cvar.set("yes")
            assert cvar.get() == "yes"
            await subtask
            assert cvar.get() == "yes"

    await task_in_group(api, main())


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_context_2")
async def test_context_2(api: ConcurrencyAPI) -> None:
    """A done callback's changes to the context do not reach the awaiting task."""
    cvar: contextvars.ContextVar[str] = contextvars.ContextVar("cvar", default="nope")

    async def set_soon(fut: FutureLike[None]) -> None:
        await anyio.lowlevel.checkpoint()
        fut.set_result(None)

    async def main() -> None:
        def fut_on_done(_: Any) -> None:
            cvar.set("something else")  # must not pollute main()'s context

        assert cvar.get() == "nope"
        async with api.TaskGroup() as tg:
            for j in range(2):
                fut = api.Future()
                fut.add_done_callback(fut_on_done)
                cvar.set(f"yes{j}")
                tg.create_task(set_soon(fut))
                await fut
                assert cvar.get() == f"yes{j}"
                for i in range(3):
                    cvar.set(f"yes{i}-{j}")
                    await anyio.sleep(0.001)
                    assert cvar.get() == f"yes{i}-{j}"

    await task_in_group(api, main())
    assert cvar.get() == "nope"


@pytest.mark.upstream("test_tasks.py::BaseTaskTests::test_context_3")
async def test_context_3(api: ConcurrencyAPI) -> None:
    """100 tasks in parallel, each changing the variable between sleeps. (Upstream
    sleeps up to 50 ms ten times per task; here up to 10 ms.)"""
    cvar: contextvars.ContextVar[int] = contextvars.ContextVar("cvar", default=-1)
    rng = random.Random(3)

    async def sub(num: int, delays: list[float]) -> None:
        for i, delay in enumerate(delays):
            cvar.set(num + i)
            await anyio.sleep(delay)
            assert cvar.get() == num + i

    async def main() -> None:
        async with api.TaskGroup() as tg:
            tasks = [
                tg.create_task(
                    sub(rng.randint(0, 10), [rng.uniform(0.001, 0.01) for _ in range(10)])
                )
                for _ in range(100)
            ]
            await api.gather(*tasks)

    await task_in_group(api, main())
    assert cvar.get() == -1


# -- GenericTaskTests ---------------------------------------------------------------------


@pytest.mark.upstream("test_tasks.py::GenericTaskTests::test_future_subclass")
async def test_future_subclass(api: ConcurrencyAPI) -> None:
    assert issubclass(api.Task, api.Future)  # type: ignore[arg-type]


# -- GatherTestsBase, FutureGatherTests, CoroutineGatherTests ---------------------------------


def _wrap(kind: str, futures: list[FutureLike[Any]]) -> list[Any]:
    """``FutureGatherTests`` gathers the futures, ``CoroutineGatherTests`` a coroutine
    awaiting each."""
    if kind == "futures":
        return futures

    async def coro(fut: FutureLike[Any]) -> Any:
        return await fut

    return [coro(fut) for fut in futures]


def _both(case: str, *, differs_for: str | None = None) -> pytest.MarkDecorator:
    """Parametrise a GatherTestsBase case over its two upstream subclasses."""
    params = []
    for kind, cls in (("futures", "FutureGatherTests"), ("coroutines", "CoroutineGatherTests")):
        marks = [pytest.mark.upstream(f"test_tasks.py::{cls}::{case}")]
        if kind == differs_for:
            marks.append(pytest.mark.differs)
        params.append(pytest.param(kind, marks=marks, id=kind))
    return pytest.mark.parametrize("kind", params)


async def _gathering(api: ConcurrencyAPI, aws: list[Any], **kwargs: Any) -> Any:
    """Await ``gather()``; what it raised is returned as ``("raised", exc)``, so the
    task running it does not fail its group (upstream reads the gathering future)."""
    try:
        return await api.gather(*aws, **kwargs)
    except (Exception, api.CancelledError) as exc:
        return ("raised", exc)


async def _check_success(api: ConcurrencyAPI, kind: str, **kwargs: Any) -> None:
    a, b, c = (api.Future() for _ in range(3))
    async with api.TaskGroup() as tg:
        fut = tg.create_task(_gathering(api, _wrap(kind, [a, b, c]), **kwargs))
        b.set_result(1)
        a.set_result(2)
        await run_briefly()
        assert not fut.done()
        c.set_result(3)
    assert fut.result() == [2, 1, 3]


@_both("test_success")
async def test_success(api: ConcurrencyAPI, kind: str) -> None:
    await _check_success(api, kind)
    await _check_success(api, kind, return_exceptions=False)


@_both("test_result_exception_success")
async def test_result_exception_success(api: ConcurrencyAPI, kind: str) -> None:
    await _check_success(api, kind, return_exceptions=True)


@_both("test_one_exception", differs_for="futures")
async def test_one_exception(api: ConcurrencyAPI, column: Column, kind: str) -> None:
    """One of five fails: gather raises it at once. asyncio leaves the others alone; the
    Trio and AnyIO gather cancels them, futures passed in included (its coroutines'
    futures stay pending, as a cancelled task's future does)."""
    a, b, c, d, e = (api.Future() for _ in range(5))
    error = ZeroDivisionError()
    async with api.TaskGroup() as tg:
        fut = tg.create_task(_gathering(api, _wrap(kind, [a, b, c, d, e])))
        a.set_result(1)
        b.set_exception(error)
        await wait_done(fut)
        assert fut.result() == ("raised", error)
        rest_cancelled = [f.cancelled() for f in (c, d, e)]
        cancelled_by_gather = [kind == "futures"] * 3
        assert rest_cancelled == expect(
            column,
            {
                "impl_asyncio": [False] * 3,
                "impl_trio": cancelled_by_gather,
                "shared": cancelled_by_gather,
            },
        )
        if not any(rest_cancelled):  # upstream: "does nothing" to the gather
            c.set_result(3)
            d.cancel()
            e.set_exception(RuntimeError())
            assert isinstance(e.exception(), RuntimeError)
        await run_briefly()  # asyncio: its tasks of the coroutines see c, d and e and end
    assert fut.result() == ("raised", error)


@_both("test_return_exceptions")
async def test_return_exceptions(api: ConcurrencyAPI, kind: str) -> None:
    a, b, c, d = (api.Future() for _ in range(4))
    error, error2 = ZeroDivisionError(), RuntimeError()
    async with api.TaskGroup() as tg:
        fut = tg.create_task(_gathering(api, _wrap(kind, [a, b, c, d]), return_exceptions=True))
        b.set_result(1)
        c.set_exception(error)
        a.set_result(3)
        await run_briefly()
        assert not fut.done()
        d.set_exception(error2)
    assert fut.result() == [3, 1, error, error2]


@pytest.mark.upstream(
    "test_tasks.py::FutureGatherTests::test_constructor_empty_sequence_use_running_loop"
)
async def test_constructor_empty_sequence_use_running_loop(api: ConcurrencyAPI) -> None:
    assert await api.gather() == []


@pytest.mark.upstream("test_tasks.py::FutureGatherTests::test_constructor_heterogenous_futures")
def test_constructor_heterogenous_futures(column: Column) -> None:
    """Futures of two event loop runs in one gather(): ValueError before anything runs.
    (impl_trio and shared used to fail later, with RuntimeError, when awaiting it.)"""
    api = column.api

    async def make() -> FutureLike[Any]:
        made: FutureLike[Any] = api.Future()
        return made

    other = column.run(make)

    async def gather_both() -> str:
        here = api.Future()
        try:
            await api.gather(here, other)
        except ValueError:
            return "ValueError"
        finally:
            here.cancel()
        return "no error"

    assert column.run(gather_both) == "ValueError"


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::FutureGatherTests::test_one_cancellation")
async def test_one_cancellation(api: ConcurrencyAPI, column: Column) -> None:
    """A cancelled future makes gather raise CancelledError (the gathering itself is not
    cancelled). asyncio leaves the other futures alone; the Trio and AnyIO gather cancels
    them."""
    a, b, c, d, e = (api.Future() for _ in range(5))
    async with api.TaskGroup() as tg:
        fut = tg.create_task(_gathering(api, [a, b, c, d, e]))
        a.set_result(1)
        b.cancel()
        await wait_done(fut)
        assert not fut.cancelled()
        raised, error = fut.result()
        assert raised == "raised"
        assert isinstance(error, api.CancelledError)
        rest_cancelled = [f.cancelled() for f in (c, d, e)]
        assert rest_cancelled == expect(
            column,
            {"impl_asyncio": [False] * 3, "impl_trio": [True] * 3, "shared": [True] * 3},
        )
        if not any(rest_cancelled):  # upstream: "does nothing" to the gather
            c.set_result(3)
            d.cancel()
            e.set_exception(RuntimeError())
            assert isinstance(e.exception(), RuntimeError)


@pytest.mark.upstream("test_tasks.py::FutureGatherTests::test_result_exception_one_cancellation")
async def test_result_exception_one_cancellation(api: ConcurrencyAPI) -> None:
    a, b, c, d, e, f = (api.Future() for _ in range(6))
    zde, rte = ZeroDivisionError(), RuntimeError()
    async with api.TaskGroup() as tg:
        fut = tg.create_task(_gathering(api, [a, b, c, d, e, f], return_exceptions=True))
        a.set_result(1)
        b.set_exception(zde)
        c.cancel()
        await run_briefly()
        assert not fut.done()
        d.set_result(3)
        e.cancel()
        f.set_exception(rte)
    res = fut.result()
    assert isinstance(res[2], api.CancelledError)
    assert isinstance(res[4], api.CancelledError)
    res[2] = res[4] = None
    assert res == [1, zde, None, 3, None, rte]


@pytest.mark.upstream("test_tasks.py::CoroutineGatherTests::test_constructor_use_running_loop")
async def test_constructor_use_running_loop(api: ConcurrencyAPI) -> None:
    async def coro() -> str:
        return "abc"

    assert list(await api.gather(coro(), coro())) == ["abc", "abc"]


@pytest.mark.upstream("test_tasks.py::CoroutineGatherTests::test_duplicate_coroutines")
async def test_duplicate_coroutines(api: ConcurrencyAPI) -> None:
    """The same coroutine given three times runs once; every place gets its result.
    (impl_trio and shared awaited it three times: "cannot reuse already awaited".)"""
    runs: list[str] = []

    async def coro(s: str) -> str:
        runs.append(s)
        await anyio.lowlevel.checkpoint()
        return s

    c = coro("abc")
    assert list(await api.gather(c, c, coro("def"), c)) == ["abc", "abc", "def", "abc"]
    assert sorted(runs) == ["abc", "def"]


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::CoroutineGatherTests::test_cancellation_broadcast")
async def test_cancellation_broadcast(api: ConcurrencyAPI, column: Column) -> None:
    """Cancelling the task that gathers two tasks cancels both. asyncio also cancels
    the future they wait on; Trio and AnyIO leave it pending."""
    proof = 0
    waiter = api.Future()

    async def inner() -> None:
        nonlocal proof
        await waiter
        proof += 1

    gathering = anyio.Event()

    async def outer(child1: FutureLike[None], child2: FutureLike[None]) -> None:
        nonlocal proof
        gathering.set()
        await api.gather(child1, child2)
        proof += 100

    async with api.TaskGroup() as tg:
        child1 = tg.create_task(inner())
        child2 = tg.create_task(inner())
        f = tg.create_task(outer(child1, child2))
        await gathering.wait()
        await run_briefly()  # the children wait on the waiter (no harm if not yet)
        assert f.cancel()
    assert f.cancelled()
    assert child1.cancelled()
    assert child2.cancelled()
    assert proof == 0
    assert waiter.cancelled() is expect(
        column, {"impl_asyncio": True, "impl_trio": False, "shared": False}
    )


@pytest.mark.upstream("test_tasks.py::CoroutineGatherTests::test_exception_marking")
async def test_exception_marking(api: ConcurrencyAPI) -> None:
    """Two gathered coroutines fail one after the other: gather raises the first, and
    the second's error is not reported as never retrieved."""
    a, b = api.Future(), api.Future()

    async def inner(f: FutureLike[None]) -> None:
        await f
        raise RuntimeError("should not be ignored")

    async with api.TaskGroup() as tg:
        f = tg.create_task(_gathering(api, [inner(a), inner(b)]))
        await run_briefly()
        a.set_result(None)
        await run_briefly()
        b.set_result(None)
        await run_briefly()
    raised, error = f.result()
    assert raised == "raised"
    assert isinstance(error, RuntimeError)


@pytest.mark.differs
@pytest.mark.upstream("test_tasks.py::CoroutineGatherTests::test_issue46672")
async def test_issue46672(api: ConcurrencyAPI, column: Column) -> None:
    """gather(coroutine, {}): TypeError everywhere. asyncio had already made the
    coroutine a task, which runs; Trio and AnyIO check every argument first and close
    the coroutine."""
    ran: list[str] = []
    done = anyio.Event()

    async def coro(s: str) -> str:
        ran.append(s)
        done.set()
        return s

    with pytest.raises(TypeError):
        await api.gather(coro("abc"), {})  # type: ignore[call-overload]  # the bad input under test
    with anyio.move_on_after(5 * U):  # long enough for asyncio's task to run, even loaded
        await done.wait()
    assert ran == expect(column, {"impl_asyncio": ["abc"], "impl_trio": [], "shared": []})
