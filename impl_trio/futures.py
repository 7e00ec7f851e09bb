"""Future, the Trio way: a :class:`trio.Event` that carries an :mod:`outcome`.

Trio has no Future: its answer to "wait for a value someone else produces" is a
:class:`trio.Event` plus a place to put the value, or a memory channel. This
module builds asyncio's Future from exactly those parts so it lines up with
:class:`asyncio.Future`:

* PENDING → FINISHED (``set_result`` / ``set_exception``, stored as an
  ``outcome.Value`` / ``outcome.Error``) or PENDING → CANCELLED (``cancel``).
  The transitions are the table :data:`_TRANSITIONS`; anything else raises
  :exc:`InvalidStateError`.
* Cancelling a future is a state of the *future*. It is reported as this
  module's :exc:`CancelledError`, never as a forged :class:`trio.Cancelled`:
  ``trio.Cancelled`` belongs to cancel scopes and may only be raised by Trio.
* Done callbacks are scheduled with :meth:`trio.lowlevel.TrioToken.run_sync_soon`,
  Trio's ``call_soon``, so they never run inside ``set_result``.
* A future belongs to the ``trio.run`` that created it; using it from another
  run (or from a thread) raises :exc:`RuntimeError`.
* ``await fut`` is always a checkpoint, even when the future is already done:
  Trio's rule that every ``await`` on a Trio primitive may switch tasks and may
  raise ``Cancelled``.
* A failed future raises its exception with the traceback it was stored with,
  on every ``result()`` and ``await`` (as asyncio does): re-raising does not
  grow the traceback, nor keep the frames of earlier awaits alive.
* A failed future that is garbage collected before anyone read its exception
  is reported ("Future exception was never retrieved"), as asyncio does.

Unlike asyncio, cancelling a task that is awaiting a future does **not** cancel
the future: a future may have many waiters, and one waiter leaving says nothing
about the value.

Error handling
--------------
An exception raised by a done callback is logged (as asyncio's default exception
handler does) and does not stop the other callbacks; letting it escape from
``run_sync_soon`` would crash the whole run with ``TrioInternalError``. An
exception that was never retrieved is logged the same way: Trio has no loop
exception handler to give it to.
"""

from __future__ import annotations

import enum
import logging
import sys
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

import outcome
import trio

__all__ = ["CancelledError", "InvalidStateError", "Future"]

T = TypeVar("T")

_log = logging.getLogger(__name__)


class CancelledError(Exception):
    """The future (or task) was cancelled.

    An ``Exception``, not a ``BaseException``: it reports the state of a future
    to whoever asks for its result. Unwinding a cancelled task is the job of
    :class:`trio.Cancelled`, which only Trio raises.
    """


class InvalidStateError(Exception):
    """The operation is not allowed in the future's current state."""


class _State(enum.Enum):
    PENDING = "pending"
    CANCELLED = "cancelled"
    FINISHED = "finished"


# Allowed transitions; a future moves at most once. (CPython's futures.py guards each
# setter by hand; here the rule is one table, in the style of h11's state machine.)
_TRANSITIONS: dict[_State, frozenset[_State]] = {
    _State.PENDING: frozenset({_State.CANCELLED, _State.FINISHED}),
    _State.CANCELLED: frozenset(),
    _State.FINISHED: frozenset(),
}


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


def _current_token() -> trio.lowlevel.TrioToken:
    try:
        return trio.lowlevel.current_trio_token()
    except RuntimeError:
        raise RuntimeError(
            "this Future needs a running trio.run() in this thread: a Future belongs to "
            "the Trio run that created it"
        ) from None


