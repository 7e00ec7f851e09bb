"""Future, the asyncio way: the standard library's own :class:`asyncio.Future`.

Nothing is re-implemented here; this module names the stdlib objects so the
three packages line up. What the stdlib does (``Lib/asyncio/futures.py``):

* A future starts PENDING and moves once, to FINISHED (``set_result`` /
  ``set_exception``) or to CANCELLED (``cancel``). Every other transition is
  refused with :exc:`InvalidStateError`.
* ``result()`` on a pending future raises :exc:`InvalidStateError`; on a
  cancelled one it raises :exc:`CancelledError`.
* Done callbacks are never called inside ``set_result``: the loop schedules
  them with ``call_soon``, each receiving the future.
* A future belongs to the loop that was running when it was made. Awaiting it
  from a task of another loop raises :exc:`RuntimeError`.
* Awaiting a future that nobody resolves waits forever.

Error handling
--------------
An exception raised by a done callback does not reach ``set_result``'s caller:
the loop passes it to its exception handler, which logs it.
"""

from __future__ import annotations

import asyncio

__all__ = ["CancelledError", "InvalidStateError", "Future"]

# A BaseException since Python 3.8, so ``except Exception`` cannot swallow a cancellation.
CancelledError = asyncio.CancelledError

InvalidStateError = asyncio.InvalidStateError

Future = asyncio.Future
