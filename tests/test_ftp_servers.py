"""serve_ftp in six columns, driven by real clients over real sockets.

The three shells (``impl_asyncio.ftp``, ``impl_trio.ftp``, ``shared.ftp``)
run the same sans-I/O core (:mod:`common.ftp`, tested on its own in
``test_ftp_core.py``); what is checked here is the part each shell writes itself:
sockets, data connections, threads for the disk, timeouts, limits, ABOR,
cancellation. The clients are the standard library's :mod:`ftplib` and the
``curl`` binary, both blocking, so they run on worker threads
(``anyio.to_thread``) while the server runs on the column's event loop. Every
client socket has a timeout and every subprocess a deadline, so nothing waits
forever; files are compared byte for byte.
"""

from __future__ import annotations

import calendar
import ftplib
import io
import os
import random
import shutil
import socket
import struct
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest

import impl_asyncio.ftp
import impl_trio.ftp
import shared.ftp
from common import ftp_support as support
from common.ftp import Config, User, Users, hash_password
from common.ftp_support import IDLE_TIMEOUT_REPLY, UPLOAD_BUFFER_SIZE, UPLOAD_BUFFERS, ServerOptions
from common.interface import FtpServerAPI
from rosetta.columns import Column
from tests.serving import Running, running_in

pytestmark = [pytest.mark.anyio, pytest.mark.concept("ftp")]

# The type check of the FTP server interface: mypy fails here if a shell drifts.
FTP_SERVERS: dict[str, FtpServerAPI] = {
    "impl_asyncio": impl_asyncio.ftp,
    "impl_trio": impl_trio.ftp,
    "shared": shared.ftp,
}

T = TypeVar("T")
HOST = "127.0.0.1"
CLIENT_TIMEOUT = 10.0  # every blocking client call: connect, read, accept
# A cheap scrypt (n=2**4) keeps logins fast; the server still checks it on a worker thread.
USERS = Users({"alice": User(hash_password("secret", n=2**4), write=True)})
FAST = Config(login_delay=0.05)  # a failed login still waits, briefly

HELLO = b"hello, world\r\nsecond line\n"
DATA = random.Random(2121).randbytes(256 * 1024 + 1)  # one byte past any buffer size
INNER = b"inside sub/\n"
MTIME = calendar.timegm((2001, 2, 3, 4, 5, 6))
ROOT_NAMES = ["data.bin", "hello.txt", "sub"]
BIG = 64 * 1024 * 1024  # sparse: no disk used, but far more than the socket buffers hold
SECRET = b"outside the FTP root\n"


@pytest.fixture
def ftp_api(column: Column) -> FtpServerAPI:
    return FTP_SERVERS[column.package]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The served tree: two files, a directory, and beside it a file that must not leak."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    served = tmp_path / "root"
    (served / "sub").mkdir(parents=True)
    (served / "hello.txt").write_bytes(HELLO)
    (served / "data.bin").write_bytes(DATA)
    (served / "sub" / "inner.txt").write_bytes(INNER)
    os.utime(served / "data.bin", (MTIME, MTIME))
    return served


def options(**fields: Any) -> ServerOptions:
    return ServerOptions(core=FAST, **fields)


def make_big_file(root: Path) -> None:
    with open(root / "big.bin", "wb") as file:
        file.truncate(BIG)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def leftovers(directory: Path) -> list[str]:
    """Temporary upload files (``.NAME.XXXX.part``) still in *directory*."""
    return [name for name in os.listdir(directory) if name.endswith(".part")]


def running(
    column: Column,
    api: FtpServerAPI,
    root: Path,
    *,
    host: str = HOST,
    opts: ServerOptions | None = None,
    users: Users = USERS,
) -> AbstractAsyncContextManager[Running]:
    """serve_ftp on an ephemeral port, cancelled (if the test did not) on the way out."""
    options_ = opts or options()
    return running_in(
        column,
        lambda ready: api.serve_ftp(str(root), host, 0, users=users, options=options_, ready=ready),
    )


async def in_thread(fn: Callable[[], T], seconds: float = 30) -> T:
    """Run a blocking client off the event loop (bounded by its sockets' timeouts)."""
    with anyio.fail_after(seconds):
        return await anyio.to_thread.run_sync(fn)


# -- ftplib helpers --------------------------------------------------------------------------


def connect(server: Running, cls: type[ftplib.FTP] = ftplib.FTP) -> ftplib.FTP:
    ftp = cls(timeout=CLIENT_TIMEOUT)
    ftp.connect(server.host, server.port)  # reads the 220 banner
    return ftp


def login(
    server: Running,
    user: str = "anonymous",
    password: str = "guest@",
    cls: type[ftplib.FTP] = ftplib.FTP,
) -> ftplib.FTP:
    ftp = connect(server, cls)
    ftp.login(user, password)
    return ftp


def alice(server: Running, cls: type[ftplib.FTP] = ftplib.FTP) -> ftplib.FTP:
    return login(server, "alice", "secret", cls)


