"""The sans-I/O FTP core, driven directly: no sockets, no event loop, a fake filesystem."""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.ftp import (
    COMMANDS,
    Action,
    CheckPassword,
    Close,
    CloseData,
    Config,
    Connection,
    Delay,
    FTPStateError,
    OpenPassiveListener,
    PathError,
    ReceiveFile,
    SendData,
    SendFile,
    SendReply,
    TransferError,
    User,
    Users,
    Wait,
    format_reply,
    hash_password,
    list_line,
    mlsx_line,
    normalize_virtual,
    verify_password,
)
from common.ftp._state import (
    DATA_TRANSITIONS,
    SESSION_TRANSITIONS,
    DataEvent,
    DataState,
    Machine,
    SessionEvent,
    SessionState,
)
from common.ftp_support import Upload

pytestmark = [pytest.mark.concept("ftp"), pytest.mark.timeout(30)]

MTIME = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
ROOT = "/srv/ftp"
CLIENT = ("192.0.2.7", 40000)
# Cheap scrypt parameters: the tests exercise the logic, not the cost.
ALICE = User(hash_password("secret", n=2**4), write=True)
BOB = User(hash_password("hunter2", n=2**4), write=False)


@dataclass(frozen=True)
class FakeStat:
    st_mode: int
    st_size: int = 0
    st_mtime: float = MTIME
    st_nlink: int = 1
    st_uid: int = 1000
    st_gid: int = 1000


class FakeFS:
    """A POSIX-like tree in dictionaries, with symlinks, raising OSError like os does."""

    def __init__(self) -> None:
        self.dirs: set[str] = {"/", "/srv", "/etc", ROOT}
        self.files: dict[str, bytes] = {"/etc/passwd": b"root:x:0:0\n"}
        self.links: dict[str, str] = {}

    def add_file(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def realpath(self, path: str, _depth: int = 0) -> str:
        if _depth > 20:
            raise OSError(errno.ELOOP, "Too many levels of symbolic links")
        resolved = "/"
        for part in path.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                resolved = posixpath.dirname(resolved)
                continue
            candidate = posixpath.join(resolved, part)
            if candidate in self.links:
                target = posixpath.join(resolved, self.links[candidate])
                resolved = self.realpath(target, _depth + 1)
            else:
                resolved = candidate
        return resolved

    def stat(self, path: str) -> FakeStat:
        real = self.realpath(path)
        if real in self.dirs:
            return FakeStat(stat.S_IFDIR | 0o755, 4096, st_nlink=2)
        if real in self.files:
            return FakeStat(stat.S_IFREG | 0o644, len(self.files[real]))
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)

    def _children(self, path: str) -> list[str]:
        every = [*self.dirs, *self.files, *self.links]
        return [posixpath.basename(p) for p in every if p != "/" and posixpath.dirname(p) == path]

    def listdir(self, path: str) -> list[str]:
        real = self.realpath(path)
        if real not in self.dirs:
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        return self._children(real)

    def mkdir(self, path: str) -> None:
        if path in self.dirs or path in self.files:
            raise FileExistsError(errno.EEXIST, "File exists", path)
        if posixpath.dirname(path) not in self.dirs:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        self.dirs.add(path)

    def rmdir(self, path: str) -> None:
        if path not in self.dirs:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        if self._children(path):
            raise OSError(errno.ENOTEMPTY, "Directory not empty", path)
        self.dirs.remove(path)

    def remove(self, path: str) -> None:
        if path in self.links:
            del self.links[path]
            return
        if path not in self.files:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        del self.files[path]

    def rename(self, src: str, dst: str) -> None:
        if src in self.links:
            self.links[dst] = self.links.pop(src)
        elif src in self.files:
            self.files[dst] = self.files.pop(src)
        elif src in self.dirs:
            self.dirs.remove(src)
            self.dirs.add(dst)
        else:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", src)


def make_fs() -> FakeFS:
    fs = FakeFS()
    fs.dirs |= {f"{ROOT}/pub", f"{ROOT}/pub/sub", f"{ROOT}/empty"}
    fs.add_file(f"{ROOT}/pub/readme.txt", b"hello world\n")
    fs.add_file(f"{ROOT}/big.bin", bytes(1000))
    fs.links[f"{ROOT}/escape"] = "/etc"  # a symlink out of the jail
    fs.links[f"{ROOT}/inner"] = "pub"  # a symlink that stays inside
    return fs


def connect(fs: FakeFS | None = None, *, client: tuple[str, int] = CLIENT) -> Connection:
    users = USERS
    config = Config(login_delay=0.5)
    return Connection(fs or make_fs(), ROOT, client_address=client, users=users, config=config)


USERS = Users({"alice": ALICE, "bob": BOB})


def drain(conn: Connection) -> list[Action]:
    """Every action until the core waits; password checks are answered inline."""
    out: list[Action] = []
    while not isinstance(action := conn.next_action(), Wait):
        out.append(action)
        if isinstance(action, CheckPassword):
            conn.password_checked(*USERS.check(action.user, action.password))
    return out


def send(conn: Connection, line: str | bytes) -> list[Action]:
    data = line.encode() if isinstance(line, str) else line
    conn.receive_data(data + b"\r\n")
    return drain(conn)


