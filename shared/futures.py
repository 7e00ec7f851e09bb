"""Future, backend-agnostic: asyncio's interface on AnyIO, for asyncio and Trio alike.

Runs unchanged on AnyIO's asyncio (and uvloop) and Trio backends. The model is
:class:`anyio.Future`: the same states (:class:`anyio.Future.Status` —
PENDING, FINISHED, FAILED, CANCELLED) and an :class:`anyio.Event` to wait on.
Where asyncio's interface differs from AnyIO's:

=========================  ===============================  ==============================
asyncio                    anyio.Future                     here
=========================  ===============================  ==============================
``result()``               ``return_value`` property;       a method that raises the
                           raises ``FutureFailed`` *from*   original exception, as asyncio
                           the error
``exception()``            ``exception``, a settable        a method
                           property
``set_result(v)``          ``fut.return_value = v``         a method
``cancel(msg) -> bool``    ``cancel() -> None``             ``False`` when already done
``add_done_callback(fn)``  none: AnyIO prefers awaiting     scheduled via the backend
``InvalidStateError``      ``FutureNotFinished``,           one :exc:`InvalidStateError`
                           ``FutureAlreadyFinished``
``CancelledError``         ``FutureCancelled``              :exc:`CancelledError`
=========================  ===============================  ==============================

Why not wrap an ``anyio.Future``: its ``exception`` is a property where asyncio's
has a method, so it cannot be subclassed, and wrapping one stacks a second
status computation and two more coroutine layers on every ``await``. With
``async-rosetta bench futures`` on a 2-core machine, the wrapper's wake-up was
about 4x asyncio's (23 us a round); keeping the state here and waiting on the
same :class:`anyio.Event` that ``anyio.Future`` uses brought it to about 2.7x
(15 us), level with ``anyio.Future`` itself. The Event is made only when
someone has to wait.

AnyIO dropped callbacks on purpose (structured code awaits instead); asyncio's
Future has them, so they are here, scheduled with the backend's thread-safe
``run_sync_soon`` from the future's :class:`anyio.lowlevel.EventLoopToken`,
never run inside ``set_result``. The same token binds the future to the event
loop run that created it.

As on Trio, ``await fut`` is a checkpoint on every backend, and cancelling a
task that awaits a future leaves the future pending.

As in asyncio, a failed future raises its exception with the traceback it was
stored with, on every ``result()`` and ``await``, so re-raising neither grows
the traceback nor keeps earlier awaits' frames alive; and a failed future
collected before anyone read its exception is reported ("Future exception was
never retrieved").

Error handling
--------------
An exception raised by a done callback is logged and does not stop the other
callbacks (asyncio's default behaviour; on Trio it would otherwise crash the run).
An exception never retrieved is logged too: AnyIO has no loop exception handler.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
from anyio.lowlevel import EventLoopToken, checkpoint, current_token

__all__ = ["CancelledError", "InvalidStateError", "Future"]

T = TypeVar("T")

_log = logging.getLogger(__name__)

_Status = anyio.Future.Status
_PENDING = _Status.PENDING
_FINISHED = _Status.FINISHED
_FAILED = _Status.FAILED
_CANCELLED = _Status.CANCELLED


# asyncio refuses StopIteration with TypeError up to 3.12 and stores it as a RuntimeError
# from 3.13 (gh-112182); the Future follows the asyncio of the running Python.
_STOPITERATION_BECOMES_RUNTIMEERROR = sys.version_info >= (3, 13)


def _check_settable(exception: BaseException) -> BaseException:
    """What ``set_exception`` stores for *exception* (PEP 479: StopIteration cannot travel)."""
    if not isinstance(exception, StopIteration):
        return exception
    message = "StopIteration interacts badly with generators and cannot be raised into a Future"
    if not _STOPITERATION_BECOMES_RUNTIMEERROR:
        raise TypeError(message)
    replacement = RuntimeError(message)
    replacement.__cause__ = replacement.__context__ = exception
    return replacement


class CancelledError(Exception):
    """The future (or task) was cancelled (AnyIO: ``FutureCancelled`` / ``TaskCancelled``).

    An ``Exception``: it reports a future's state. Unwinding a cancelled task is
    the backend's own cancellation exception
    (:func:`anyio.get_cancelled_exc_class`).
    """


class InvalidStateError(Exception):
    """The operation is not allowed in the future's current state.

    (AnyIO raises ``FutureNotFinished`` or ``FutureAlreadyFinished``.)
    """


def _token() -> EventLoopToken:
    try:
        return current_token()
    except anyio.NoEventLoopError:
        raise RuntimeError(
            "this Future needs a running event loop (asyncio or Trio) in this thread: "
            "a Future belongs to the event loop run that created it"
        ) from None


class Future(Generic[T]):
    """A value that will be available later, on any AnyIO backend.

    The state moves once, PENDING to FINISHED, FAILED or CANCELLED, each
    transition guarded by :meth:`_settle`.
    """

    __slots__ = (
        "__weakref__",
        "_callbacks",
        "_cancel_message",
        "_error",
        "_event",
        "_log_traceback",
        "_state",
        "_tb",
        "_token",
        "_value",
    )

    _value: T

    def __init__(self) -> None:
        self._init_state(_token())

    def _init_state(self, token: EventLoopToken) -> None:
        self._token = token
        self._state = _PENDING
        self._error: BaseException | None = None
        # The traceback the exception had when it was stored (asyncio's _exception_tb);
        # for a cancelled Task, the traceback of the cancellation that unwound it.
        self._tb: TracebackType | None = None
        self._log_traceback = False  # a stored exception nobody has read yet
        self._cancel_message: Any | None = None
        self._callbacks: list[Callable[[Future[T]], object]] = []
        # Made by the first await that has to wait: a future resolved before anyone
        # waits never pays for an Event. (A Task waits on its TaskHandle instead.)
        self._event: anyio.Event | None = None

    # -- state -----------------------------------------------------------------------------

    def done(self) -> bool:
        return self._state is not _PENDING

    def cancelled(self) -> bool:
        return self._state is _CANCELLED

    def result(self) -> T:
        """The value, or raise the exception the future was given.

        Raises :exc:`InvalidStateError` while pending and :exc:`CancelledError`
        once cancelled.
        """
        state = self._state
        if state is _FINISHED:
            return self._value
        if state is _FAILED:
            self._log_traceback = False
            raise self._error.with_traceback(self._tb)  # type: ignore[union-attr]  # FAILED has one
        if state is _CANCELLED:
            raise self._make_cancelled_error()
        raise InvalidStateError("Result is not ready.")

    def exception(self) -> BaseException | None:
        state = self._state
        if state is _FINISHED or state is _FAILED:
            self._log_traceback = False
            return self._error
        if state is _CANCELLED:
            raise self._make_cancelled_error()
        raise InvalidStateError("Exception is not set.")

    # -- transitions -----------------------------------------------------------------------

    # Each setter guards its own transition, as CPython's futures.py does: only PENDING
    # moves. Like asyncio's, the setters are for the loop's own thread; other threads go
    # through the loop's token (as run_in_executor does). Awaiting checks the loop.

    def set_result(self, result: T, /) -> None:
        if self._state is not _PENDING:
            raise self._invalid_transition(_FINISHED)
        self._state = _FINISHED
        self._value = result
        if self._event is not None:
            self._event.set()
        if self._callbacks:
            self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException], /) -> None:
        if self._state is not _PENDING:
            raise self._invalid_transition(_FAILED)
        if isinstance(exception, type):
            exception = exception()
        exception = _check_settable(exception)
        self._state = _FAILED
        self._error = exception
        self._tb = exception.__traceback__
        self._log_traceback = True
        if self._event is not None:
            self._event.set()
        if self._callbacks:
            self._schedule_callbacks()

    def cancel(self, msg: Any | None = None) -> bool:
        """Cancel a pending future. Returns ``False`` if it was already done."""
        self._log_traceback = False  # asyncio: a cancel() call counts as looking at it
        if self._state is not _PENDING:
            return False
        self._state = _CANCELLED
        self._cancel_message = msg
        if self._event is not None:
            self._event.set()
        if self._callbacks:
            self._schedule_callbacks()
        return True

    def _invalid_transition(self, new: _Status) -> InvalidStateError:
        return InvalidStateError(
            f"invalid state {self._state.name} -> {new.name}: {self!r} is already done"
        )

    # -- callbacks -------------------------------------------------------------------------

    def add_done_callback(self, fn: Callable[[Future[T]], object], /) -> None:
        """Call ``fn(future)`` soon after the future is done (at once if it already is)."""
        if self.done():
            self._call_soon(fn)
        else:
            self._callbacks.append(fn)

    def remove_done_callback(self, fn: Callable[[Future[T]], object], /) -> int:
        """Remove every registration of *fn*; return how many there were."""
        callbacks = self._callbacks
        kept = [cb for cb in callbacks if cb != fn]
        removed = len(callbacks) - len(kept)
        if removed:  # a callback's __eq__ may have changed the list meanwhile: keep that
            self._callbacks = kept
        return removed

    def _schedule_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            self._call_soon(fn)

    def _call_soon(self, fn: Callable[[Future[T]], object]) -> None:
        token = self._token
        token.backend_class.run_sync_soon(self._run_callback, (fn,), token.native_token)

    def _run_callback(self, fn: Callable[[Future[T]], object]) -> None:
        try:
            fn(self)
        except Exception:
            _log.exception("Exception in callback %r of %r", fn, self)

    # -- waiting ---------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        if self._state is _PENDING:
            self._check_loop()
        yield from self._wait_done().__await__()  # a checkpoint even when already done
        if self._state is _FINISHED:
            return self._value
        return self.result()

    def _wait_done(self) -> Any:
        """An awaitable that completes when the future is done (Task waits on its handle)."""
        if self._state is not _PENDING:
            return checkpoint()
        if self._event is None:
            self._event = anyio.Event()
        return self._event.wait()

    async def _wait(self) -> None:
        """Wait until done without raising the future's outcome."""
        self._check_loop()
        await self._wait_done()

    # -- helpers ---------------------------------------------------------------------------

    def _check_loop(self) -> None:
        # The backend's own lookup (asyncio: get_running_loop()) costs a quarter of
        # anyio.lowlevel.current_token(), which also detects the backend and builds a token.
        token = self._token
        try:
            current = token.backend_class.current_token()
        except Exception:  # no event loop of that backend in this thread
            current = None
        if current is not token.native_token:
            raise RuntimeError(
                f"{self!r} belongs to another event loop run; it cannot be used here"
            )

    def _make_cancelled_error(self) -> CancelledError:
        if self._cancel_message is None:
            error = CancelledError()
        else:
            error = CancelledError(self._cancel_message)
        # A cancelled Task keeps where its coroutine was interrupted, for the first reader
        # (as asyncio keeps the CancelledError that unwound it); then it lets the frames go.
        tb, self._tb = self._tb, None
        return error.with_traceback(tb)

    def __del__(self) -> None:
        # getattr: __init__ may have failed (a bad argument) before setting it
        if not getattr(self, "_log_traceback", False) or self._error is None:
            return
        error = self._error
        _log.error(
            "%s exception was never retrieved: %r",
            type(self).__name__,
            self,
            exc_info=(type(error), error, self._tb),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state.name.lower()}>"