def retrieve(ftp: ftplib.FTP, name: str, rest: int | None = None) -> bytes:
    chunks: list[bytes] = []
    ftp.retrbinary(f"RETR {name}", chunks.append, rest=rest)
    return b"".join(chunks)


def store(ftp: ftplib.FTP, command: str, data: bytes, rest: int | None = None) -> str:
    return ftp.storbinary(command, io.BytesIO(data), rest=rest)


def read_to_eof(sock: socket.socket) -> bytes:
    sock.settimeout(CLIENT_TIMEOUT)
    data = bytearray()
    while chunk := sock.recv(4096):
        data += chunk
    return bytes(data)


class ExtendedFTP(ftplib.FTP):
    """ftplib speaking RFC 2428 over IPv4: EPSV instead of PASV, EPRT instead of PORT.

    ftplib itself only does so when connected over IPv6 (its ``makepasv`` and
    ``makeport`` test ``self.af``); ``sendeprt`` already writes ``|1|`` for IPv4.
    """

    def makepasv(self) -> tuple[str, int]:
        assert self.sock is not None
        return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())

    def makeport(self) -> socket.socket:
        assert self.sock is not None
        sock = socket.create_server((self.sock.getsockname()[0], 0), backlog=1)
        try:
            self.sendeprt(*sock.getsockname()[:2])
        except BaseException:
            sock.close()
            raise
        sock.settimeout(CLIENT_TIMEOUT)
        return sock


# -- ftplib: reading, writing, data connections ----------------------------------------------


async def test_ftplib_anonymous_reads(column: Column, ftp_api: FtpServerAPI, root: Path) -> None:
    async with running(column, ftp_api, root) as server:
        assert server.host == HOST

        def session() -> None:
            with login(server) as ftp:
                assert ftp.pwd() == "/"
                listing: list[str] = []
                ftp.retrlines("LIST", listing.append)
                assert sorted(line.split()[-1] for line in listing) == ROOT_NAMES
                data_line = next(line for line in listing if line.endswith(" data.bin"))
                assert data_line.startswith("-rw")
                assert str(len(DATA)) in data_line.split()
                assert " 2001 " in data_line  # an old file shows its year, as ls does
                assert next(line for line in listing if line.endswith(" sub")).startswith("d")
                with_options: list[str] = []
                ftp.retrlines("LIST -la", with_options.append)  # ls options are ignored
                assert with_options == listing
                sub_listing: list[str] = []
                ftp.retrlines("LIST sub", sub_listing.append)
                assert [line.split()[-1] for line in sub_listing] == ["inner.txt"]
                assert sorted(ftp.nlst()) == ROOT_NAMES
                facts = dict(ftp.mlsd())
                assert sorted(facts) == ROOT_NAMES
                assert facts["data.bin"]["type"] == "file"
                assert facts["data.bin"]["size"] == str(len(DATA))
                assert facts["data.bin"]["modify"] == "20010203040506"
                assert facts["data.bin"]["perm"] == "r"  # anonymous: read-only
                assert facts["sub"]["type"] == "dir"
                # With no facts selected, MLST's entry line is SP, SP, path (RFC 3659 §7.2).
                assert ftp.sendcmd("OPTS MLST").startswith("200")
                assert ftp.sendcmd("MLST /") == "250-Listing /\n  /\n250 End"
                assert ftp.sendcmd("OPTS MLST type;size;") == "200 MLST OPTS type;size;"
                assert ftp.size("data.bin") == len(DATA)
                assert ftp.sendcmd("MDTM data.bin") == "213 20010203040506"
                assert retrieve(ftp, "data.bin") == DATA
                assert retrieve(ftp, "hello.txt") == HELLO  # TYPE I: no newline conversion
                ftp.voidcmd("TYPE A")  # nor in TYPE A, by decision (as vsftpd's default)
                with ftp.transfercmd("RETR hello.txt") as conn:
                    assert read_to_eof(conn) == HELLO
                assert ftp.voidresp().startswith("226")
                assert ftp.size("hello.txt") == len(HELLO)
                assert ftp.cwd("sub").startswith("250")
                assert ftp.pwd() == "/sub"
                assert retrieve(ftp, "inner.txt") == INNER
                assert retrieve(ftp, "/data.bin") == DATA
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    retrieve(ftp, "missing.txt")
                assert retrieve(ftp, "../hello.txt") == HELLO  # the session goes on

        await in_thread(session)