def codes(actions: list[Action]) -> list[int]:
    return [int(a.data[:3]) for a in actions if isinstance(a, SendReply)]


def text(actions: list[Action]) -> str:
    return b"".join(a.data for a in actions if isinstance(a, SendReply)).decode()


def login(user: str = "anonymous", password: str = "me@example.com") -> Connection:
    conn = connect()
    assert codes(drain(conn)) == [220]
    assert codes(send(conn, f"USER {user}")) == [331]
    assert codes(send(conn, f"PASS {password}")) == [230]
    return conn


def passive(conn: Connection, port: int = 50000) -> None:
    assert send(conn, "PASV") == [OpenPassiveListener(extended=False)]
    assert conn.next_action() is Wait.PAUSED
    conn.passive_opened("127.0.0.1", port)
    assert codes(drain(conn)) == [227]


# -- login --------------------------------------------------------------------------------


def test_banner_then_anonymous_login_is_read_only() -> None:
    conn = login()
    assert conn.session.state is SessionState.LOGGED_IN
    assert codes(send(conn, "MKD new")) == [550]
    assert codes(send(conn, "STOR x")) == [550]


def test_named_user_with_write_permission() -> None:
    conn = login("alice", "secret")
    assert codes(send(conn, "MKD new")) == [257]


def test_named_user_without_write_permission() -> None:
    conn = login("bob", "hunter2")
    assert codes(send(conn, "DELE big.bin")) == [550]
    assert codes(send(conn, "SIZE big.bin")) == [213]


@pytest.mark.parametrize("user", ["alice", "nobody", "anonymous"])
def test_user_always_331(user: str) -> None:
    conn = connect()
    drain(conn)
    assert codes(send(conn, f"USER {user}")) == [331]


def test_anonymous_can_be_disabled() -> None:
    conn = Connection(make_fs(), ROOT, client_address=CLIENT, users=Users(anonymous=False))
    drain(conn)
    send(conn, "USER anonymous")
    assert send(conn, "PASS x")[0] == Delay(1.0)


def test_failed_logins_are_delayed_and_the_third_closes() -> None:
    conn = connect()
    drain(conn)
    for _ in range(2):
        send(conn, "USER alice")
        actions = send(conn, "PASS wrong")
        assert actions[0] == CheckPassword("alice", "wrong")  # hashed off the loop
        assert actions[1] == Delay(0.5)  # the delay comes before the reply
        assert codes(actions) == [530]
    send(conn, "USER nobody")
    actions = send(conn, "PASS whatever")
    assert actions[1] == Delay(0.5)
    assert codes(actions) == [421]
    assert isinstance(actions[-1], Close)
    assert conn.closed
    assert send(conn, "USER alice") == []  # input after the close is ignored


def test_password_check_pauses_the_session() -> None:
    conn = connect()
    drain(conn)
    send(conn, "USER alice")
    conn.receive_data(b"PASS secret\r\nPWD\r\n")
    assert conn.next_action() == CheckPassword("alice", "secret")
    assert conn.next_action() is Wait.PAUSED  # PWD waits for the verdict
    assert "secret" not in repr(CheckPassword("alice", "secret"))
    conn.password_checked(True, True)
    conn.password_checked(False, False)  # a second answer is ignored
    assert codes(drain(conn)) == [230, 257]


def test_anonymous_login_needs_no_hashing() -> None:
    conn = connect()
    drain(conn)
    send(conn, "USER anonymous")
    actions = send(conn, "PASS me@example.com")
    assert not any(isinstance(a, CheckPassword) for a in actions)
    assert codes(actions) == [230]


def test_success_resets_the_failure_count() -> None:
    conn = connect()
    drain(conn)
    for password in ["bad", "bad", "secret"]:
        send(conn, "USER alice")
        send(conn, f"PASS {password}")
    assert conn.session.state is SessionState.LOGGED_IN


def test_login_sequence_errors() -> None:
    conn = connect()
    drain(conn)
    assert codes(send(conn, "PASS x")) == [503]
    assert codes(send(conn, "PWD")) == [530]
    assert codes(send(conn, "RETR big.bin")) == [530]
    conn = login()
    assert codes(send(conn, "USER bob")) == [503]
    assert codes(send(conn, "PASS x")) == [503]


