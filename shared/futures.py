"""Future, backend-agnostic: :class:`anyio.Future` with asyncio's interface.

Runs unchanged on AnyIO's asyncio (and uvloop) and Trio backends. The state and
the waiting are :class:`anyio.Future`'s; this class adds what the seed's
interface has and AnyIO's does not:

=========================  ===============================  ==============================
asyncio / the seed         anyio.Future                     here
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

AnyIO dropped callbacks on purpose (structured code awaits instead); the seed's
Future has them, so they are here, scheduled with the backend's thread-safe
``run_sync_soon`` from the future's :class:`anyio.lowlevel.EventLoopToken`,
never run inside ``set_result``. The same token binds the future to the event
loop run that created it.

As on Trio, ``await fut`` is a checkpoint on every backend, and cancelling a
task that awaits a future leaves the future pending.

Error handling
--------------
An exception raised by a done callback is logged and does not stop the other
callbacks (asyncio's default behaviour; on Trio it would otherwise crash the run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import anyio
from anyio.lowlevel import EventLoopToken, current_token

__all__ = ["CancelledError", "InvalidStateError", "Future"]

T = TypeVar("T")

_log = logging.getLogger(__name__)

_Status = anyio.Future.Status


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
    """A value that will be available later, on any AnyIO backend."""

    __slots__ = ("_callbacks", "_cancel_message", "_inner", "_token")

    def __init__(self) -> None:
        self._token = _token()
        self._inner: anyio.Future[T] = anyio.Future()
        self._cancel_message: Any | None = None
        self._callbacks: list[Callable[[Future[T]], object]] = []

    # -- state: read from the AnyIO object; Task overrides _status -------------------------

    def _status(self) -> _Status:
        return self._inner.status

    def _failure(self) -> BaseException | None:
        return self._inner.exception

    def _value(self) -> T:
        return self._inner.return_value

    def done(self) -> bool:
        return self._status() is not _Status.PENDING

    def cancelled(self) -> bool:
        return self._status() is _Status.CANCELLED

    def result(self) -> T:
        """The value, or raise the exception the future was given.

        Raises :exc:`InvalidStateError` while pending and :exc:`CancelledError`
        once cancelled.
        """
        status = self._status()
        if status is _Status.FINISHED:
            return self._value()
        if status is _Status.FAILED:
            raise self._failure()  # type: ignore[misc]  # FAILED means an exception is set
        if status is _Status.CANCELLED:
            raise self._make_cancelled_error()
        raise InvalidStateError("Result is not ready.")

    def exception(self) -> BaseException | None:
        status = self._status()
        if status is _Status.FAILED:
            return self._failure()
        if status is _Status.FINISHED:
            return None
        if status is _Status.CANCELLED:
            raise self._make_cancelled_error()
        raise InvalidStateError("Exception is not set.")

    # -- transitions: AnyIO guards them, we translate its errors ---------------------------

    def set_result(self, result: T, /) -> None:
        self._check_pending()
        self._inner.return_value = result
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException], /) -> None:
        if isinstance(exception, type):
            exception = exception()
        if isinstance(exception, StopIteration):
            raise TypeError("StopIteration interacts badly with generators and cannot be set")
        self._check_pending()
        self._inner.exception = exception
        self._schedule_callbacks()

    def cancel(self, msg: Any | None = None) -> bool:
        """Cancel a pending future. Returns ``False`` if it was already done."""
        if self.done():
            return False
        self._check_loop()
        self._cancel_message = msg
        self._inner.cancel()
        self._schedule_callbacks()
        return True

    def _check_pending(self) -> None:
        if self.done():
            raise InvalidStateError(f"invalid state: {self!r} is already done")
        self._check_loop()

    # -- callbacks -----------------------------------------------------------------------

    def add_done_callback(self, fn: Callable[[Future[T]], object], /) -> None:
        """Call ``fn(future)`` soon after the future is done (at once if it already is)."""
        if self.done():
            self._call_soon(fn)
        else:
            self._callbacks.append(fn)

    def remove_done_callback(self, fn: Callable[[Future[T]], object], /) -> int:
        """Remove every registration of *fn*; return how many there were."""
        kept = [cb for cb in self._callbacks if cb != fn]
        removed = len(self._callbacks) - len(kept)
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

    # -- waiting -------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        self._check_loop()
        yield from self._inner.wait().__await__()
        return self.result()

    async def _wait(self) -> None:
        """Wait until done without raising the future's outcome."""
        self._check_loop()
        await self._inner.wait()

    # -- helpers -------------------------------------------------------------------------

    def _check_loop(self) -> None:
        if _token().native_token is not self._token.native_token:
            raise RuntimeError(
                f"{self!r} belongs to another event loop run; it cannot be used here"
            )

    def _make_cancelled_error(self) -> CancelledError:
        if self._cancel_message is None:
            return CancelledError()
        return CancelledError(self._cancel_message)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._status().name.lower()}>"