async def test_ftplib_anonymous_cannot_write(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    before = sorted(os.listdir(root))
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with login(server) as ftp:
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    store(ftp, "STOR new.txt", b"nope")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    store(ftp, "APPE hello.txt", b"nope")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.delete("hello.txt")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.mkd("newdir")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.rmd("sub")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.rename("hello.txt", "renamed.txt")
                assert retrieve(ftp, "hello.txt") == HELLO

        await in_thread(session)
    assert sorted(os.listdir(root)) == before
    assert (root / "hello.txt").read_bytes() == HELLO


async def test_ftplib_named_user_writes(column: Column, ftp_api: FtpServerAPI, root: Path) -> None:
    upload = random.Random(1).randbytes(100_001)
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with alice(server) as ftp:
                assert store(ftp, "STOR up.bin", upload).startswith("226")
                assert (root / "up.bin").read_bytes() == upload
                assert retrieve(ftp, "up.bin") == upload
                assert ftp.size("up.bin") == len(upload)
                assert dict(ftp.mlsd())["up.bin"]["perm"] == "radfw"
                store(ftp, "STOR hello.txt", b"replaced\n")  # over an existing file
                assert (root / "hello.txt").read_bytes() == b"replaced\n"
                store(ftp, "APPE hello.txt", b"appended\n")
                store(ftp, "APPE fresh.txt", b"new file\n")  # APPE creates a missing file
                assert (root / "hello.txt").read_bytes() == b"replaced\nappended\n"
                assert (root / "fresh.txt").read_bytes() == b"new file\n"
                assert ftp.rename("up.bin", "moved.bin").startswith("250")
                assert not (root / "up.bin").exists()
                assert (root / "moved.bin").read_bytes() == upload
                assert ftp.mkd("newdir") == "/newdir"
                assert ftp.cwd("newdir").startswith("250")
                store(ftp, "STOR inside.txt", b"in newdir\n")
                assert ftp.rename("inside.txt", "/sub/inside.txt").startswith("250")
                ftp.cwd("/")
                assert (root / "sub" / "inside.txt").read_bytes() == b"in newdir\n"
                assert ftp.rmd("newdir").startswith("250")
                assert not (root / "newdir").exists()
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.rmd("sub")  # not empty
                assert ftp.delete("moved.bin").startswith("250")
                assert not (root / "moved.bin").exists()
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.delete("moved.bin")
                ftp.voidcmd("TYPE A")  # stored unconverted too
                with ftp.transfercmd("STOR lines.txt") as conn:
                    conn.sendall(HELLO)
                assert ftp.voidresp().startswith("226")
                assert (root / "lines.txt").read_bytes() == HELLO
                store(ftp, "STOR empty.bin", b"")
                assert (root / "empty.bin").read_bytes() == b""
                assert retrieve(ftp, "empty.bin") == b""

        await in_thread(session)
    assert leftovers(root) == []
    assert (root / "empty.bin").stat().st_mode & 0o777 == 0o644


async def test_ftplib_rest_resumes_downloads_and_uploads(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with alice(server) as ftp:
                for offset in (0, 1, 100_000, len(DATA) - 1, len(DATA)):
                    assert retrieve(ftp, "data.bin", rest=offset) == DATA[offset:]
                with pytest.raises(ftplib.error_perm, match=r"^554"):
                    retrieve(ftp, "data.bin", rest=len(DATA) + 1)
                # An upload broken off after 100000 bytes, resumed with REST then STOR.
                store(ftp, "STOR resumed.bin", DATA[:100_000])
                store(ftp, "STOR resumed.bin", DATA[100_000:], rest=100_000)
                assert (root / "resumed.bin").read_bytes() == DATA
                # REST below the size keeps only that much of the old file.
                store(ftp, "STOR resumed.bin", b"tail", rest=10)
                assert (root / "resumed.bin").read_bytes() == DATA[:10] + b"tail"
                assert retrieve(ftp, "resumed.bin", rest=10) == b"tail"
                # A stale offset is refused before any byte moves, as for RETR (554).
                (root / "hundred.bin").write_bytes(b"h" * 100)
                with pytest.raises(ftplib.error_perm, match=r"^554"):
                    store(ftp, "STOR hundred.bin", b"0123456789", rest=1000)
                with pytest.raises(ftplib.error_perm, match=r"^554"):
                    store(ftp, "STOR new.bin", b"0123456789", rest=10)
                assert (root / "hundred.bin").read_bytes() == b"h" * 100
                assert not (root / "new.bin").exists()
                # REST before PASV (ftplib sends PASV first) still applies to the transfer.
                assert ftp.sendcmd("REST 100000").startswith("350")
                assert retrieve(ftp, "data.bin") == DATA[100_000:]
                assert retrieve(ftp, "data.bin") == DATA  # taken by that RETR
                assert ftp.sendcmd("REST 50").startswith("350")
                store(ftp, "STOR hundred.bin", b"0123456789")
                assert (root / "hundred.bin").read_bytes() == b"h" * 50 + b"0123456789"

        await in_thread(session)
    assert leftovers(root) == []


async def test_ftplib_every_data_connection_mode(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """PASV, EPSV, PORT and EPRT each carry a download, an upload and a listing."""
    async with running(column, ftp_api, root) as server:

        def session(cls: type[ftplib.FTP], passive: bool, name: str) -> None:
            with alice(server, cls=cls) as ftp:
                ftp.set_pasv(passive)
                assert retrieve(ftp, "data.bin") == DATA
                store(ftp, f"STOR {name}", DATA[::-1])
                assert (root / name).read_bytes() == DATA[::-1]
                assert name in ftp.nlst()

        await in_thread(partial(session, ftplib.FTP, True, "pasv.bin"))
        await in_thread(partial(session, ExtendedFTP, True, "epsv.bin"))
        await in_thread(partial(session, ftplib.FTP, False, "port.bin"))
        await in_thread(partial(session, ExtendedFTP, False, "eprt.bin"))


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def test_ftplib_over_ipv6(column: Column, ftp_api: FtpServerAPI, root: Path) -> None:
    """On IPv6 ftplib itself uses EPSV and EPRT; PASV (IPv4 only) is refused."""
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this machine")
    async with running(column, ftp_api, root, host="::1") as server:
        assert server.host == "::1"

        def session(passive: bool) -> None:
            with alice(server) as ftp:
                assert ftp.af == socket.AF_INET6
                ftp.set_pasv(passive)
                assert retrieve(ftp, "data.bin") == DATA
                store(ftp, "STOR six.bin", HELLO)
                assert (root / "six.bin").read_bytes() == HELLO
                with pytest.raises(ftplib.error_perm, match=r"^501"):
                    ftp.sendcmd("PASV")
                with pytest.raises(ftplib.error_perm, match=r"^501"):
                    ftp.sendcmd("EPRT |2|::2|5000|")  # another host

        await in_thread(partial(session, True))
        await in_thread(partial(session, False))


async def test_ftplib_abort_during_a_large_download(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """ABOR mid-RETR: 426 for the transfer, 226 for the ABOR; the session goes on.

    While the first session's download is stalled (the client does not read),
    a second session is served: one slow transfer holds up nobody else.
    """
    make_big_file(root)
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with login(server) as ftp:
                ftp.voidcmd("TYPE I")
                conn, _ = ftp.ntransfercmd("RETR big.bin")
                with conn:
                    chunk = conn.recv(65536)
                    assert chunk
                    assert not chunk.strip(b"\0")  # zeros: it has begun
                    with login(server) as other:  # meanwhile, another session
                        assert retrieve(other, "data.bin") == DATA
                        assert sorted(other.nlst()) == ["big.bin", *ROOT_NAMES]
                    # ftplib sends ABOR as urgent data; it returns the first reply...
                    assert ftp.abort().startswith("426")
                # ...and the 226 that answers ABOR itself is the next one.
                assert ftp.getresp().startswith("226")
                assert ftp.voidcmd("NOOP").startswith("200")
                assert retrieve(ftp, "data.bin") == DATA
                assert retrieve(ftp, "big.bin", rest=BIG - 10) == b"\0" * 10
                assert ftp.abort().startswith("225")  # nothing left to abort

        await in_thread(session)


def count_to_eof(sock: socket.socket) -> int:
    sock.settimeout(CLIENT_TIMEOUT)
    buffer, total = bytearray(1 << 20), 0
    while got := sock.recv_into(buffer):
        total += got
    return total


async def test_quit_during_a_download_waits_for_its_end(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """RFC 959 §4.1.1: QUIT mid-RETR lets it finish (226) or be aborted, then 221 and EOF."""
    make_big_file(root)
    async with running(column, ftp_api, root) as server:

        def session(abort: bool) -> None:
            ftp = login(server)
            try:
                ftp.voidcmd("TYPE I")
                conn, _ = ftp.ntransfercmd("RETR big.bin")
                with conn:
                    received = len(conn.recv(65536))
                    ftp.putcmd("QUIT")  # while most of the file is still to come
                    if abort:
                        assert ftp.abort().startswith("426")
                        assert ftp.getresp().startswith("226")
                        count_to_eof(conn)
                    else:
                        received += count_to_eof(conn)
                        assert received == BIG  # every byte, not cut short
                        assert ftp.getresp().startswith("226")
                assert ftp.getresp().startswith("221")
                assert ftp.file is not None
                assert ftp.file.readline() == ""  # then the server closes
            finally:
                ftp.close()

        await in_thread(partial(session, False))
        await in_thread(partial(session, True))


# -- curl ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def curl() -> str:
    binary = shutil.which("curl")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("curl is not installed: .ci/run installs it (apt-get install curl)")
        pytest.skip("curl is not on PATH (CI installs it; locally: apt-get install curl)")
    return binary


def run_curl(curl: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """curl, without a ~/.curlrc (-q) or proxy, verbose (the FTP commands are on stderr)."""
    command = [curl, "-q", "--noproxy", "*", "--silent", "--show-error", "--verbose"]
    command += ["--max-time", "15", *args]
    done = subprocess.run(command, capture_output=True, timeout=20, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def sent(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    """The commands curl sent, from its verbose output (``> EPSV``)."""
    lines = done.stderr.decode(errors="replace").splitlines()
    return [line[2:].split(" ")[0] for line in lines if line.startswith("> ")]


async def test_curl_downloads_and_lists(
    column: Column, ftp_api: FtpServerAPI, root: Path, curl: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.bin"
    async with running(column, ftp_api, root) as server:
        url = f"ftp://{HOST}:{server.port}"

        def session() -> None:
            done = run_curl(curl, "--ftp-pasv", f"{url}/data.bin", "-o", str(out))
            assert out.read_bytes() == DATA
            assert "EPSV" in sent(done)  # curl's default
            assert "PASV" not in sent(done)
            done = run_curl(curl, "--disable-epsv", f"{url}/sub/inner.txt", "-o", str(out))
            assert out.read_bytes() == INNER
            assert "PASV" in sent(done)
            assert "EPSV" not in sent(done)
            names = run_curl(curl, "-l", f"{url}/").stdout.decode().split()
            assert sorted(names) == ROOT_NAMES
            listing = run_curl(curl, f"{url}/sub/").stdout.decode().splitlines()
            assert [line.split()[-1] for line in listing] == ["inner.txt"]
            done = run_curl(curl, "--ftp-port", HOST, f"{url}/data.bin", "-o", str(out))
            assert out.read_bytes() == DATA
            assert "EPRT" in sent(done)  # active mode: curl tries EPRT first
            port_only = ("--ftp-port", HOST, "--disable-eprt")
            done = run_curl(curl, *port_only, f"{url}/hello.txt", "-o", str(out))
            assert out.read_bytes() == HELLO
            assert "PORT" in sent(done)
            assert "EPRT" not in sent(done)
            out.write_bytes(DATA[:100_000])  # a broken-off download, resumed
            done = run_curl(curl, "-C", "-", f"{url}/data.bin", "-o", str(out))
            assert out.read_bytes() == DATA
            assert "REST" in sent(done)

        await in_thread(session, 60)


async def test_curl_uploads_as_a_named_user(
    column: Column, ftp_api: FtpServerAPI, root: Path, curl: str, tmp_path: Path
) -> None:
    local = tmp_path / "local.bin"
    local.write_bytes(DATA)
    async with running(column, ftp_api, root) as server:
        url = f"ftp://{HOST}:{server.port}"

        def session() -> None:
            user = ("--user", "alice:secret")
            run_curl(curl, *user, "-T", str(local), f"{url}/sub/up.bin")
            assert (root / "sub" / "up.bin").read_bytes() == DATA
            run_curl(curl, *user, "--ftp-port", HOST, "-T", str(local), f"{url}/active.bin")
            assert (root / "active.bin").read_bytes() == DATA
            run_curl(curl, *user, "--ftp-create-dirs", "-T", str(local), f"{url}/a/b/deep.bin")
            assert (root / "a" / "b" / "deep.bin").read_bytes() == DATA
            (root / "part.bin").write_bytes(DATA[:12_345])  # a broken-off upload, resumed
            done = run_curl(curl, *user, "-C", "-", "-T", str(local), f"{url}/part.bin")
            assert (root / "part.bin").read_bytes() == DATA
            assert "APPE" in sent(done)
            # Anonymous users cannot upload: curl fails, nothing is written.
            anonymous = [curl, "-q", "--noproxy", "*", "-sS", "--max-time", "15"]
            refused = subprocess.run(
                [*anonymous, "-T", str(local), f"{url}/anon.bin"],
                capture_output=True,
                timeout=20,
                check=False,
            )
            assert refused.returncode == 25, refused.stderr  # CURLE_UPLOAD_FAILED
            assert b"550" in refused.stderr

        await in_thread(session, 60)
    assert not (root / "anon.bin").exists()
    assert leftovers(root) == []


# -- security and limits ---------------------------------------------------------------------


async def test_paths_cannot_leave_the_root(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    (root / "link-out").symlink_to(root.parent / "secret.txt")
    (root / "dir-out").symlink_to(root.parent)
    (root / "link-in").symlink_to("hello.txt")  # a link inside the root is fine
    received: list[bytes] = []
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with login(server) as ftp:
                escapes = ("../../etc/passwd", "/../secret.txt", "../secret.txt", "link-out")
                for name in (*escapes, "dir-out/secret.txt"):
                    with pytest.raises(ftplib.error_perm, match=r"^550"):
                        ftp.retrbinary(f"RETR {name}", received.append)
                    with pytest.raises(ftplib.error_perm, match=r"^550"):
                        ftp.size(name)
                for name in ("dir-out", "link-out", "dir-out/root/.."):
                    with pytest.raises(ftplib.error_perm, match=r"^550"):
                        ftp.cwd(name)
                    with pytest.raises(ftplib.error_perm, match=r"^550"):
                        ftp.retrlines(f"LIST {name}", lambda line: received.append(line.encode()))
                assert ftp.pwd() == "/"
                # ".." stops at the virtual root, as on any Unix: "/.." is "/".
                for up in ("/..", "../..", "/../../.."):
                    assert ftp.cwd(up).startswith("250")
                    assert ftp.pwd() == "/"
                    assert sorted(ftp.nlst()) == sorted(
                        [*ROOT_NAMES, "link-in"]
                    )  # links out hidden
                    assert sorted(dict(ftp.mlsd())) == sorted([*ROOT_NAMES, "link-in"])
                assert retrieve(ftp, "link-in") == HELLO
                assert retrieve(ftp, "/../hello.txt") == HELLO
            with alice(server) as ftp:  # writing through a link out is refused too
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    store(ftp, "STOR dir-out/planted.txt", b"x")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    store(ftp, "STOR link-out", b"x")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.mkd("dir-out/planted")
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.rename("hello.txt", "dir-out/planted.txt")

        await in_thread(session)
    assert not any(SECRET.strip() in chunk for chunk in received)
    assert (root.parent / "secret.txt").read_bytes() == SECRET
    assert sorted(os.listdir(root.parent)) == ["root", "secret.txt"]


async def test_an_interrupted_upload_leaves_no_file(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """ABOR mid-STOR, or a reset data connection, leaves the old file intact and no new one.

    (A data connection *closed* mid-upload is a finished upload: in FTP's stream
    mode EOF is how the client says "that was all".)
    """
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with alice(server) as ftp:
                ftp.voidcmd("TYPE I")
                # ABOR while a STOR over an existing file is under way.
                conn, _ = ftp.ntransfercmd("STOR hello.txt")
                with conn:
                    conn.sendall(b"x" * 100_000)
                    assert ftp.abort().startswith("426")
                assert ftp.getresp().startswith("226")
                assert (root / "hello.txt").read_bytes() == HELLO
                assert leftovers(root) == []
                # The data connection reset (RST, not FIN) mid-STOR of a new file.
                conn, _ = ftp.ntransfercmd("STOR new.bin")
                conn.sendall(b"y" * 100_000)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                with pytest.raises(ftplib.error_temp, match=r"^426"):
                    ftp.voidresp()
                assert not (root / "new.bin").exists()
                assert leftovers(root) == []
                # The same over an existing file: it stays as it was.
                conn, _ = ftp.ntransfercmd("STOR data.bin")
                conn.sendall(b"z" * 100_000)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                with pytest.raises(ftplib.error_temp, match=r"^426"):
                    ftp.voidresp()
                assert (root / "data.bin").read_bytes() == DATA
                assert leftovers(root) == []
                assert retrieve(ftp, "hello.txt") == HELLO  # the session goes on

        await in_thread(session)


async def test_names_up_to_the_file_systems_limit_can_be_stored(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """Names of 241-255 bytes upload through a temporary name that fits, atomically as others."""
    names = ["a" * 241, "b" * 255, "x" + "é" * 127]  # the last: 255 bytes of UTF-8
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with alice(server) as ftp:
                for name in names:
                    assert store(ftp, f"STOR {name}", HELLO).startswith("226")
                    assert retrieve(ftp, name) == HELLO
                # Reset mid-upload over the existing long name: the old file stays as it was.
                ftp.voidcmd("TYPE I")
                conn, _ = ftp.ntransfercmd(f"STOR {names[1]}")
                conn.sendall(b"z" * 100_000)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                with pytest.raises(ftplib.error_temp, match=r"^426"):
                    ftp.voidresp()
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    store(ftp, "STOR " + "c" * 256, HELLO)  # over the limit: refused up front

        await in_thread(session)
    assert sorted(os.listdir(root)) == sorted([*ROOT_NAMES, *names])
    assert all((root / name).read_bytes() == HELLO for name in names)


# -- bounded resources under load ---------------------------------------------------------


class CountingUsers(Users):
    """Users whose password checks take a while and count how many ran at once."""

    def __init__(self) -> None:
        super().__init__({"alice": User(hash_password("secret", n=2**4), write=True)})
        self.lock = threading.Lock()
        self.running = self.most = 0

    def check(self, name: str, password: str) -> tuple[bool, bool]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.1)  # as long as two real scrypt checks
            return super().check(name, password)
        finally:
            with self.lock:
                self.running -= 1


async def test_password_checks_queue_behind_their_own_limiter(
    column: Column, ftp_api: FtpServerAPI, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login flood runs password_check_slots() checks at once, not one per worker thread."""
    monkeypatch.setattr(support, "password_check_slots", lambda: 2)
    users = CountingUsers()
    async with running(column, ftp_api, root, users=users) as server:

        def session() -> None:
            with alice(server) as ftp:
                assert ftp.voidcmd("NOOP").startswith("200")

        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(in_thread, session)
    assert users.most == 2


async def test_parallel_uploads_share_a_bounded_set_of_buffers(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """However many clients store at once, the server holds UPLOAD_BUFFERS buffers at most."""
    clients = UPLOAD_BUFFERS * 2
    payload = DATA * 6  # 1.5 MiB each, sent before any upload ends
    barrier = threading.Barrier(clients, timeout=CLIENT_TIMEOUT)
    async with running(column, ftp_api, root) as server:

        def upload(index: int) -> None:
            with alice(server) as ftp:
                ftp.voidcmd("TYPE I")
                conn, _ = ftp.ntransfercmd(f"STOR up-{index}.bin")
                with conn:
                    conn.sendall(payload)
                    barrier.wait()  # every upload open and its data sent
                assert ftp.voidresp().startswith("226")

        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            async with anyio.create_task_group() as tg:
                for index in range(clients):
                    tg.start_soon(in_thread, partial(upload, index))
            peak = tracemalloc.get_traced_memory()[1] - start
        finally:
            tracemalloc.stop()
    assert all((root / f"up-{i}.bin").read_bytes() == payload for i in range(clients))
    # One buffer per upload would be `clients` MiB; the pool keeps it to UPLOAD_BUFFERS.
    assert peak < (UPLOAD_BUFFERS + 3) * UPLOAD_BUFFER_SIZE, f"{peak / 2**20:.1f} MiB"


async def test_port_to_another_host_or_a_privileged_port_is_refused(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """No FTP bounce (RFC 2577): the server only connects back to the client, above 1023."""
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            with login(server) as ftp:
                for command in (
                    "PORT 10,0,0,1,200,10",
                    "PORT 127,0,0,2,200,10",  # loopback, but not the client's address
                    "PORT 127,0,0,1,0,21",
                    "PORT 127,0,0,1,3,255",  # 1023
                    "EPRT |1|10.0.0.1|5000|",
                    "EPRT |1|127.0.0.1|80|",
                ):
                    with pytest.raises(ftplib.error_perm, match=r"^501"):
                        ftp.sendcmd(command)
                # Nothing was accepted: a transfer has no data connection to use.
                with pytest.raises(ftplib.error_temp, match=r"^425"):
                    ftp.sendcmd("RETR hello.txt")
                ftp.set_pasv(False)  # a port of our own is still fine
                assert retrieve(ftp, "hello.txt") == HELLO

        await in_thread(session)


async def test_connections_over_the_per_address_limit_get_421(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    async with running(column, ftp_api, root, opts=options(max_per_address=2)) as server:

        def session() -> None:
            first, second = login(server), connect(server)
            try:
                with socket.create_connection((server.host, server.port), CLIENT_TIMEOUT) as third:
                    reply = read_to_eof(third)  # then closed by the server
                assert reply.startswith(b"421 ")
                assert reply.endswith(b"\r\n")
                assert reply.count(b"\r\n") == 1
                assert first.voidcmd("NOOP").startswith("200")  # the others go on
                assert retrieve(first, "hello.txt") == HELLO
            finally:
                second.close()
            # Once a session ends its slot is free again (the server sees the EOF first).
            deadline = time.monotonic() + 5
            while True:
                with socket.create_connection((server.host, server.port), CLIENT_TIMEOUT) as s:
                    s.settimeout(CLIENT_TIMEOUT)
                    banner = s.recv(4096)
                if banner.startswith(b"220") or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            assert banner.startswith(b"220")
            first.quit()

        await in_thread(session)


async def test_an_idle_client_gets_421_then_eof(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    make_big_file(root)
    async with running(column, ftp_api, root, opts=options(idle_timeout=0.3)) as server:

        def session() -> tuple[bytes, float]:
            with socket.create_connection((server.host, server.port), CLIENT_TIMEOUT) as sock:
                start = time.monotonic()
                return read_to_eof(sock), time.monotonic() - start

        def logged_in() -> None:
            ftp = login(server)
            try:
                ftp.voidcmd("TYPE I")
                # A transfer in progress is not idleness, however long the control
                # connection stays silent (the download is not read: it makes no progress).
                conn, _ = ftp.ntransfercmd("RETR big.bin")
                with conn:
                    time.sleep(0.5)
                    assert ftp.abort().startswith("426")  # not 421
                assert ftp.getresp().startswith("226")
                time.sleep(0.15)
                assert ftp.voidcmd("NOOP").startswith("200")  # activity restarts the clock
                start = time.monotonic()
                with pytest.raises(ftplib.error_temp, match=r"^421"):
                    ftp.getresp()  # unprompted, once the session is idle long enough
                assert time.monotonic() - start >= 0.22  # counted from NOOP, not from 226
                with pytest.raises(EOFError):
                    ftp.getline()
            finally:
                ftp.close()

        results: list[tuple[bytes, float]] = []

        async def silent() -> None:
            results.append(await in_thread(session))

        async with anyio.create_task_group() as tg:  # the two clients side by side
            tg.start_soon(silent)
            await in_thread(logged_in)
        [(received, elapsed)] = results
        assert received.startswith(b"220 ")
        assert received.endswith(IDLE_TIMEOUT_REPLY)
        assert received.count(b"\r\n") == 2
        assert 0.25 <= elapsed < 5


async def test_stalled_data_connections_fail(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    """PASV nobody connects to: 425 after passive_timeout; a download nobody reads: 426
    after data_timeout. Neither ends the session."""
    make_big_file(root)
    opts = options(passive_timeout=0.3, data_timeout=0.3)
    async with running(column, ftp_api, root, opts=opts) as server:

        def stalled(setup: str) -> None:
            with login(server) as ftp:
                ftp.voidcmd("TYPE I")
                if setup in ("PASV", "EPSV"):
                    assert ftp.sendcmd(setup)[:3] in ("227", "229")
                    start = time.monotonic()
                    assert ftp.sendcmd("RETR hello.txt").startswith("150")
                    with pytest.raises(ftplib.error_temp, match=r"^425"):
                        ftp.getresp()  # we never connected
                    assert 0.2 <= time.monotonic() - start < 5
                else:
                    conn, _ = ftp.ntransfercmd("RETR big.bin")
                    with conn:
                        start = time.monotonic()
                        with pytest.raises(ftplib.error_temp, match=r"^426"):
                            ftp.getresp()  # we never read
                        assert 0.2 <= time.monotonic() - start < 5
                assert retrieve(ftp, "hello.txt") == HELLO

        async with anyio.create_task_group() as tg:  # three sessions side by side
            for setup in ("PASV", "EPSV", "download"):
                tg.start_soon(in_thread, partial(stalled, setup))


async def test_three_failed_logins_close_the_connection(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    async with running(column, ftp_api, root) as server:

        def session() -> None:
            ftp = connect(server)
            try:
                for _ in range(2):
                    with pytest.raises(ftplib.error_perm, match=r"^530"):
                        ftp.login("alice", "wrong")
                with pytest.raises(ftplib.error_perm, match=r"^530"):
                    ftp.sendcmd("LIST")  # not logged in
                with pytest.raises(ftplib.error_temp, match=r"^421"):
                    ftp.login("nobody", "wrong")
                with pytest.raises(EOFError):
                    ftp.getline()
            finally:
                ftp.close()
            with alice(server) as ftp:  # the account itself is not locked
                assert ftp.voidcmd("NOOP").startswith("200")

        await in_thread(session)


# -- errors at start, cancellation, descriptors ----------------------------------------------


async def test_a_bad_root_or_a_port_in_use_is_an_error(
    ftp_api: FtpServerAPI, root: Path, tmp_path: Path
) -> None:
    called: list[tuple[str, int]] = []

    def ready(host: str, port: int) -> None:
        called.append((host, port))

    with anyio.fail_after(5):
        with pytest.raises(NotADirectoryError):
            await ftp_api.serve_ftp(str(root / "hello.txt"), HOST, 0, ready=ready)
        with pytest.raises(NotADirectoryError):
            await ftp_api.serve_ftp(str(tmp_path / "missing"), HOST, 0, ready=ready)
        with socket.create_server((HOST, 0)) as taken:
            port = taken.getsockname()[1]
            with pytest.raises(OSError, match=str(port)):
                await ftp_api.serve_ftp(str(root), HOST, port, ready=ready)
    assert called == []


async def test_cancelling_the_server_mid_download_is_prompt(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    make_big_file(root)
    async with running(column, ftp_api, root) as server:

        def start() -> tuple[ftplib.FTP, socket.socket]:
            ftp = login(server)
            ftp.voidcmd("TYPE I")
            conn, _ = ftp.ntransfercmd("RETR big.bin")
            assert conn.recv(65536)
            return ftp, conn

        ftp, conn = await in_thread(start)
        started = anyio.current_time()
        server.shutdown()
        with anyio.fail_after(5):
            await server.stopped.wait()
        assert anyio.current_time() - started < 2

    def finish() -> None:
        with conn:
            conn.settimeout(CLIENT_TIMEOUT)
            try:
                while conn.recv(1 << 20):  # what was already in flight, then the end
                    pass
            except ConnectionResetError:
                pass
        try:
            line = ftp.getline()  # at most a last reply, then EOF
            with pytest.raises(EOFError):
                ftp.getline()
            assert line[:3] in ("421", "426")
        except EOFError:
            pass
        finally:
            ftp.close()

    await in_thread(finish)


async def test_no_descriptor_or_task_outlives_a_session_or_the_server(
    column: Column, ftp_api: FtpServerAPI, root: Path
) -> None:
    make_big_file(root)

    def transfers(server: Running) -> None:
        with alice(server) as ftp:
            assert retrieve(ftp, "data.bin") == DATA
            store(ftp, "STOR copy.bin", DATA)
            ftp.set_pasv(False)
            assert ftp.nlst("copy.bin") == ["copy.bin"]

    # Once: whatever the loop, threads or the server create lazily and keep.
    async with running(column, ftp_api, root) as server:
        await in_thread(partial(transfers, server))

    fds, tasks = open_fds(), len(anyio.get_running_tasks())
    async with running(column, ftp_api, root) as server:
        serving = open_fds()  # with the listener
        await in_thread(partial(transfers, server))  # sessions that end on their own
        with anyio.fail_after(5):
            while open_fds() != serving:  # noqa: ASYNC110
                await anyio.sleep(0.01)  # polling /proc: there is no event to wait for

        def leave_open() -> list[ftplib.FTP | socket.socket]:
            # At cancellation: a session mid-download, one with a passive listener
            # open, one mid-upload, one not logged in.
            downloading = login(server)
            downloading.voidcmd("TYPE I")
            download, _ = downloading.ntransfercmd("RETR big.bin")
            listening = login(server)
            listening.sendcmd("PASV")
            uploading = alice(server)
            upload, _ = uploading.ntransfercmd("STOR partial.bin")
            upload.sendall(b"u" * 10_000)
            return [downloading, download, listening, uploading, upload, connect(server)]

        clients = await in_thread(leave_open)
    for client in clients:
        client.close()
    assert open_fds() == fds
    assert len(anyio.get_running_tasks()) == tasks
    assert not (root / "partial.bin").exists()
    assert leftovers(root) == []