SCRYPT_RETENTION = """
import threading
from common.ftp import hash_password, verify_password
stored = hash_password("pw")  # the real cost: n=2**14, 16 MiB per check
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
before = rss()
for _ in range(4):  # one check at a time, each on a thread of its own
    thread = threading.Thread(target=verify_password, args=("pw", stored))
    thread.start()
    thread.join()
print(rss() - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
def test_a_password_check_gives_its_memory_back() -> None:
    """scrypt's 16 MiB leaves with the check, on whichever thread ran it (glibc's arenas)."""
    done = subprocess.run(
        [sys.executable, "-c", SCRYPT_RETENTION],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    grown_kib = int(done.stdout)
    assert grown_kib < 8 * 1024, f"{grown_kib / 1024:.1f} MiB still resident after 4 checks"


def test_passwords_are_hashed_and_checked() -> None:
    stored = hash_password("pässword", n=2**4)
    assert stored.startswith("scrypt$16$8$1$")
    assert "pässword" not in stored
    assert verify_password("pässword", stored)
    assert not verify_password("password", stored)
    assert hash_password("pässword", n=2**4) != stored  # salted
    for bad in ["", "scrypt$x", "md5$1$1$1$00$00", "scrypt$3$8$1$00$00", "scrypt$16$8$1$zz$00"]:
        assert not verify_password("x", bad)


# -- reply classes, syntax ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("NOOP", 200),
        ("noop", 200),
        ("SYST", 215),
        ("FEAT", 211),
        ("HELP", 214),
        ("HELP RETR", 214),
        ("HELP BOGUS", 501),
        ("OPTS UTF8 ON", 200),
        ("OPTS MLST type;size;", 200),
        ("OPTS FOO", 501),
        ("TYPE I", 200),
        ("TYPE A", 200),
        ("TYPE L 8", 200),
        ("TYPE E", 504),
        ("TYPE X", 501),
        ("MODE S", 200),
        ("MODE B", 504),
        ("STRU F", 200),
        ("STRU R", 504),
        ("ALLO 100", 202),
        ("STAT", 211),
        ("STAT pub", 212),
        ("STAT big.bin", 213),
        ("REST abc", 501),
        ("NOOP extra", 501),
        ("RETR", 501),
        ("BOGUS", 500),
        ("", 500),
        ("SITE CHMOD 777 x", 502),
        ("REIN", 502),
        ("CWD a\0b", 501),
    ],
)
def test_reply_codes(line: str, code: int) -> None:
    assert codes(send(login(), line)) == [code]


def test_feat_and_mlst_options() -> None:
    conn = login()
    feat = text(send(conn, "FEAT"))
    assert feat.startswith("211-Features:\r\n")
    assert feat.endswith("211 End\r\n")
    assert " MLST type*;size*;modify*;perm*;unix.mode*;\r\n" in feat
    assert " UTF8\r\n" in feat
    assert " EPSV\r\n" in feat
    assert text(send(conn, "OPTS MLST size;TYPE;bogus;")) == "200 MLST OPTS type;size;\r\n"
    assert (
        text(send(conn, "MLST big.bin"))
        == "250-Listing /big.bin\r\n type=file;size=1000; /big.bin\r\n250 End\r\n"
    )
    # No facts: RFC 3659 §7.2's entry line is SP, the (empty) facts, SP, the path.
    assert codes(send(conn, "OPTS MLST")) == [200]
    assert text(send(conn, "MLST /")) == "250-Listing /\r\n  /\r\n250 End\r\n"
    assert listing(conn, "MLSD pub") == " readme.txt\r\n sub\r\n"


def test_format_reply_never_lets_text_inject_lines() -> None:
    assert format_reply(200, "ok") == b"200 ok\r\n"
    assert format_reply(211, "a\nb\nc") == b"211-a\r\n b\r\n211 c\r\n"
    assert format_reply(550, "x\ry") == b"550 xy\r\n"


def test_command_table_matches_handlers() -> None:
    for name in COMMANDS:
        assert callable(getattr(Connection, "_do_" + name.lower()))


def test_state_tables() -> None:
    session = Machine(SESSION_TRANSITIONS, SessionState.AWAIT_USER)
    assert session.fire(SessionEvent.USER) is SessionState.AWAIT_PASS
    assert session.fire(SessionEvent.LOCKOUT) is SessionState.CLOSED
    with pytest.raises(FTPStateError):
        session.fire(SessionEvent.PASS_OK)
    data = Machine(DATA_TRANSITIONS, DataState.NONE)
    assert not data.can(DataEvent.START)  # no transfer without PASV/PORT
    with pytest.raises(FTPStateError):
        data.fire(DataEvent.START)
    for state in DataState:
        data.state = state
        assert data.can(DataEvent.RESET)


# -- long lines and Telnet ----------------------------------------------------------------


def test_long_line_is_refused_and_discarded() -> None:
    conn = login()
    assert codes(send(conn, b"NOOP " + b"x" * 5000)) == [500]
    assert codes(send(conn, "NOOP")) == [200]
    assert codes(send(conn, b"CWD " + b"x" * 2044)) == [550]  # exactly 2,048: accepted


def test_long_line_in_pieces_uses_bounded_memory() -> None:
    conn = login()
    for _ in range(1000):
        conn.receive_data(b"y" * 1000)
        assert drain(conn) == []
    assert len(conn._reader._partial) <= 2049
    conn.receive_data(b"tail\r\nNOOP\r\n")
    assert codes(drain(conn)) == [500, 200]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xf4\xff\xf2ABOR\r\n",  # IP, then Synch's DM
        b"\xff\xf4ABOR\r\n",  # IP alone
        b"\xff\xfb\x01ABOR\r\n",  # a WILL negotiation is skipped with its option
    ],
)
def test_telnet_bytes_before_abor(data: bytes) -> None:
    conn = login()
    for i in range(1, len(data)):  # every split point (b"" would be EOF)
        conn.receive_data(data[:i])
        conn.receive_data(data[i:])
        assert codes(drain(conn)) == [225]


# -- paths and the jail -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cwd", "arg", "expected"),
    [
        ("/", "pub", "/pub"),
        ("/pub", "..", "/"),
        ("/", "../../..", "/"),
        ("/pub", "../../etc/passwd", "/etc/passwd"),  # inside the root: ROOT/etc/passwd
        ("/pub", "/sub//x/./", "/sub/x"),
        ("/", "//etc", "/etc"),
        ("/pub", "", "/pub"),
    ],
)
def test_normalize_virtual(cwd: str, arg: str, expected: str) -> None:
    assert normalize_virtual(cwd, arg) == expected


def test_normalize_virtual_rejects_nul() -> None:
    with pytest.raises(PathError) as info:
        normalize_virtual("/", "a\0b")
    assert info.value.code == 501


def test_cwd_pwd_cdup_stay_in_the_jail() -> None:
    conn = login()
    assert text(send(conn, "PWD")) == '257 "/" is the current directory.\r\n'
    assert codes(send(conn, "CWD pub/sub")) == [250]
    assert text(send(conn, "PWD")) == '257 "/pub/sub" is the current directory.\r\n'
    assert codes(send(conn, "CDUP")) == [250]
    assert conn.cwd == "/pub"
    assert codes(send(conn, "CWD ../../../..")) == [250]
    assert conn.cwd == "/"
    assert codes(send(conn, "CWD /etc")) == [550]  # the real /etc is not reachable
    assert codes(send(conn, "RETR /etc/passwd")) == [550]
    assert codes(send(conn, "CWD escape")) == [550]  # a symlink out of the root
    assert codes(send(conn, "RETR escape/passwd")) == [550]
    assert codes(send(conn, "CWD inner")) == [250]  # a symlink inside is fine
    assert codes(send(conn, "CWD /big.bin")) == [550]


def test_pwd_quotes_double_quotes() -> None:
    fs = make_fs()
    fs.dirs.add(f'{ROOT}/say "hi"')
    conn = Connection(fs, ROOT, client_address=CLIENT, users=Users())
    drain(conn)
    send(conn, "USER ftp")
    send(conn, "PASS x")
    send(conn, 'CWD say "hi"')
    assert text(send(conn, "PWD")) == '257 "/say ""hi""" is the current directory.\r\n'