class Future(Generic[T]):
    """A value that will be available later, with asyncio's interface.

    Create it inside ``trio.run``; resolve it with :meth:`set_result`,
    :meth:`set_exception` or :meth:`cancel`; ``await`` it to get the result.
    """

    __slots__ = (
        "__weakref__",
        "_callbacks",
        "_cancel_message",
        "_event",
        "_log_traceback",
        "_outcome",
        "_state",
        "_tb",
        "_token",
    )

    def __init__(self) -> None:
        self._token = _current_token()
        self._state = _State.PENDING
        self._outcome: outcome.Value[T] | outcome.Error | None = None
        self._cancel_message: Any | None = None
        # The traceback the exception had when it was stored (asyncio's _exception_tb);
        # for a cancelled Task, the traceback of the cancellation that unwound it.
        self._tb: TracebackType | None = None
        self._log_traceback = False  # a stored exception nobody has read yet
        self._callbacks: list[Callable[[Future[T]], object]] = []
        self._event = trio.Event()

    # -- state ---------------------------------------------------------------------------

    def done(self) -> bool:
        return self._state is not _State.PENDING

    def cancelled(self) -> bool:
        return self._state is _State.CANCELLED

    def result(self) -> T:
        """The value, or raise the exception the future was given.

        Raises :exc:`InvalidStateError` while pending and :exc:`CancelledError`
        once cancelled.
        """
        if self._state is _State.CANCELLED:
            raise self._make_cancelled_error()
        if self._outcome is None:
            raise InvalidStateError("Result is not ready.")
        # Not outcome.unwrap(): an outcome unwraps only once, a result may be read often.
        if isinstance(self._outcome, outcome.Error):
            self._log_traceback = False
            raise self._outcome.error.with_traceback(self._tb)
        return self._outcome.value

    def exception(self) -> BaseException | None:
        if self._state is _State.CANCELLED:
            raise self._make_cancelled_error()
        if self._outcome is None:
            raise InvalidStateError("Exception is not set.")
        self._log_traceback = False
        return self._outcome.error if isinstance(self._outcome, outcome.Error) else None

    # -- transitions ---------------------------------------------------------------------

    def set_result(self, result: T, /) -> None:
        self._finish(_State.FINISHED, outcome.Value(result))

    def set_exception(self, exception: BaseException | type[BaseException], /) -> None:
        if isinstance(exception, type):
            exception = exception()
        if self._state is not _State.PENDING:  # before StopIteration: a done future says so
            raise InvalidStateError(f"invalid state {self._state.value}: {self!r}")
        exception = _check_settable(exception)
        self._finish(_State.FINISHED, outcome.Error(exception))
        self._tb = exception.__traceback__
        self._log_traceback = True

    def cancel(self, msg: Any | None = None) -> bool:
        """Cancel a pending future. Returns ``False`` if it was already done."""
        self._log_traceback = False  # asyncio: a cancel() call counts as looking at it
        if self._state is not _State.PENDING:
            return False
        self._cancel_message = msg
        self._finish(_State.CANCELLED, None)
        return True

    def _finish(self, new: _State, result: outcome.Value[T] | outcome.Error | None) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise InvalidStateError(f"invalid state {self._state.value} -> {new.value}: {self!r}")
        self._check_run()
        self._state = new
        self._outcome = result
        self._event.set()
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            self._token.run_sync_soon(self._run_callback, fn)

    # -- callbacks -----------------------------------------------------------------------

    def add_done_callback(self, fn: Callable[[Future[T]], object], /) -> None:
        """Call ``fn(future)`` soon after the future is done (at once if it already is)."""
        if self.done():
            self._token.run_sync_soon(self._run_callback, fn)
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

    def _run_callback(self, fn: Callable[[Future[T]], object]) -> None:
        try:
            fn(self)
        except Exception:
            _log.exception("Exception in callback %r of %r", fn, self)

    # -- waiting -------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        return self._wait_result().__await__()

    async def _wait_result(self) -> T:
        self._check_run()
        await self._event.wait()  # a checkpoint even when already set
        return self.result()

    async def _wait(self) -> None:
        """Wait until done without raising the future's outcome."""
        self._check_run()
        await self._event.wait()

    # -- helpers -------------------------------------------------------------------------

    def _check_run(self) -> None:
        if _current_token() is not self._token:
            raise RuntimeError(f"{self!r} belongs to another trio.run(); it cannot be used here")

    def _make_cancelled_error(self) -> CancelledError:
        error = (
            CancelledError()
            if self._cancel_message is None
            else CancelledError(self._cancel_message)
        )
        # A cancelled Task keeps where its coroutine was interrupted, for the first reader
        # (as asyncio keeps the CancelledError that unwound it); then it lets the frames go.
        tb, self._tb = self._tb, None
        return error.with_traceback(tb)

    def __del__(self) -> None:
        # getattr: __init__ may have failed (a bad argument) before setting it
        if not getattr(self, "_log_traceback", False) or not isinstance(
            self._outcome, outcome.Error
        ):
            return
        error = self._outcome.error
        _log.error(
            "%s exception was never retrieved: %r",
            type(self).__name__,
            self,
            exc_info=(type(error), error, self._tb),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state.value}>"
