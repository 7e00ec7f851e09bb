"""What the core asks its I/O shell to do: the output half of the sans-I/O contract.

The shell loops on :meth:`Connection.next_action` and performs each action in
order. Control-connection bytes are :class:`SendReply`; everything long-running
(data transfers) or timed (:class:`Delay`) is an action too, so the core never
blocks and never touches a socket or a file's contents.

Error handling
--------------
Actions are plain frozen dataclasses and cannot fail. What can fail is the
shell performing them; the shell reports that back through the connection's
callbacks (``passive_failed``, ``transfer_failed``), never by raising into it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "Action",
    "CheckPassword",
    "Close",
    "CloseData",
    "Delay",
    "OpenPassiveListener",
    "ReceiveFile",
    "SendData",
    "SendFile",
    "SendReply",
    "Wait",
]


class Wait(enum.Enum):
    """What :meth:`Connection.next_action` returns when it has no action."""

    #: Read more bytes from the control connection and call ``receive_data``.
    NEED_DATA = "NEED_DATA"
    #: The core waits for a callback (``passive_opened``/``passive_failed`` or
    #: ``password_checked``) first.
    PAUSED = "PAUSED"


@dataclass(frozen=True, slots=True)
class SendReply:
    """Write *data* (one complete reply, CRLF-terminated) on the control connection."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Delay:
    """Sleep *seconds* before performing the next action (failed-login throttling)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class CheckPassword:
    """Check a named user's password off the event loop, then call ``password_checked``.

    scrypt is meant to be slow (tens of milliseconds of CPU): run on the loop, one
    login would stall every other session. The shell runs ``Users.check(user,
    password)`` on a worker thread and passes its ``(ok, may_write)`` back.
    Anonymous logins need no hashing and never come through here.
    """

    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Close:
    """Close the control connection (after writing every reply before it)."""


@dataclass(frozen=True, slots=True)
class OpenPassiveListener:
    """Open a data listener, then call ``passive_opened(host, port)`` or ``passive_failed()``.

    The shell closes any previous listener first. *extended* is true for EPSV
    (any address family) and false for PASV (IPv4 only).
    """

    extended: bool


@dataclass(frozen=True, slots=True)
class CloseData:
    """Cancel the running transfer (if any) and close the data connection and listener.

    The shell must not report on a cancelled transfer; late reports are ignored
    anyway, since each transfer carries its own ``transfer_id``.
    """


@dataclass(frozen=True, slots=True)
class _Transfer:
    #: Pass back to ``transfer_complete``/``transfer_failed``.
    transfer_id: int
    #: ``None``: accept on the passive listener (only from ``Connection.data_peer_allowed``
    #: addresses); else connect to this ``(host, port)`` (active mode, already vetted).
    connect_to: tuple[str, int] | None


@dataclass(frozen=True, slots=True)
class SendFile(_Transfer):
    """Open the data connection and send the file at real *path* from byte *offset*.

    *ascii* is true in TYPE A; the shells send the bytes unconverted all the same
    (``Connection._do_type`` says why).
    """

    path: str
    offset: int
    ascii: bool


@dataclass(frozen=True, slots=True)
class SendData(_Transfer):
    """Open the data connection and send *data* (a directory listing, already CRLF)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ReceiveFile(_Transfer):
    """Open the data connection and store what arrives into real *path*.

    Write from byte *offset* (REST) or append; write to a temporary file in the
    same directory and rename on success, so a failed upload leaves no partial file.
    *ascii* is true in TYPE A; the bytes are stored unconverted all the same.
    """

    path: str
    offset: int
    append: bool
    ascii: bool


Action = (
    SendReply
    | Delay
    | CheckPassword
    | Close
    | OpenPassiveListener
    | CloseData
    | SendFile
    | SendData
    | ReceiveFile
)