# -- data connections: passive, active, bounce --------------------------------------------


def test_pasv_retr_and_completion() -> None:
    conn = login()
    assert send(conn, "PASV") == [OpenPassiveListener(extended=False)]
    assert conn.next_action() is Wait.PAUSED
    conn.receive_data(b"NOOP\r\n")  # held until the listener is open
    assert conn.next_action() is Wait.PAUSED
    conn.passive_opened("127.0.0.1", 50000)
    assert text(drain(conn)) == "227 Entering Passive Mode (127,0,0,1,195,80).\r\n200 NOOP ok.\r\n"
    actions = send(conn, "RETR pub/readme.txt")
    assert codes(actions) == [150]
    assert actions[-1] == SendFile(1, None, f"{ROOT}/pub/readme.txt", 0, True)
    conn.transfer_complete(1)
    assert codes(drain(conn)) == [226]
    assert codes(send(conn, "RETR big.bin")) == [425]  # one transfer per PASV


def test_pasv_masquerade_and_failures() -> None:
    conn = Connection(
        make_fs(),
        ROOT,
        client_address=CLIENT,
        users=Users(),
        config=Config(masquerade="203.0.113.5"),
    )
    drain(conn)
    send(conn, "USER ftp")
    send(conn, "PASS x")
    send(conn, "PASV")
    conn.passive_opened("0.0.0.0", 1025)
    assert text(drain(conn)) == "227 Entering Passive Mode (203,0,113,5,4,1).\r\n"
    send(conn, "PASV")
    conn.passive_failed()
    assert codes(drain(conn)) == [425]
    assert conn.data.state is DataState.NONE


def test_epsv() -> None:
    conn = login()
    assert send(conn, "EPSV") == [OpenPassiveListener(extended=True)]
    conn.passive_opened("::1", 50001)
    assert text(drain(conn)) == "229 Entering Extended Passive Mode (|||50001|).\r\n"
    assert codes(send(conn, "EPSV 2")) == [522]
    assert codes(send(conn, "EPSV 7")) == [522]
    assert codes(send(conn, "EPSV ALL")) == [200]
    assert codes(send(conn, "PASV")) == [503]
    assert codes(send(conn, "PORT 192,0,2,7,200,1")) == [503]
    assert codes(send(conn, "EPRT |1|192.0.2.7|51201|")) == [503]


def test_pasv_refused_for_ipv6_clients() -> None:
    conn = connect(client=("2001:db8::1", 4000))
    drain(conn)
    send(conn, "USER ftp")
    send(conn, "PASS x")
    assert codes(send(conn, "PASV")) == [501]
    assert send(conn, "EPSV 2") == [OpenPassiveListener(extended=True)]


