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
:mod:`shared.ftp._connection` for the full I/O contract.
"""

from __future__ import annotations

from shared.ftp._actions import (
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
from shared.ftp._auth import User, Users, hash_password, verify_password
from shared.ftp._commands import COMMANDS, CommandSpec, format_reply
from shared.ftp._connection import Config, Connection, TransferError
from shared.ftp._listing import list_line, mlsx_line
from shared.ftp._paths import FileSystem, Jail, PathError, StatLike, normalize_virtual
from shared.ftp._state import DataState, FTPStateError, SessionState
from shared.ftp._support import (
    IDLE_TIMEOUT_REPLY,
    TOO_MANY_REPLY,
    UPLOAD_BUFFER_SIZE,
    UPLOAD_BUFFERS,
    AddressLimiter,
    BufferPool,
    OSFileSystem,
    ServerOptions,
    Upload,
    accept_control_connections,
    accept_data_connection,
    configure_control_socket,
    finish_connect,
    open_passive_listener,
    password_check_slots,
    receive_into,
    start_connect,
)

__all__ = [
    "COMMANDS",
    "IDLE_TIMEOUT_REPLY",
    "TOO_MANY_REPLY",
    "UPLOAD_BUFFERS",
    "UPLOAD_BUFFER_SIZE",
    "Action",
    "AddressLimiter",
    "BufferPool",
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
    "OSFileSystem",
    "OpenPassiveListener",
    "PathError",
    "ReceiveFile",
    "SendData",
    "SendFile",
    "SendReply",
    "ServerOptions",
    "SessionState",
    "StatLike",
    "TransferError",
    "Upload",
    "User",
    "Users",
    "Wait",
    "accept_control_connections",
    "accept_data_connection",
    "configure_control_socket",
    "finish_connect",
    "format_reply",
    "hash_password",
    "list_line",
    "mlsx_line",
    "normalize_virtual",
    "open_passive_listener",
    "password_check_slots",
    "receive_into",
    "start_connect",
    "verify_password",
]
