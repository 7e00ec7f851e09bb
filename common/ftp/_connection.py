"""One FTP control session as a sans-I/O object: bytes in, actions out.

The I/O contract (all a shell needs)::

    conn = Connection(fs, root, client_address=peer, users=users)
    while True:
        action = conn.next_action()
        if action is Wait.NEED_DATA:
            conn.receive_data(await control.receive_some())   # b"" at EOF
        elif action is Wait.PAUSED:
            pass  # unreachable if OpenPassiveListener is answered before looping
        elif isinstance(action, SendReply):   await control.send_all(action.data)
        elif isinstance(action, Delay):       await sleep(action.seconds)
        elif isinstance(action, CheckPassword):
            ok, write = await run_in_thread(users.check, action.user, action.password)
            conn.password_checked(ok, write)    # before looping again
        elif isinstance(action, Close):       break
        elif isinstance(action, OpenPassiveListener):
            port = await open_listener()        # then exactly one of:
            conn.passive_opened(host, port)     # or conn.passive_failed()
        elif isinstance(action, CloseData):   cancel the transfer task, close listener
        else:  # SendFile / SendData / ReceiveFile
            start a task: open the data connection (accept on the listener, only
            from conn.data_peer_allowed(host), or connect to action.connect_to),
            move the bytes, close it, then conn.transfer_complete(action.transfer_id)
            or conn.transfer_failed(action.transfer_id, TransferError.…)

Call ``receive_data`` only after ``NEED_DATA``: that keeps the input held here
bounded by one read. The transfer task's callbacks may come at any time
between actions; stale ones (after ABOR) are ignored by ``transfer_id``.

Error handling
--------------
Nothing the peer sends makes the core raise: bad input becomes a reply
(500/501/502/503/530/550…). :class:`OSError` from the :class:`FileSystem` is
answered with 550. Exceptions that escape are bugs in the core (or a
:class:`FileSystem` raising something other than ``OSError``).
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import posixpath
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass

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
from common.ftp._auth import Users
from common.ftp._commands import COMMANDS, NOT_IMPLEMENTED, Perm, check_syntax, format_reply
from common.ftp._listing import DEFAULT_FACTS, SUPPORTED_FACTS, list_line, mlsx_line
from common.ftp._paths import FileSystem, Jail, PathError
from common.ftp._state import (
    DATA_TRANSITIONS,
    SESSION_TRANSITIONS,
    DataEvent,
    DataState,
    Machine,
    SessionEvent,
    SessionState,
)

__all__ = ["Config", "Connection", "TransferError"]

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TransferError(enum.Enum):
    """Why a transfer failed, as the shell reports it; the value is the reply code."""

    NO_CONNECTION = 425  # the data connection could not be opened
    CONNECTION_LOST = 426  # it broke (or stalled past its timeout) mid-transfer
    LOCAL_ERROR = 451  # reading or writing the file failed


_TRANSFER_TEXT = {
    TransferError.NO_CONNECTION: "Cannot open data connection.",
    TransferError.CONNECTION_LOST: "Connection closed; transfer aborted.",
    TransferError.LOCAL_ERROR: "Local error in processing.",
}


@dataclass(frozen=True, slots=True)
class Config:
    """Per-server settings of the core (timeouts and limits on sockets belong to the shell)."""

    banner: str = "async-rosetta FTP server ready."
    login_delay: float = 1.0
    max_login_failures: int = 3
    max_line: int = 2048
    #: The IPv4 address PASV announces instead of the listener's (behind NAT).
    masquerade: str | None = None


class _Marker(enum.Enum):
    TOO_LONG = "TOO_LONG"
    EOF = "EOF"


_IAC, _WILL, _DONT = 0xFF, 0xFB, 0xFE


class _LineReader:
    """Splits the control stream into lines, filtering Telnet commands, in bounded memory.

    Telnet (RFC 854) sequences such as IP (``IAC 0xF4``) and Synch's DM
    (``IAC 0xF2``), sent before ABOR, are dropped; ``IAC IAC`` is a literal 0xFF.
    A line over *max_line* bytes is dropped as it arrives and queued as
    ``TOO_LONG``, so at most *max_line* bytes of a partial line are ever held.
    """

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        # Complete lines not yet taken, from _next on. A list, not a deque: an empty deque
        # is 760 bytes, and an idle session holds its reader (and the actions) for hours.
        self.lines: list[bytes | _Marker] = []
        self._next = 0
        self._partial = bytearray()
        self._discarding = False
        self._telnet = 0  # 0: data, 1: after IAC, 2: after IAC WILL/WONT/DO/DONT

    def _filter(self, data: bytes) -> bytes:
        if self._telnet == 0 and _IAC not in data:
            return data
        out = bytearray()
        for byte in data:
            if self._telnet == 1:
                self._telnet = 2 if _WILL <= byte <= _DONT else 0
                if byte == _IAC:
                    out.append(byte)
            elif self._telnet == 2:
                self._telnet = 0  # the option byte of a negotiation
            elif byte == _IAC:
                self._telnet = 1
            else:
                out.append(byte)
        return bytes(out)

    def has_line(self) -> bool:
        return self._next < len(self.lines)

    def take(self) -> bytes | _Marker:
        """The oldest line not yet taken (call only if :meth:`has_line`)."""
        line = self.lines[self._next]
        self._next += 1
        if self._next == len(self.lines):
            self.clear()
        return line

    def clear(self) -> None:
        self.lines.clear()
        self._next = 0

    def feed(self, data: bytes) -> None:
        data = self._filter(data)
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                if not self._discarding:
                    self._partial += data[start:]
                    if len(self._partial) > self.max_line + 1:  # +1: a CR split from its LF
                        self._partial.clear()
                        self._discarding = True
                return
            if self._discarding:
                self._discarding = False
                self.lines.append(_Marker.TOO_LONG)
            else:
                self._partial += data[start:end]
                line = bytes(self._partial.removesuffix(b"\r"))
                self._partial.clear()
                self.lines.append(_Marker.TOO_LONG if len(line) > self.max_line else line)
            start = end + 1


@functools.lru_cache(maxsize=1024)  # parsing is ~4 us, once per session; clients repeat
def _ip(host: str) -> _IPAddress | None:
    """*host* as an address, IPv4-mapped IPv6 unwrapped; ``None`` if it is not one."""
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _quote(path: str) -> str:
    # RFC 959 appendix II: a double quote inside a 257 path is doubled.
    return '"' + path.replace('"', '""') + '"'


class Connection:
    """The protocol state of one control connection (see the module docstring for the contract).

    *fs* is used for metadata only; *root* is the real directory clients see
    as ``/``; *client_address* is the control connection's peer, against which
    PORT/EPRT targets and passive data peers are checked.

    Error handling: see the module docstring — peers get replies, not exceptions.
    The shell's callbacks never raise either: one out of turn (no listener was
    asked for, a stale ``transfer_id``) is ignored.
    """

    def __init__(
        self,
        fs: FileSystem,
        root: str,
        *,
        client_address: tuple[str, int],
        users: Users,
        config: Config | None = None,
    ) -> None:
        self.config = config or Config()
        self.session: Machine[SessionState, SessionEvent] = Machine(
            SESSION_TRANSITIONS, SessionState.AWAIT_USER
        )
        self.data: Machine[DataState, DataEvent] = Machine(DATA_TRANSITIONS, DataState.NONE)
        self.cwd = "/"
        self._fs = fs
        self._jail = Jail(fs, root)
        self._users = users
        self._client_ip = _ip(client_address[0])
        self._reader = _LineReader(self.config.max_line)
        self._actions: list[Action] = []  # a few at a time; see _LineReader.lines
        self._user: str | None = None
        self._may_write = False
        self._failures = 0
        self._checking = False
        self._ascii = True  # RFC 959's default TYPE is A
        self._rest = 0  # the offset of a REST, until RETR, STOR or APPE takes it
        self._rename_from: str | None = None
        self._active_target: tuple[str, int] | None = None
        self._passive_extended = False
        self._epsv_all = False
        self._transfer_id = 0
        self._quit_pending = False  # QUIT came during a transfer: 221 once it has ended
        self._facts = DEFAULT_FACTS
        self._reply(220, self.config.banner)

    # -- the I/O contract ---------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the session is over (a :class:`Close` action has been queued)."""
        return self.session.state is SessionState.CLOSED

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the control connection; ``b""`` means the peer closed it.

        Error handling: never raises; data after the session closed is ignored.
        """
        if self.closed:
            return
        if data:
            self._reader.feed(data)
        else:
            self._reader.lines.append(_Marker.EOF)

    def next_action(self) -> Action | Wait:
        """The next thing for the shell to do, or what it must wait for (:class:`Wait`)."""
        while not self._actions:
            if self.closed:
                return Wait.NEED_DATA
            if self.data.state is DataState.PASSIVE_OPENING or self._checking:
                return Wait.PAUSED
            if not self._reader.has_line():
                return Wait.NEED_DATA
            self._handle_line(self._reader.take())
        return self._actions.pop(0)

    def passive_opened(self, host: str, port: int) -> None:
        """The shell's listener for :class:`OpenPassiveListener` listens on *host*:*port*.

        *host* is the address to announce in PASV's 227 reply: the control
        connection's local address (not a wildcard such as ``0.0.0.0``), unless
        ``Config.masquerade`` overrides it. EPSV announces only the port.
        """
        if self.data.state is not DataState.PASSIVE_OPENING:
            return
        if self._passive_extended:
            self.data.fire(DataEvent.PASV_READY)
            self._reply(229, f"Entering Extended Passive Mode (|||{port}|).")
            return
        addr = _ip(self.config.masquerade or host)
        if not isinstance(addr, ipaddress.IPv4Address) or not 0 < port < 65536:
            self._actions.append(CloseData())
            self.data.fire(DataEvent.PASV_FAILED)
            self._reply(425, "Cannot announce a non-IPv4 address with PASV; use EPSV.")
            return
        self.data.fire(DataEvent.PASV_READY)
        numbers = ",".join(str(b) for b in (*addr.packed, port >> 8, port & 0xFF))
        self._reply(227, f"Entering Passive Mode ({numbers}).")

    def passive_failed(self) -> None:
        """The shell could not open the listener asked for."""
        if self.data.state is DataState.PASSIVE_OPENING:
            self.data.fire(DataEvent.PASV_FAILED)
            self._reply(425, "Cannot open passive connection.")

    def password_checked(self, ok: bool, may_write: bool) -> None:
        """The result of the :class:`CheckPassword` asked for: ``Users.check``'s pair."""
        if self._checking:
            self._checking = False
            self._login_result(ok, may_write)

    def data_peer_allowed(self, host: str) -> bool:
        """Whether a passive data connection from *host* may be used (else keep waiting)."""
        return self._client_ip is not None and _ip(host) == self._client_ip

    def transfer_complete(self, transfer_id: int) -> None:
        """The transfer *transfer_id* finished and its data connection is closed."""
        if self._is_current(transfer_id):
            self.data.fire(DataEvent.FINISH)
            self._reply(226, "Transfer complete.")
            self._quit_if_pending()

    def transfer_failed(self, transfer_id: int, error: TransferError) -> None:
        """The transfer *transfer_id* failed; its data connection is closed."""
        if self._is_current(transfer_id):
            self.data.fire(DataEvent.FINISH)
            self._reply(error.value, _TRANSFER_TEXT[error])
            self._quit_if_pending()

    # -- plumbing ---------------------------------------------------------------------

    def _is_current(self, transfer_id: int) -> bool:
        return self.data.state is DataState.TRANSFER and transfer_id == self._transfer_id

    def _reply(self, code: int, text: str) -> None:
        self._actions.append(SendReply(format_reply(code, text)))

    def _quit_if_pending(self) -> None:
        if self._quit_pending:
            self._reply(221, "Goodbye.")
            self._close()

    def _close(self) -> None:
        if self.data.state is not DataState.NONE:
            self._actions.append(CloseData())
            self.data.fire(DataEvent.RESET)
        self._actions.append(Close())
        self.session.fire(SessionEvent.QUIT)
        self._reader.clear()

    def _handle_line(self, raw: bytes | _Marker) -> None:
        if raw is _Marker.EOF:
            self._close()
            return
        if self._quit_pending and (raw is _Marker.TOO_LONG or raw.strip().upper() != b"ABOR"):
            return  # QUIT was the last command; only ABOR may still cut the transfer short
        if raw is _Marker.TOO_LONG:
            self._reply(500, "Command line too long.")
            return
        text = raw.decode("utf-8", "surrogateescape")
        word, _, arg = text.partition(" ")
        name = word.upper()
        spec = COMMANDS.get(name)
        if spec is None:
            if name in NOT_IMPLEMENTED:
                self._reply(502, "Command not implemented.")
            else:
                self._reply(500, "Unknown command.")
            return
        if self.data.state is DataState.TRANSFER and not spec.during_transfer:
            self._reply(503, "A transfer is in progress; wait for it or send ABOR.")
            return
        if spec.login and self.session.state is not SessionState.LOGGED_IN:
            self._reply(530, "Please log in with USER and PASS.")
            return
        if "\0" in arg or not check_syntax(spec, arg.strip()):
            self._reply(501, "Syntax error in parameters or arguments.")
            return
        if spec.perm is Perm.WRITE and not self._may_write:
            self._reply(550, "Permission denied.")
            return
        # RNTO must follow RNFR directly: take it once.
        rename_from, self._rename_from = self._rename_from, None
        handler: Callable[..., None] = getattr(self, "_do_" + name.lower())
        try:
            if name == "RNTO":
                handler(arg, rename_from)
            elif name in ("RETR", "STOR", "APPE"):
                # REST waits for the transfer command, whatever comes between (PASV, TYPE):
                # RFC 3659 §5.3 leaves that order undefined; keeping the offset, as pyftpdlib
                # does, spares a client that sends REST before PASV a silent restart at 0.
                rest, self._rest = self._rest, 0
                handler(arg, rest)
            else:
                handler(arg)
        except PathError as exc:
            self._reply(exc.code, exc.text)
        except FileNotFoundError:
            self._reply(550, "No such file or directory.")
        except OSError as exc:
            self._reply(550, f"{exc.strerror or 'Requested action not taken'}.")

    def _resolve(self, arg: str) -> tuple[str, str]:
        return self._jail.resolve(self.cwd, arg)

    def _resolve_entry(self, arg: str) -> tuple[str, str]:
        return self._jail.resolve_entry(self.cwd, arg)

    def _start_transfer(self, make: Callable[[int, tuple[str, int] | None], Action]) -> bool:
        if self.data.state not in (DataState.PASSIVE, DataState.ACTIVE):
            self._reply(425, "Use PORT, EPRT, PASV or EPSV first.")
            return False
        target = self._active_target if self.data.state is DataState.ACTIVE else None
        self.data.fire(DataEvent.START)
        self._transfer_id += 1
        self._reply(150, "Opening data connection.")
        self._actions.append(make(self._transfer_id, target))
        return True

    def _data_refused(self) -> bool:
        if self._epsv_all:
            self._reply(503, "Only EPSV is accepted after EPSV ALL.")
        return self._epsv_all

    def _set_active(self, host: str, port: int) -> None:
        addr = _ip(host)
        if addr is None or addr != self._client_ip or not 1024 <= port < 65536:
            # FTP bounce (RFC 2577): only the client itself, on an unprivileged port.
            self._reply(501, "Refusing a data connection to another host or a privileged port.")
            return
        if self.data.state is DataState.PASSIVE:
            self._actions.append(CloseData())  # the listener will not be used now
        self.data.fire(DataEvent.PORT)
        self._active_target = (str(addr), port)
        self._reply(200, "Data connection target accepted.")

    # -- login and session ------------------------------------------------------------

    def _do_user(self, arg: str) -> None:
        if self.session.state is SessionState.LOGGED_IN:
            self._reply(503, "Already logged in.")
            return
        self.session.fire(SessionEvent.USER)
        self._user = arg
        # Always 331, whether the name exists or not: no user enumeration.
        self._reply(331, "Password required.")

    def _do_pass(self, arg: str) -> None:
        if self.session.state is not SessionState.AWAIT_PASS or self._user is None:
            self._reply(503, "Login with USER first.")
            return
        if self._users.is_anonymous(self._user):
            self._login_result(self._users.anonymous, False)
            return
        self._checking = True  # next_action pauses until password_checked()
        self._actions.append(CheckPassword(self._user, arg))

    def _login_result(self, ok: bool, may_write: bool) -> None:
        if self.closed:
            return  # the peer went away while its password was being checked
        if ok:
            self.session.fire(SessionEvent.PASS_OK)
            self._failures, self._may_write = 0, may_write
            self._reply(230, "Login successful.")
            return
        self._failures += 1
        self._user = None
        self._actions.append(Delay(self.config.login_delay))
        if self._failures >= self.config.max_login_failures:
            self.session.fire(SessionEvent.LOCKOUT)
            self._reply(421, "Too many failed logins; closing the connection.")
            self._actions.append(Close())
            self._reader.clear()
        else:
            self.session.fire(SessionEvent.PASS_BAD)
            self._reply(530, "Login incorrect.")

    def _do_quit(self, arg: str) -> None:
        if self.data.state is DataState.TRANSFER:
            # RFC 959 §4.1.1: the connection stays open for the transfer's result reply
            # (or ABOR's); then 221 and close.
            self._quit_pending = True
            return
        self._reply(221, "Goodbye.")
        self._close()

    def _do_noop(self, arg: str) -> None:
        self._reply(200, "NOOP ok.")

    def _do_syst(self, arg: str) -> None:
        self._reply(215, "UNIX Type: L8")

    def _do_feat(self, arg: str) -> None:
        facts = "".join(f"{f}{'*' if f in self._facts else ''};" for f in SUPPORTED_FACTS)
        features = ["EPRT", "EPSV", "MDTM", f"MLST {facts}", "PASV", "REST STREAM", "SIZE"]
        self._reply(211, "\n".join(["Features:", *features, "TVFS", "UTF8", "End"]))

    def _do_opts(self, arg: str) -> None:
        option, _, value = arg.strip().partition(" ")
        option = option.upper()
        if option == "UTF8" and value.strip().upper() in ("ON", ""):
            self._reply(200, "Always in UTF8 mode.")
        elif option == "MLST":
            wanted = {f.lower() for f in value.strip().split(";") if f}
            self._facts = frozenset(f for f in SUPPORTED_FACTS if f in wanted)
            self._reply(
                200, "MLST OPTS " + "".join(f + ";" for f in SUPPORTED_FACTS if f in wanted)
            )
        else:
            self._reply(501, "Option not understood.")

    def _do_help(self, arg: str) -> None:
        if not arg.strip():
            names = sorted(COMMANDS)
            rows = [" ".join(f"{n:<5}" for n in names[i : i + 8]) for i in range(0, len(names), 8)]
            self._reply(
                214, "\n".join(["The following commands are recognized:", *rows, "Help OK."])
            )
            return
        spec = COMMANDS.get(arg.strip().upper())
        if spec is None:
            self._reply(501, "Unknown command.")
        else:
            self._reply(214, f"Syntax: {spec.help}")

    def _do_type(self, arg: str) -> None:
        # TYPE A is accepted and files still move byte for byte, as vsftpd does by default
        # (RFC 959 would convert LF <-> CRLF). Decided so: a binary file fetched or stored
        # by a client left in TYPE A (Windows' ftp.exe starts in it) stays intact; SIZE
        # (ftplib asks it in TYPE A) and REST offsets agree with the file on disk (pyftpdlib,
        # which converts, refuses both in TYPE A: an honest SIZE would read the whole
        # file); downloads keep sendfile. Listings are CRLF already.
        value = arg.strip().upper()
        if value in ("A", "A N"):
            self._ascii = True
            self._reply(200, "Type set to A.")
        elif value in ("I", "L 8"):
            self._ascii = False
            self._reply(200, "Type set to I.")
        else:
            self._reply(504, "Command not implemented for that parameter.")

    def _do_mode(self, arg: str) -> None:
        if arg.strip().upper() == "S":
            self._reply(200, "Mode set to S.")
        else:
            self._reply(504, "Command not implemented for that parameter.")

    def _do_stru(self, arg: str) -> None:
        if arg.strip().upper() == "F":
            self._reply(200, "Structure set to F.")
        else:
            self._reply(504, "Command not implemented for that parameter.")

    def _do_allo(self, arg: str) -> None:
        self._reply(202, "No storage allocation necessary.")

    def _do_stat(self, arg: str) -> None:
        if self.data.state is DataState.TRANSFER:
            if arg.strip():
                self._reply(503, "A transfer is in progress; wait for it or send ABOR.")
            else:
                self._reply(211, "Status:\nData connection open; transfer in progress.\nEnd")
            return
        if not arg.strip():
            kind = "ASCII" if self._ascii else "BINARY"
            lines = [f"Logged in as {self._user}", f"TYPE: {kind}; STRU: F; MODE: S"]
            lines.append(f"Data connection: {self.data.state.name.lower()}")
            self._reply(211, "\n".join(["Status:", *lines, "End"]))
            return
        _virtual, real = self._resolve(arg)
        is_dir = stat.S_ISDIR(self._fs.stat(real).st_mode)
        lines = self._list_lines(real)
        self._reply(212 if is_dir else 213, "\n".join(["Status:", *lines, "End"]))

    # -- directories ------------------------------------------------------------------

    def _do_pwd(self, arg: str) -> None:
        self._reply(257, f"{_quote(self.cwd)} is the current directory.")

    def _do_cwd(self, arg: str) -> None:
        virtual, real = self._resolve(arg)
        if not stat.S_ISDIR(self._fs.stat(real).st_mode):
            self._reply(550, "Not a directory.")
            return
        self.cwd = virtual
        self._reply(250, f"Directory changed to {virtual}.")

    def _do_cdup(self, arg: str) -> None:
        self._do_cwd("..")

    def _do_mkd(self, arg: str) -> None:
        virtual, real = self._resolve_entry(arg)
        self._fs.mkdir(real)
        self._reply(257, f"{_quote(virtual)} created.")

    def _do_rmd(self, arg: str) -> None:
        _virtual, real = self._resolve_entry(arg)
        self._fs.rmdir(real)
        self._reply(250, "Directory removed.")

    # -- files ------------------------------------------------------------------------

    def _regular_file(self, arg: str) -> tuple[str, int] | None:
        _virtual, real = self._resolve(arg)
        st = self._fs.stat(real)
        if not stat.S_ISREG(st.st_mode):
            self._reply(550, "Not a regular file.")
            return None
        return real, st.st_size

    def _do_size(self, arg: str) -> None:
        # Also in TYPE A: ftplib asks SIZE without switching to TYPE I first.
        found = self._regular_file(arg)
        if found is not None:
            self._reply(213, str(found[1]))

    def _do_mdtm(self, arg: str) -> None:
        _virtual, real = self._resolve(arg)
        st = self._fs.stat(real)
        if not stat.S_ISREG(st.st_mode):
            self._reply(550, "Not a regular file.")
            return
        self._reply(213, time.strftime("%Y%m%d%H%M%S", time.gmtime(st.st_mtime)))

    def _do_dele(self, arg: str) -> None:
        if self._regular_file(arg) is not None:
            # Remove the entry named, not a symlink's target.
            self._fs.remove(self._resolve_entry(arg)[1])
            self._reply(250, "File deleted.")

    def _do_rnfr(self, arg: str) -> None:
        self._fs.stat(self._resolve(arg)[1])  # must exist; a symlink must stay inside
        _virtual, real = self._resolve_entry(arg)
        self._rename_from = real
        self._reply(350, "Ready for RNTO.")

    def _do_rnto(self, arg: str, rename_from: str | None) -> None:
        if rename_from is None:
            self._reply(503, "Bad sequence of commands: send RNFR first.")
            return
        _virtual, real = self._resolve_entry(arg)
        self._fs.rename(rename_from, real)
        self._reply(250, "Rename successful.")

    def _do_rest(self, arg: str) -> None:
        self._rest = int(arg.strip())
        self._reply(350, f"Restarting at {self._rest}. Send RETR, STOR or APPE.")

    def _do_retr(self, arg: str, rest: int) -> None:
        found = self._regular_file(arg)
        if found is None:
            return
        real, size = found
        if rest > size:
            self._reply(554, "Invalid REST parameter: beyond the end of the file.")
            return
        self._start_transfer(lambda tid, to: SendFile(tid, to, real, rest, self._ascii))

    def _store(self, arg: str, rest: int, append: bool) -> None:
        _virtual, real = self._resolve(arg)
        size: int | None = None
        try:
            st = self._fs.stat(real)
            if stat.S_ISDIR(st.st_mode):
                self._reply(550, "Is a directory.")
                return
            size = st.st_size
        except FileNotFoundError:
            pass  # a new file; its directory must exist
        if not stat.S_ISDIR(self._fs.stat(posixpath.dirname(real)).st_mode):
            self._reply(550, "No such directory.")
            return
        # A resuming client with a stale offset would otherwise have its data stored at
        # the wrong place (RFC 1123 §4.1.3.4 allows 554 for a REST that cannot be honoured).
        if rest and not append and (size is None or rest > size):
            where = "the file does not exist" if size is None else "beyond the end of the file"
            self._reply(554, f"Invalid REST parameter: {where}.")
            return
        self._start_transfer(
            lambda tid, to: ReceiveFile(tid, to, real, 0 if append else rest, append, self._ascii)
        )

    def _do_stor(self, arg: str, rest: int) -> None:
        self._store(arg, rest, append=False)

    def _do_appe(self, arg: str, rest: int) -> None:
        self._store(arg, rest, append=True)

    def _do_abor(self, arg: str) -> None:
        if self.data.state is DataState.TRANSFER:
            self._actions.append(CloseData())
            self.data.fire(DataEvent.RESET)
            # RFC 959 §4.1.3: 426 for the aborted transfer, then 226 for the ABOR itself.
            self._reply(426, "Connection closed; transfer aborted.")
            self._reply(226, "Abort successful.")
            self._quit_if_pending()
            return
        if self.data.state is not DataState.NONE:
            self._actions.append(CloseData())
            self.data.fire(DataEvent.RESET)
        self._reply(225, "No transfer to abort.")

    # -- data channel setup -----------------------------------------------------------

    def _do_pasv(self, arg: str) -> None:
        if self._data_refused():
            return
        if not isinstance(self._client_ip, ipaddress.IPv4Address):
            self._reply(501, "PASV is IPv4 only; use EPSV.")
            return
        self._passive_extended = False
        self.data.fire(DataEvent.PASV)
        self._actions.append(OpenPassiveListener(extended=False))

    def _do_epsv(self, arg: str) -> None:
        value = arg.strip().upper()
        if value == "ALL":
            self._epsv_all = True
            self._reply(200, "EPSV ALL accepted.")
            return
        family = "1" if isinstance(self._client_ip, ipaddress.IPv4Address) else "2"
        if value and value != family:
            self._reply(522, f"Network protocol not supported, use ({family}).")
            return
        self._passive_extended = True
        self.data.fire(DataEvent.PASV)
        self._actions.append(OpenPassiveListener(extended=True))

    def _do_port(self, arg: str) -> None:
        if self._data_refused():
            return
        numbers = [int(n) for n in arg.strip().split(",")]
        if any(n > 255 for n in numbers):
            self._reply(501, "Syntax error in parameters or arguments.")
            return
        host = ".".join(str(n) for n in numbers[:4])
        self._set_active(host, numbers[4] << 8 | numbers[5])

    def _do_eprt(self, arg: str) -> None:
        if self._data_refused():
            return
        arg = arg.strip()
        fields = arg[1:].split(arg[0]) if len(arg) > 1 and 33 <= ord(arg[0]) <= 126 else []
        if len(fields) != 4 or fields[3] or not fields[2].isdigit():
            self._reply(501, "Syntax error in parameters or arguments.")
            return
        proto, host, port = fields[0], fields[1], int(fields[2])
        version = {"1": 4, "2": 6}.get(proto)
        if version is None:
            self._reply(522, "Network protocol not supported, use (1,2).")
            return
        try:
            parsed: _IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            parsed = None
        if parsed is None or parsed.version != version:
            self._reply(501, "Syntax error in parameters or arguments.")
            return
        self._set_active(host, port)

    # -- listings ---------------------------------------------------------------------

    def _entries(self, real: str) -> list[tuple[str, str]]:
        """``(name, real path)`` of a directory's entries, sorted; escaping links hidden."""
        out = []
        for name in sorted(self._fs.listdir(real)):
            try:
                child = self._jail.contain(posixpath.join(real, name))
            except PathError:
                continue
            out.append((name, child))
        return out

    def _list_lines(self, real: str) -> list[str]:
        now = time.time()
        st = self._fs.stat(real)
        if not stat.S_ISDIR(st.st_mode):
            return [list_line(posixpath.basename(real), st, now)]
        lines = []
        for name, child in self._entries(real):
            try:
                lines.append(list_line(name, self._fs.stat(child), now))
            except OSError:
                continue  # vanished or a dangling link: skip it, as ls would complain
        return lines

    def _send_listing(self, lines: list[str]) -> None:
        data = "".join(line + "\r\n" for line in lines).encode("utf-8", "surrogateescape")
        self._start_transfer(lambda tid, to: SendData(tid, to, data))

    @staticmethod
    def _strip_options(arg: str) -> str:
        # "LIST -la dir": wget and file managers send ls options; they change nothing here.
        arg = arg.strip()
        while arg.startswith("-"):
            arg = arg.partition(" ")[2].lstrip()
        return arg

    def _do_list(self, arg: str) -> None:
        path = self._strip_options(arg)
        _virtual, real = self._resolve(path)
        self._send_listing(self._list_lines(real))

    def _do_nlst(self, arg: str) -> None:
        path = self._strip_options(arg)
        _virtual, real = self._resolve(path)
        if stat.S_ISDIR(self._fs.stat(real).st_mode):
            names = [name for name, _child in self._entries(real)]
        else:
            names = [path]
        self._send_listing(names)

    def _do_mlsd(self, arg: str) -> None:
        _virtual, real = self._resolve(arg)
        if not stat.S_ISDIR(self._fs.stat(real).st_mode):
            self._reply(501, "Not a directory.")
            return
        lines = []
        for name, child in self._entries(real):
            try:
                st = self._fs.stat(child)
            except OSError:
                continue
            lines.append(mlsx_line(name, st, facts=self._facts, writable=self._may_write))
        self._send_listing(lines)

    def _do_mlst(self, arg: str) -> None:
        virtual, real = self._resolve(arg)
        st = self._fs.stat(real)
        entry = mlsx_line(virtual, st, facts=self._facts, writable=self._may_write)
        # RFC 3659 §7.2: the entry line is SP, then the entry (``facts SP path``);
        # format_reply's indent is that first SP, so with no facts the line is "  /".
        self._reply(250, f"Listing {virtual}\n{entry}\nEnd")