def test_data_peer_allowed() -> None:
    conn = login()
    assert conn.data_peer_allowed("192.0.2.7")
    assert conn.data_peer_allowed("::ffff:192.0.2.7")
    assert not conn.data_peer_allowed("192.0.2.8")
    assert not conn.data_peer_allowed("not an address")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("PORT 192,0,2,7,200,1", 200),
        ("PORT 192,0,2,8,200,1", 501),  # bounce to another host
        ("PORT 192,0,2,7,0,21", 501),  # privileged port
        ("PORT 192,0,2,7,300,1", 501),
        ("PORT 1,2,3", 501),
        ("EPRT |1|192.0.2.7|51201|", 200),
        ("EPRT !1!192.0.2.7!51201!", 200),
        ("EPRT |1|10.0.0.1|51201|", 501),
        ("EPRT |1|192.0.2.7|80|", 501),
        ("EPRT |2|192.0.2.7|51201|", 501),
        ("EPRT |3|192.0.2.7|51201|", 522),
        ("EPRT |1|192.0.2.7|", 501),
        ("EPRT garbage", 501),
    ],
)
def test_active_mode_and_bounce_refusal(line: str, code: int) -> None:
    assert codes(send(login(), line)) == [code]


def test_active_retr_connects_to_the_client() -> None:
    conn = login()
    send(conn, "PORT 192,0,2,7,200,1")
    actions = send(conn, "RETR big.bin")
    assert actions[-1] == SendFile(1, ("192.0.2.7", 51201), f"{ROOT}/big.bin", 0, True)


def test_port_after_pasv_closes_the_listener() -> None:
    conn = login()
    passive(conn)
    actions = send(conn, "PORT 192,0,2,7,200,1")
    assert actions[0] == CloseData()
    assert codes(actions) == [200]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (TransferError.NO_CONNECTION, 425),
        (TransferError.CONNECTION_LOST, 426),
        (TransferError.LOCAL_ERROR, 451),
    ],
)
def test_transfer_failures(error: TransferError, code: int) -> None:
    conn = login()
    passive(conn)
    send(conn, "RETR big.bin")
    conn.transfer_failed(1, error)
    assert codes(drain(conn)) == [code]
    assert conn.data.state is DataState.NONE


# -- transfers: RETR/STOR/APPE/REST, ABOR -------------------------------------------------


def test_retr_errors() -> None:
    conn = login()
    assert codes(send(conn, "RETR big.bin")) == [425]
    passive(conn)
    assert codes(send(conn, "RETR missing")) == [550]
    assert codes(send(conn, "RETR pub")) == [550]
    assert conn.data.state is DataState.PASSIVE  # still usable


def test_rest_offsets() -> None:
    conn = login()
    assert codes(send(conn, "REST 400")) == [350]
    # REST waits for the transfer command, through PASV and TYPE (as pyftpdlib's does)...
    send(conn, "TYPE I")
    passive(conn)
    assert send(conn, "RETR big.bin")[-1] == SendFile(1, None, f"{ROOT}/big.bin", 400, False)
    conn.transfer_complete(1)
    drain(conn)
    passive(conn)
    # ...which takes it, whether it succeeds or not.
    assert send(conn, "RETR big.bin")[-1] == SendFile(2, None, f"{ROOT}/big.bin", 0, False)
    conn.transfer_complete(2)
    drain(conn)
    passive(conn)
    send(conn, "REST 400")
    assert codes(send(conn, "RETR missing")) == [550]
    assert send(conn, "RETR big.bin")[-1] == SendFile(3, None, f"{ROOT}/big.bin", 0, False)
    conn.transfer_complete(3)
    drain(conn)
    passive(conn)
    send(conn, "REST 1001")
    assert codes(send(conn, "RETR big.bin")) == [554]


def test_stor_appe_and_rest_for_upload() -> None:
    conn = login("alice", "secret")
    passive(conn)
    assert send(conn, "STOR pub/new.txt")[-1] == ReceiveFile(
        1, None, f"{ROOT}/pub/new.txt", 0, False, True
    )
    conn.transfer_complete(1)
    drain(conn)
    passive(conn)
    send(conn, "REST 5")
    assert send(conn, "STOR big.bin")[-1] == ReceiveFile(2, None, f"{ROOT}/big.bin", 5, False, True)
    conn.transfer_complete(2)
    drain(conn)
    passive(conn)
    assert send(conn, "APPE big.bin")[-1] == ReceiveFile(3, None, f"{ROOT}/big.bin", 0, True, True)
    conn.transfer_complete(3)
    drain(conn)
    passive(conn)
    assert codes(send(conn, "STOR pub")) == [550]
    assert codes(send(conn, "STOR nodir/x")) == [550]
    assert codes(send(conn, "STOR escape/x")) == [550]


def test_rest_before_stor_must_fit_the_file() -> None:
    """REST beyond the end, or on a missing file, is 554, as for RETR: never a wrong offset."""
    conn = login("alice", "secret")
    passive(conn)
    send(conn, "REST 1001")  # big.bin has 1000 bytes
    assert text(send(conn, "STOR big.bin")) == (
        "554 Invalid REST parameter: beyond the end of the file.\r\n"
    )
    send(conn, "REST 10")
    assert text(send(conn, "STOR pub/missing.bin")) == (
        "554 Invalid REST parameter: the file does not exist.\r\n"
    )
    assert conn.data.state is DataState.PASSIVE  # still usable, offset forgotten
    assert send(conn, "STOR pub/missing.bin")[-1] == ReceiveFile(
        1, None, f"{ROOT}/pub/missing.bin", 0, False, True
    )
    conn.transfer_complete(1)
    drain(conn)
    passive(conn)
    send(conn, "REST 1000")  # exactly the size: resume at the end
    assert send(conn, "STOR big.bin")[-1] == ReceiveFile(
        2, None, f"{ROOT}/big.bin", 1000, False, True
    )


