"""A sans-I/O FTP server core (RFC 959, 2428, 3659), in the style of h11.

Bytes from the control connection go in (:meth:`Connection.receive_data`);
:class:`Action` objects come out (:meth:`Connection.next_action`): reply bytes
to write, a delay, a passive listener to open, a file or listing to move over
a data connection, a connection to close. The core does no I/O and has no
async code; the asyncio, Trio and AnyIO shells move the bytes. File metadata
(stat, listdir, realpath, mkdir, rename…) goes through a small
:class:`FileSystem` protocol the shell provides and tests fake.

Error handling
--------------
Nothing a client sends raises: every input becomes a reply. See
:mod:`common.ftp._connection` for the full I/O contract.
"""

from __future__ import annotations

from common.ftp._actions import (
    Action,
    CheckPassword,
    Close,
    CloseData,
    Delay,
    OpenPassiveListener,
    ReceiveFile,
    SendData,
    SendFile,
    SendReply,
    Wait,
)
from common.ftp._auth import User, Users, hash_password, verify_password
from common.ftp._commands import COMMANDS, CommandSpec, format_reply
from common.ftp._connection import Config, Connection, TransferError
from common.ftp._listing import list_line, mlsx_line
from common.ftp._paths import FileSystem, Jail, PathError, StatLike, normalize_virtual
from common.ftp._state import DataState, FTPStateError, SessionState

__all__ = [
    "COMMANDS",
    "Action",
    "CheckPassword",
    "Close",
    "CloseData",
    "CommandSpec",
    "Config",
    "Connection",
    "DataState",
    "Delay",
    "FTPStateError",
    "FileSystem",
    "Jail",
    "OpenPassiveListener",
    "PathError",
    "ReceiveFile",
    "SendData",
    "SendFile",
    "SendReply",
    "SessionState",
    "StatLike",
    "TransferError",
    "User",
    "Users",
    "Wait",
    "format_reply",
    "hash_password",
    "list_line",
    "mlsx_line",
    "normalize_virtual",
    "verify_password",
]
