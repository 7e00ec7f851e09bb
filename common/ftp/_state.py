"""The session's two state machines, with their transitions as data.

A session is two orthogonal machines, as in h11 (which keeps one per peer):

* the **login** machine: ``AWAIT_USER`` → ``AWAIT_PASS`` → ``LOGGED_IN``, and
  ``CLOSED`` from anywhere on QUIT or after too many failed logins;
* the **data channel** machine: ``NONE`` → ``PASSIVE_OPENING`` (the shell opens a
  listener) → ``PASSIVE``, or ``NONE`` → ``ACTIVE`` (PORT/EPRT), then
  ``TRANSFER`` while the shell moves bytes, and back to ``NONE``: RFC 959 spends
  one PASV/PORT per transfer.

Error handling
--------------
A transition missing from the table is a bug in the core, not in the peer:
:meth:`Machine.fire` raises :class:`FTPStateError`. The connection checks the
state itself before it fires (a command out of sequence gets 503 from the
command's handler); :meth:`Machine.can` is for tests that read the tables.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Generic, TypeVar

__all__ = [
    "DATA_TRANSITIONS",
    "SESSION_TRANSITIONS",
    "DataEvent",
    "DataState",
    "FTPStateError",
    "Machine",
    "SessionEvent",
    "SessionState",
]


class FTPStateError(RuntimeError):
    """An event was fired in a state whose table has no transition for it."""


class SessionState(enum.Enum):
    AWAIT_USER = "AWAIT_USER"
    AWAIT_PASS = "AWAIT_PASS"
    LOGGED_IN = "LOGGED_IN"
    CLOSED = "CLOSED"


class SessionEvent(enum.Enum):
    USER = "USER"
    PASS_OK = "PASS_OK"
    PASS_BAD = "PASS_BAD"
    LOCKOUT = "LOCKOUT"
    QUIT = "QUIT"


class DataState(enum.Enum):
    NONE = "NONE"
    PASSIVE_OPENING = "PASSIVE_OPENING"
    PASSIVE = "PASSIVE"
    ACTIVE = "ACTIVE"
    TRANSFER = "TRANSFER"


class DataEvent(enum.Enum):
    PASV = "PASV"
    PASV_READY = "PASV_READY"
    PASV_FAILED = "PASV_FAILED"
    PORT = "PORT"
    START = "START"
    FINISH = "FINISH"
    RESET = "RESET"


_S, _E = SessionState, SessionEvent
SESSION_TRANSITIONS: Mapping[tuple[SessionState, SessionEvent], SessionState] = {
    (_S.AWAIT_USER, _E.USER): _S.AWAIT_PASS,
    (_S.AWAIT_PASS, _E.USER): _S.AWAIT_PASS,
    (_S.AWAIT_PASS, _E.PASS_OK): _S.LOGGED_IN,
    (_S.AWAIT_PASS, _E.PASS_BAD): _S.AWAIT_USER,
    (_S.AWAIT_PASS, _E.LOCKOUT): _S.CLOSED,
    (_S.AWAIT_USER, _E.QUIT): _S.CLOSED,
    (_S.AWAIT_PASS, _E.QUIT): _S.CLOSED,
    (_S.LOGGED_IN, _E.QUIT): _S.CLOSED,
}

_D, _DE = DataState, DataEvent
_IDLE = (_D.NONE, _D.PASSIVE, _D.ACTIVE)
DATA_TRANSITIONS: Mapping[tuple[DataState, DataEvent], DataState] = {
    **{(s, _DE.PASV): _D.PASSIVE_OPENING for s in _IDLE},
    **{(s, _DE.PORT): _D.ACTIVE for s in _IDLE},
    (_D.PASSIVE_OPENING, _DE.PASV_READY): _D.PASSIVE,
    (_D.PASSIVE_OPENING, _DE.PASV_FAILED): _D.NONE,
    (_D.PASSIVE, _DE.START): _D.TRANSFER,
    (_D.ACTIVE, _DE.START): _D.TRANSFER,
    (_D.TRANSFER, _DE.FINISH): _D.NONE,
    **{(s, _DE.RESET): _D.NONE for s in DataState},
}

StateT = TypeVar("StateT", bound=enum.Enum)
EventT = TypeVar("EventT", bound=enum.Enum)


class Machine(Generic[StateT, EventT]):
    """A state driven by a transition table ``{(state, event): next_state}``."""

    def __init__(self, table: Mapping[tuple[StateT, EventT], StateT], initial: StateT) -> None:
        self._table = table
        self.state = initial

    def can(self, event: EventT) -> bool:
        """Whether *event* has a transition from the current state."""
        return (self.state, event) in self._table

    def fire(self, event: EventT) -> StateT:
        """Move to the state the table names for *event*; return it.

        Error handling: raises :class:`FTPStateError` if the table has no such transition.
        """
        try:
            self.state = self._table[self.state, event]
        except KeyError:
            raise FTPStateError(f"no transition for {event.name} in {self.state.name}") from None
        return self.state