def test_abor_during_a_transfer() -> None:
    conn = login()
    passive(conn)
    send(conn, "RETR big.bin")
    actions = send(conn, b"\xff\xf4\xff\xf2ABOR")
    assert actions[0] == CloseData()
    assert text(actions) == "426 Connection closed; transfer aborted.\r\n226 Abort successful.\r\n"
    conn.transfer_complete(1)  # a late report from the cancelled task
    assert drain(conn) == []
    assert codes(send(conn, "ABOR")) == [225]


def test_abor_with_an_idle_listener_closes_it() -> None:
    conn = login()
    passive(conn)
    actions = send(conn, "ABOR")
    assert actions[0] == CloseData()
    assert codes(actions) == [225]


def test_commands_during_a_transfer() -> None:
    conn = login()
    passive(conn)
    send(conn, "RETR big.bin")
    assert codes(send(conn, "NOOP")) == [200]
    assert codes(send(conn, "STAT")) == [211]
    assert codes(send(conn, "STAT big.bin")) == [503]
    assert codes(send(conn, "CWD pub")) == [503]


def test_quit_during_a_transfer_waits_for_its_result() -> None:
    """RFC 959 §4.1.1: the transfer's reply (226), then 221 and close; nothing cut short."""
    conn = login()
    passive(conn)
    send(conn, "RETR big.bin")
    assert send(conn, "QUIT") == []  # the transfer goes on
    assert send(conn, "NOOP") == []  # QUIT was the last command: not answered
    conn.transfer_complete(1)
    actions = drain(conn)
    assert codes(actions) == [226, 221]
    assert actions[-1] == Close()
    assert CloseData() not in actions
    assert conn.closed


@pytest.mark.parametrize(
    ("finish", "expected"),
    [
        (lambda conn: conn.transfer_failed(1, TransferError.CONNECTION_LOST), [426, 221]),
        (lambda conn: conn.receive_data(b"ABOR\r\n"), [426, 226, 221]),
        (lambda conn: conn.receive_data(b"\xff\xf4\xff\xf2ABOR\r\n"), [426, 226, 221]),
    ],
)
def test_quit_during_a_transfer_then_failure_or_abor(
    finish: Callable[[Connection], None], expected: list[int]
) -> None:
    conn = login()
    passive(conn)
    send(conn, "RETR big.bin")
    assert send(conn, "QUIT") == []
    finish(conn)
    actions = drain(conn)
    assert codes(actions) == expected
    assert actions[-1] == Close()
    assert conn.closed


def test_eof_closes() -> None:
    conn = login()
    conn.receive_data(b"NOOP\r\n")
    conn.receive_data(b"")
    actions = drain(conn)
    assert codes(actions) == [200]
    assert actions[-1] == Close()
    assert conn.closed


# -- file operations, permissions ---------------------------------------------------------


def test_size_in_type_a_and_mdtm() -> None:
    conn = login()
    assert text(send(conn, "SIZE big.bin")) == "213 1000\r\n"
    assert text(send(conn, "MDTM big.bin")) == "213 20231114221320\r\n"
    assert codes(send(conn, "SIZE pub")) == [550]
    assert codes(send(conn, "MDTM nothing")) == [550]


def test_rename_sequence() -> None:
    fs = make_fs()
    conn = connect(fs)
    drain(conn)
    send(conn, "USER alice")
    send(conn, "PASS secret")
    assert codes(send(conn, "RNTO x")) == [503]
    assert codes(send(conn, "RNFR missing")) == [550]
    assert codes(send(conn, "RNFR big.bin")) == [350]
    send(conn, "NOOP")
    assert codes(send(conn, "RNTO x")) == [503]  # RNTO must follow RNFR directly
    send(conn, "RNFR big.bin")
    assert codes(send(conn, "RNTO pub/renamed.bin")) == [250]
    assert f"{ROOT}/pub/renamed.bin" in fs.files
    assert codes(send(conn, "RNFR /")) == [550]


def test_write_operations() -> None:
    fs = make_fs()
    conn = connect(fs)
    drain(conn)
    send(conn, "USER alice")
    send(conn, "PASS secret")
    assert text(send(conn, "MKD pub/new")) == '257 "/pub/new" created.\r\n'
    assert codes(send(conn, "MKD pub/new")) == [550]
    assert codes(send(conn, "RMD pub/new")) == [250]
    assert codes(send(conn, "RMD pub")) == [550]  # not empty
    assert codes(send(conn, "RMD /")) == [550]
    assert codes(send(conn, "DELE pub/readme.txt")) == [250]
    assert f"{ROOT}/pub/readme.txt" not in fs.files
    assert codes(send(conn, "DELE pub")) == [550]
    assert codes(send(conn, "MKD escape/x")) == [550]
    assert "/etc/x" not in fs.dirs


