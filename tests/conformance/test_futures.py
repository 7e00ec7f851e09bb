"""CPython 3.11's ``Lib/test/test_asyncio/test_futures.py``, re-expressed for every column.

Each test names the upstream case it mirrors (``@pytest.mark.upstream``); upstream's
``self.loop.run_until_complete`` and ``test_utils.run_briefly`` become ``await`` and a
short ``anyio.sleep`` in the column's own event loop.

Left out, and why
-----------------
Not in the interface (asyncio-only names the three packages do not share):

* ``DuckTests::test_wrap_future``, ``BaseFutureTests::test_wrap_future``,
  ``test_wrap_future_future``, ``test_wrap_future_without_loop``,
  ``test_wrap_future_use_running_loop``, ``test_wrap_future_use_global_loop``,
  ``test_wrap_future_cancel``, ``test_wrap_future_cancel2``: ``asyncio.wrap_future``
  (a ``concurrent.futures.Future`` on the loop is the executors concept,
  ``run_in_executor``, tested in ``tests/test_executors.py``).
* ``DuckTests::test_ensure_future``, ``BaseFutureTests::test_isfuture``: the
  ``_asyncio_future_blocking`` duck-typing protocol between asyncio's Task and the
  futures it waits on; Trio and AnyIO have no such protocol.
* ``test_constructor_use_global_loop``: a loop set with ``asyncio.set_event_loop`` and
  not running; Trio and AnyIO have no loop outside a run.

Loop internals and private names:

* ``test_copy_state`` (``_copy_future_state``), ``test_set_result_unless_cancelled``
  (``_set_result_unless_cancelled``), ``test_log_traceback`` (writes
  ``_log_traceback``), ``test_future_cancel_message_setter`` (writes
  ``_cancel_message``; the getter case is mirrored through the public message).
* ``test_iter``: ``yield from fut`` outside ``await`` (the generator-based coroutine
  protocol of ``Future.__iter__``).

Representation and debug mode:

* ``test_future_repr``: ``repr()`` formatting.
* ``test_future_source_traceback``: the creation traceback kept in debug mode.
* ``test_future_exception_never_retrieved_debug``: the same case as
  ``test_future_exception_never_retrieved`` in debug mode; the matrix's asyncio
  columns always run in debug mode, so mirroring it would run the same test twice.

C-versus-Python duplication (the class under test is the only difference, and each
package has one Future class):

* ``CFutureTests``, ``CSubFutureTests``, ``PyFutureTests``: run ``BaseFutureTests``
  on the C class, a subclass of it and the pure-Python class; mirrored once.
* ``CFutureDoneCallbackTests``, ``CSubFutureDoneCallbackTests``,
  ``PyFutureDoneCallbackTests``: the same for ``BaseFutureDoneCallbackTests``.
* ``CFutureTests::test_future_del_segfault``, ``test_uninitialized``,
  ``test_future_iter_throw``, ``PyFutureInheritanceTests`` /
  ``CFutureInheritanceTests::test_inherit_without_calling_super_init``: guards of
  the C implementation against a skipped ``__init__`` or odd ``throw()`` arguments.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest

from common.interface import ConcurrencyAPI, FutureLike
from rosetta.columns import Column

from ..conftest import expect

pytestmark = pytest.mark.anyio

Report = tuple[str, str, BaseException]


def _bag_appender(bag: list[Any], thing: Any) -> Callable[[Any], None]:
    def append(_: Any) -> None:
        bag.append(thing)

    return append


async def _run_callbacks() -> None:
    """Let the loop run what ``set_result`` scheduled (upstream's ``run_briefly``)."""
    await anyio.sleep(0.01)


@contextmanager
def _reports(column: Column, caplog: pytest.LogCaptureFixture) -> Iterator[list[Report]]:
    """Collect "exception was never retrieved" reports, from the loop's exception
    handler (asyncio; the test runner would fail the test on any it saw) and from the
    log (where the Trio and AnyIO futures send them): (channel, message, exception)."""
    seen: list[Report] = []
    previous: Any = None
    loop = asyncio.get_running_loop() if column.package == "impl_asyncio" else None
    if loop is not None:
        previous = loop.get_exception_handler()

        def handler(_: Any, context: dict[str, Any]) -> None:
            seen.append(("handler", context["message"], context["exception"]))

        loop.set_exception_handler(handler)
    try:
        with caplog.at_level(logging.ERROR):
            yield seen
    finally:
        if loop is not None:
            loop.set_exception_handler(previous)
    for record in caplog.records:
        if "never retrieved" in record.getMessage() and record.exc_info:
            message = record.getMessage().split(":")[0]
            seen.append(("log", message, record.exc_info[1]))  # type: ignore[arg-type]


# Where a failed Future dropped unread is reported: asyncio hands it to the loop's
# exception handler, Trio and AnyIO have none and log it (as asyncio's default handler
# would). The message is asyncio's in every column.
_CHANNEL = {"impl_asyncio": "handler", "impl_trio": "log", "shared": "log"}


# -- BaseFutureTests ----------------------------------------------------------------------


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_generic_alias")
async def test_generic_alias(api: ConcurrencyAPI) -> None:
    """``Future[str]`` is a parametrised alias (asyncio's is a ``types.GenericAlias``,
    the others' a ``typing`` one, since they are ``Generic`` classes)."""
    alias = api.Future[str]  # type: ignore[index]
    assert alias.__args__ == (str,)
    assert alias.__origin__ is api.Future


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_initial_state")
async def test_initial_state(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    assert not fut.cancelled()
    assert not fut.done()
    fut.cancel()
    assert fut.cancelled()


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_constructor_without_loop")
def test_constructor_without_loop(column: Column) -> None:
    """No event loop runs in a fresh thread: making a Future there is refused."""
    errors: list[BaseException] = []

    def make() -> None:
        try:
            column.api.Future()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=make)
    thread.start()
    thread.join()
    assert [type(e) for e in errors] == [RuntimeError]
    assert "loop" in str(errors[0]) or "run" in str(errors[0])


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_constructor_use_running_loop")
async def test_constructor_use_running_loop(api: ConcurrencyAPI) -> None:
    """A Future made in a coroutine takes the running loop (``get_loop()``, which is
    asyncio's alone): it is resolved and awaited there. That another run refuses it is
    ``test_tasks.py::BaseTaskTests::test_other_loop_future``."""

    async def resolve(fut: FutureLike[str]) -> None:
        await anyio.sleep(0.01)
        fut.set_result("here")

    fut = api.Future()
    async with api.TaskGroup() as tg:
        tg.create_task(resolve(fut))
        assert await fut == "here"


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_constructor_positional")
async def test_constructor_positional(api: ConcurrencyAPI) -> None:
    with pytest.raises(TypeError):
        api.Future(42)  # type: ignore[call-arg]  # the bad call under test


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_future_cancel_message_getter")
async def test_future_cancel_message_getter(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    fut.cancel("my message")
    with pytest.raises(api.CancelledError) as raised:
        await fut
    assert raised.value.args == ("my message",)


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_cancel")
async def test_cancel(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    assert fut.cancel()
    assert fut.cancelled()
    assert fut.done()
    with pytest.raises(api.CancelledError):
        fut.result()
    with pytest.raises(api.CancelledError):
        fut.exception()
    with pytest.raises(api.InvalidStateError):
        fut.set_result(None)
    with pytest.raises(api.InvalidStateError):
        fut.set_exception(None)  # type: ignore[arg-type]  # refused by state first
    assert not fut.cancel()


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_result")
async def test_result(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    with pytest.raises(api.InvalidStateError):
        fut.result()
    fut.set_result(42)
    assert not fut.cancelled()
    assert fut.done()
    assert fut.result() == 42
    assert fut.exception() is None
    with pytest.raises(api.InvalidStateError):
        fut.set_result(None)
    with pytest.raises(api.InvalidStateError):
        fut.set_exception(None)  # type: ignore[arg-type]
    assert not fut.cancel()


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_exception")
async def test_exception(api: ConcurrencyAPI) -> None:
    """StopIteration cannot travel through a Future (CPython issue 26221): refused
    with TypeError up to 3.12; from 3.13 (gh-112182) stored as a RuntimeError from it.
    The packages follow the asyncio of the running Python."""
    error = RuntimeError()
    fut = api.Future()
    with pytest.raises(api.InvalidStateError):
        fut.exception()

    if sys.version_info >= (3, 13):
        other = api.Future()
        other.set_exception(StopIteration)
        stored = other.exception()
        assert isinstance(stored, RuntimeError)
        assert isinstance(stored.__cause__, StopIteration)
    else:
        with pytest.raises(TypeError, match=r"StopIteration .* cannot be raised"):
            fut.set_exception(StopIteration)

    fut.set_exception(error)
    assert not fut.cancelled()
    assert fut.done()
    with pytest.raises(RuntimeError):
        fut.result()
    assert fut.exception() is error
    with pytest.raises(api.InvalidStateError):
        fut.set_result(None)
    with pytest.raises(api.InvalidStateError):
        fut.set_exception(None)  # type: ignore[arg-type]
    assert not fut.cancel()


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_exception_class")
async def test_exception_class(api: ConcurrencyAPI) -> None:
    fut = api.Future()
    fut.set_exception(RuntimeError)
    assert isinstance(fut.exception(), RuntimeError)


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_yield_from_twice")
async def test_yield_from_twice(api: ConcurrencyAPI) -> None:
    """Upstream drives ``yield from f`` by hand: the first waits, the second returns
    the value. Whether the second await yields to the loop at all is an asserted
    difference of its own (tests/test_futures.py, a done future's await is a
    checkpoint in Trio and AnyIO)."""
    fut = api.Future()
    steps: list[Any] = []

    async def fixture() -> None:
        steps.append("A")
        x = await fut
        steps.append(("B", x))
        y = await fut
        steps.append(("C", y))

    async with api.TaskGroup() as tg:
        task = tg.create_task(fixture())
        await anyio.sleep(0.01)
        assert steps == ["A"]  # waiting on the first await
        fut.set_result(42)
    assert task.done()
    assert steps == ["A", ("B", 42), ("C", 42)]


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_future_stop_iteration_args")
async def test_future_stop_iteration_args(api: ConcurrencyAPI) -> None:
    """A tuple result comes back whole (upstream: as the StopIteration's one argument)."""
    fut = api.Future()
    fut.set_result((1, 2))
    assert await fut == (1, 2)


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_future_del_collect")
async def test_future_del_collect(api: ConcurrencyAPI) -> None:
    """A result whose ``__del__`` runs the garbage collector while its future is being
    freed: no crash. (Upstream repeats it 100 times; a full collection costs tens of
    milliseconds here, so 10.)"""
    collected: list[int] = []

    class Evil:
        def __del__(self) -> None:
            collected.append(gc.collect())

    for _ in range(10):
        fut = api.Future()
        fut.set_result(Evil())
    del fut
    gc.collect()
    assert len(collected) == 10


# -- "exception was never retrieved" -------------------------------------------------------


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_abandoned")
async def test_tb_logger_abandoned(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    with _reports(column, caplog) as seen:
        fut = api.Future()
        del fut
        gc.collect()
    assert seen == []


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_not_called_after_cancel")
async def test_tb_logger_not_called_after_cancel(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    """``cancel()`` on a failed future returns False but counts as looking at it."""
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_exception(Exception())
        assert not fut.cancel()
        del fut
        gc.collect()
    assert seen == []


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_result_unretrieved")
async def test_tb_logger_result_unretrieved(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_result(42)
        del fut
        gc.collect()
    assert seen == []


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_result_retrieved")
async def test_tb_logger_result_retrieved(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_result(42)
        assert fut.result() == 42
        del fut
        gc.collect()
    assert seen == []


@pytest.mark.differs
@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_exception_unretrieved")
async def test_tb_logger_exception_unretrieved(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_exception(RuntimeError("boom"))
        del fut
        await _run_callbacks()
        gc.collect()
    assert [(channel, message, type(e)) for channel, message, e in seen] == [
        (expect(column, _CHANNEL), "Future exception was never retrieved", RuntimeError)
    ]


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_exception_retrieved")
async def test_tb_logger_exception_retrieved(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_exception(RuntimeError("boom"))
        assert isinstance(fut.exception(), RuntimeError)
        del fut
        gc.collect()
    assert seen == []


@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_tb_logger_exception_result_retrieved")
async def test_tb_logger_exception_result_retrieved(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_exception(RuntimeError("boom"))
        with pytest.raises(RuntimeError):
            fut.result()
        del fut
        gc.collect()
    assert seen == []


@pytest.mark.differs
@pytest.mark.upstream("test_futures.py::BaseFutureTests::test_future_exception_never_retrieved")
async def test_future_exception_never_retrieved(
    api: ConcurrencyAPI, column: Column, caplog: pytest.LogCaptureFixture
) -> None:
    """The report names the future's class and carries the very exception, with the
    traceback it was raised with."""

    def memory_error() -> BaseException:
        try:
            raise MemoryError()
        except BaseException as exc:
            return exc

    error = memory_error()
    tb = error.__traceback__
    with _reports(column, caplog) as seen:
        fut = api.Future()
        fut.set_exception(error)
        del fut
        await _run_callbacks()
        gc.collect()
    assert seen == [(expect(column, _CHANNEL), "Future exception was never retrieved", error)]
    assert tb is not None
    assert error.__traceback__ is tb


# -- BaseFutureDoneCallbackTests ------------------------------------------------------------


def _three_callbacks(bag: list[int]) -> tuple[Callable[[Any], None], ...]:
    return _bag_appender(bag, 42), _bag_appender(bag, 17), _bag_appender(bag, 100)


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_callbacks_remove_first_callback"
)
async def test_callbacks_remove_first_callback(api: ConcurrencyAPI) -> None:
    bag: list[int] = []
    fut = api.Future()
    cb1, cb2, cb3 = _three_callbacks(bag)
    for cb in (cb1, cb2, cb3):
        fut.add_done_callback(cb)
    fut.remove_done_callback(cb1)
    fut.remove_done_callback(cb1)
    assert bag == []
    fut.set_result("foo")
    await _run_callbacks()
    assert bag == [17, 100]
    assert fut.result() == "foo"


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_callbacks_remove_first_and_second_callback"
)
async def test_callbacks_remove_first_and_second_callback(api: ConcurrencyAPI) -> None:
    bag: list[int] = []
    fut = api.Future()
    cb1, cb2, cb3 = _three_callbacks(bag)
    for cb in (cb1, cb2, cb3):
        fut.add_done_callback(cb)
    fut.remove_done_callback(cb1)
    fut.remove_done_callback(cb2)
    fut.remove_done_callback(cb1)
    assert bag == []
    fut.set_result("foo")
    await _run_callbacks()
    assert bag == [100]
    assert fut.result() == "foo"


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_callbacks_remove_third_callback"
)
async def test_callbacks_remove_third_callback(api: ConcurrencyAPI) -> None:
    bag: list[int] = []
    fut = api.Future()
    cb1, cb2, cb3 = _three_callbacks(bag)
    for cb in (cb1, cb2, cb3):
        fut.add_done_callback(cb)
    fut.remove_done_callback(cb3)
    fut.remove_done_callback(cb3)
    assert bag == []
    fut.set_result("foo")
    await _run_callbacks()
    assert bag == [42, 17]
    assert fut.result() == "foo"


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_callbacks_invoked_on_set_result"
)
async def test_callbacks_invoked_on_set_result(api: ConcurrencyAPI) -> None:
    bag: list[int] = []
    fut = api.Future()
    fut.add_done_callback(_bag_appender(bag, 42))
    fut.add_done_callback(_bag_appender(bag, 17))
    assert bag == []
    fut.set_result("foo")
    await _run_callbacks()
    assert bag == [42, 17]
    assert fut.result() == "foo"


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_callbacks_invoked_on_set_exception"
)
async def test_callbacks_invoked_on_set_exception(api: ConcurrencyAPI) -> None:
    bag: list[int] = []
    fut = api.Future()
    fut.add_done_callback(_bag_appender(bag, 100))
    assert bag == []
    error = RuntimeError()
    fut.set_exception(error)
    await _run_callbacks()
    assert bag == [100]
    assert fut.exception() is error


@pytest.mark.upstream("test_futures.py::BaseFutureDoneCallbackTests::test_remove_done_callback")
async def test_remove_done_callback(api: ConcurrencyAPI) -> None:
    bag: list[int] = []
    fut = api.Future()
    cb1, cb2, cb3 = _bag_appender(bag, 1), _bag_appender(bag, 2), _bag_appender(bag, 3)
    fut.add_done_callback(cb1)
    fut.add_done_callback(cb2)
    assert fut.remove_done_callback(cb2) == 1
    assert fut.remove_done_callback(cb3) == 0
    fut.add_done_callback(cb2)
    for _ in range(5):
        fut.add_done_callback(cb1)
    assert fut.remove_done_callback(cb1) == 6
    assert bag == []
    fut.set_result("foo")
    await _run_callbacks()
    assert bag == [2]
    assert fut.result() == "foo"


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_remove_done_callbacks_list_mutation"
)
async def test_remove_done_callbacks_list_mutation(api: ConcurrencyAPI) -> None:
    """A callback whose ``__eq__`` removes others while the list is searched (bpo-28963)."""
    fut = api.Future()
    fut.add_done_callback(str)
    for _ in range(63):
        fut.add_done_callback(id)

    class Evil:
        def __eq__(self, other: object) -> bool:
            fut.remove_done_callback(id)
            return False

    assert fut.remove_done_callback(Evil()) == 0  # type: ignore[arg-type]
    fut.cancel()


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_remove_done_callbacks_list_clear"
)
async def test_remove_done_callbacks_list_clear(api: ConcurrencyAPI) -> None:
    """An ``__eq__`` that removes the very callback it is compared with (gh-97592)."""
    fut = api.Future()
    fut.add_done_callback(str)
    for _ in range(63):
        fut.add_done_callback(id)

    class Evil:
        def __eq__(self, other: object) -> bool:
            fut.remove_done_callback(other)  # type: ignore[arg-type]
            return False

    fut.remove_done_callback(Evil())  # type: ignore[arg-type]  # an odd __eq__
    fut.cancel()


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_schedule_callbacks_list_mutation_1"
)
async def test_schedule_callbacks_list_mutation_1(api: ConcurrencyAPI) -> None:
    """A callback that removes later ones while the callbacks are being run."""
    calls: list[str] = []

    def mutate(f: Any) -> None:
        calls.append("mutate")
        f.remove_done_callback(str)

    fut = api.Future()
    fut.add_done_callback(mutate)
    fut.add_done_callback(str)
    fut.add_done_callback(str)
    fut.set_result(1)
    await _run_callbacks()
    assert calls == ["mutate"]


@pytest.mark.upstream(
    "test_futures.py::BaseFutureDoneCallbackTests::test_schedule_callbacks_list_mutation_2"
)
async def test_schedule_callbacks_list_mutation_2(api: ConcurrencyAPI) -> None:
    """An ``__eq__`` that adds callbacks while the list is searched (bpo-30828): the
    search ends, whatever it added stays registered."""
    fut = api.Future()
    fut.add_done_callback(str)
    for _ in range(63):
        fut.add_done_callback(id)
    extra = 0

    class Evil:
        def __eq__(self, other: object) -> bool:
            nonlocal extra
            extra += 1
            if extra < 100:
                fut.add_done_callback(id)
            return False

    fut.remove_done_callback(Evil())  # type: ignore[arg-type]  # an odd __eq__
    assert extra >= 64
    fut.cancel()