def test_delete_and_rename_act_on_links_not_targets() -> None:
    fs = make_fs()
    fs.links[f"{ROOT}/pub/link.txt"] = "readme.txt"
    conn = connect(fs)
    drain(conn)
    send(conn, "USER alice")
    send(conn, "PASS secret")
    assert codes(send(conn, "DELE pub/link.txt")) == [250]
    assert f"{ROOT}/pub/link.txt" not in fs.links
    assert f"{ROOT}/pub/readme.txt" in fs.files
    assert codes(send(conn, "RNFR inner")) == [350]
    assert codes(send(conn, "RNTO inner2")) == [250]
    assert fs.links[f"{ROOT}/inner2"] == "pub"
    assert f"{ROOT}/pub" in fs.dirs
    assert codes(send(conn, "RNFR escape")) == [550]  # a link out is refused, not renamed
    assert codes(send(conn, "DELE escape/passwd")) == [550]
    assert "/etc/passwd" in fs.files


@pytest.mark.parametrize("line", ["DELE big.bin", "MKD d", "RMD empty", "RNFR big.bin", "APPE x"])
def test_anonymous_cannot_write(line: str) -> None:
    assert codes(send(login(), line)) == [550]


# -- listings -----------------------------------------------------------------------------


def test_list_line_and_mlsx_line() -> None:
    f = FakeStat(stat.S_IFREG | 0o644, 1234)
    d = FakeStat(stat.S_IFDIR | 0o755, 4096, st_nlink=3)
    assert (
        list_line("a.txt", f, now=MTIME + 60)
        == "-rw-r--r--   1 1000     1000             1234 Nov 14 22:13 a.txt"
    )
    assert list_line("d", d, now=MTIME + 365 * 86400).startswith("drwxr-xr-x   3 ")
    assert list_line("d", d, now=MTIME + 365 * 86400).endswith(" Nov 14  2023 d")
    facts = ("type", "size", "modify", "perm", "unix.mode")
    assert (
        mlsx_line("a.txt", f, facts=facts, writable=False)
        == "type=file;size=1234;modify=20231114221320;perm=r;unix.mode=0644; a.txt"
    )
    assert mlsx_line("d", d, facts=facts, writable=True).startswith("type=dir;modify=")
    assert "perm=elcmpf;" in mlsx_line("d", d, facts=facts, writable=True)
    assert mlsx_line("bad\r\nname", f, facts=(), writable=False) == " bad??name"


def listing(conn: Connection, line: str) -> str:
    passive(conn)
    actions = send(conn, line)
    assert codes(actions) == [150], text(actions)
    data = actions[-1]
    assert isinstance(data, SendData)
    conn.transfer_complete(data.transfer_id)
    assert codes(drain(conn)) == [226]
    return data.data.decode()


@pytest.mark.parametrize("line", ["LIST", "LIST -la", "LIST -a /", "LIST -l ."])
def test_list(line: str) -> None:
    out = listing(login(), line)
    lines = out.split("\r\n")
    assert lines[-1] == ""
    names = [row.rsplit(" ", 1)[1] for row in lines[:-1]]
    assert names == ["big.bin", "empty", "inner", "pub"]  # "escape" leads out: hidden
    assert all(
        re.fullmatch(r"[-d][-rwx]{9} +\d+ \d+ +\d+ +\d+ \w{3} [ \d]\d (?:\d\d:\d\d| \d{4}) \S+", r)
        for r in lines[:-1]
    )


def test_list_of_a_file_nlst_mlsd() -> None:
    conn = login()
    assert listing(conn, "LIST pub/readme.txt").endswith(" readme.txt\r\n")
    assert listing(conn, "NLST pub") == "readme.txt\r\nsub\r\n"
    mlsd = listing(conn, "MLSD pub")
    assert "type=file;size=12;modify=20231114221320;perm=r;unix.mode=0644; readme.txt\r\n" in mlsd
    assert "type=dir;modify=20231114221320;perm=el;unix.mode=0755; sub\r\n" in mlsd
    passive(conn)
    assert codes(send(conn, "MLSD big.bin")) == [501]
    assert codes(send(conn, "LIST missing")) == [550]


# -- uploads on disk (common.ftp_support.Upload, what the shells run on a worker thread) ---


def test_upload_refuses_an_offset_the_file_cannot_take(tmp_path: Path) -> None:
    """Between the core's check and the upload the file may shrink or go: an error, not offset 0."""
    target = tmp_path / "old.bin"
    target.write_bytes(b"x" * 100)
    with pytest.raises(OSError, match="beyond the end"):
        Upload(str(target), 101, append=False)
    with pytest.raises(FileNotFoundError):
        Upload(str(tmp_path / "missing.bin"), 10, append=False)
    assert sorted(os.listdir(tmp_path)) == ["old.bin"]  # no temporary file left
    assert target.read_bytes() == b"x" * 100
    upload = Upload(str(target), 100, append=False)  # exactly the size: resume at the end
    upload.write(b"yz")
    upload.commit()
    assert target.read_bytes() == b"x" * 100 + b"yz"
    upload = Upload(str(tmp_path / "new.bin"), 0, append=True)  # APPE may create the file
    upload.write(b"new")
    upload.commit()
    assert (tmp_path / "new.bin").read_bytes() == b"new"


@pytest.mark.parametrize("name", ["a" * 241, "b" * 255, "x" + "é" * 127, "\udcff" * 255])
def test_upload_of_a_name_at_the_file_systems_limit(tmp_path: Path, name: str) -> None:
    """Names up to NAME_MAX (255 bytes) get a temporary name that fits too, beside the target."""
    target = tmp_path / name
    assert len(os.fsencode(name)) in (241, 255)
    target.write_bytes(b"old")
    upload = Upload(str(target), 0, append=False)
    temp = Path(upload.temp_path)
    assert temp.parent == tmp_path
    assert len(os.fsencode(temp.name)) <= 255
    assert temp.name.startswith(".")
    assert temp.name.endswith(".part")
    upload.write(b"new")
    assert target.read_bytes() == b"old"  # untouched until the upload is whole
    upload.commit()
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == [name]
    Upload(str(target), 0, append=False).discard()  # an aborted one leaves nothing
    assert os.listdir(tmp_path) == [name]


# -- fuzzing ------------------------------------------------------------------------------

REPLY = re.compile(rb"(\d{3}) [^\r\n]*\r\n|(\d{3})-[^\r\n]*\r\n(?:[^\r\n]*\r\n)*?\2 [^\r\n]*\r\n")
VERBS = [*COMMANDS, "SITE", "XYZ", "", "PASS"]
ARGS = [
    "",
    "secret",
    "anonymous",
    "alice",
    "pub",
    "..",
    "/",
    "big.bin",
    "escape/passwd",
    "A",
    "I",
    "ALL",
    "1",
    "2",
    "400",
    "-la",
    "192,0,2,7,200,1",
    "|1|192.0.2.7|51201|",
    "a\0b",
    "x" * 3000,
]


# Plausible whole lines, so sequences often reach transfers, ABOR and RNFR/RNTO.
LINES = [
    "PASV",
    "EPSV",
    "PORT 192,0,2,7,200,1",
    "EPRT |1|192.0.2.7|51201|",
    "RETR big.bin",
    "LIST -la",
    "NLST",
    "MLSD pub",
    "MLST",
    "STOR pub/new",
    "APPE big.bin",
    "REST 5",
    "ABOR",
    "\xff\xf4\xff\xf2ABOR",
    "RNFR big.bin",
    "RNTO moved",
    "DELE pub/readme.txt",
    "MKD d",
    "RMD d",
    "CWD pub",
    "CDUP",
    "STAT",
    "QUIT",
    "TYPE I",
    "EPSV ALL",
    "USER alice",
    "PASS bad",
]


def check_replies(actions: list[Action]) -> None:
    for action in actions:
        if isinstance(action, SendReply):
            assert REPLY.fullmatch(action.data), action.data


def run(
    conn: Connection, chunks: list[bytes], choices: st.DataObject | None = None
) -> list[Action]:
    """Feed *chunks*, answering every shell request; return every action."""
    seen: list[Action] = []
    pending = list(chunks)
    while True:
        action = conn.next_action()
        if action is Wait.NEED_DATA:
            if not pending:
                return seen
            conn.receive_data(pending.pop(0))
            continue
        assert action is not Wait.PAUSED  # the request was answered below
        seen.append(action)
        if isinstance(action, CheckPassword):
            conn.password_checked(*USERS.check(action.user, action.password))
        elif isinstance(action, OpenPassiveListener):
            if choices is None or choices.draw(st.booleans()):
                conn.passive_opened("127.0.0.1", 50000)
            else:
                conn.passive_failed()
        elif isinstance(action, SendFile | SendData | ReceiveFile) and choices is not None:
            outcome = choices.draw(st.sampled_from([None, *TransferError]))
            if outcome is None:
                conn.transfer_complete(action.transfer_id)
            else:
                conn.transfer_failed(action.transfer_id, outcome)


def fuzz_conn() -> Connection:
    users = Users({"alice": ALICE})
    return Connection(
        make_fs(), ROOT, client_address=CLIENT, users=users, config=Config(login_delay=0)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(LINES)
        | st.tuples(st.sampled_from(VERBS), st.sampled_from(ARGS)).map(" ".join),
        max_size=25,
    ),
    st.data(),
)
def test_fuzz_command_sequences(commands: list[str], data: st.DataObject) -> None:
    conn = fuzz_conn()
    chunks = [line.encode("latin-1") + b"\r\n" for line in commands]
    check_replies(run(conn, [b"USER alice\r\nPASS secret\r\n", *chunks], data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_fuzz_byte_streams_any_split(stream: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(stream)) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    chunks = [c for c in chunks if c]  # b"" would mean EOF
    whole = run(fuzz_conn(), [stream] if stream else [])
    split = run(fuzz_conn(), chunks)
    check_replies(split)
    assert split == whole  # where the stream is split changes nothing


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"NOOP\r\n",
                b"\xff\xf4",
                b"\xff\xf2",
                b"\xff\xff",
                b"\r",
                b"\n",
                b"USER ftp\r\n",
                b"PASS x\r\n",
                b"ABOR\r\n",
                b"x" * 700,
            ]
        ),
        max_size=40,
    )
)
def test_fuzz_telnet_and_line_pieces(pieces: list[bytes]) -> None:
    conn = fuzz_conn()
    actions = run(conn, pieces)
    check_replies(actions)
    assert len(conn._reader._partial) <= conn.config.max_line + 1
