"""``async-rosetta serve ftp``: every ``--impl`` in its own process, real ftplib clients.

The servers' behaviour is tested in six columns by ``tests/test_ftp_servers.py``;
here the command line is: its arguments, its output contract (one ``listening
on HOST:PORT`` line), users given as ``NAME:HASH``, and a clean exit on SIGTERM.
"""

from __future__ import annotations

import ftplib
import io
import os
import pty
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from common.ftp import hash_password, verify_password
from rosetta import cli
from rosetta.serve import FTP_IMPLS

pytestmark = pytest.mark.concept("ftp")

HOST = "127.0.0.1"
COMMAND = [sys.executable, "-m", "rosetta.cli", "serve", "ftp"]


def test_hash_password_reads_stdin() -> None:
    done = subprocess.run(
        [*COMMAND, "--hash-password"], input="s3cret\n", capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    stored = done.stdout.strip()
    assert stored.startswith("scrypt$")
    assert verify_password("s3cret", stored)
    assert not verify_password("s3cret\n", stored)  # the newline is not part of it


def _in_a_terminal(answers: list[bytes]) -> tuple[int, bytes]:
    """Run ``serve ftp --hash-password`` with a pseudo-terminal as its controlling
    terminal; answer each prompt (output ending in ': ') with the next of *answers*.
    Returns the exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else
        os.execv(sys.executable, [*COMMAND, "--hash-password"])
    shown = b""
    pending = list(answers)
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, f"no output for 30 s; so far: {shown!r}"
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            # getpass turns echo off before it writes the prompt ("...: "): only then answer.
            # Not after the newline that follows an answer, while echo is back on.
            if pending and shown.endswith(b": "):
                os.write(fd, pending.pop(0) + b"\n")
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown


def test_hash_password_in_a_terminal_prompts_twice_without_echo() -> None:
    status, shown = _in_a_terminal([b"s3cret-pass", b"s3cret-pass"])
    assert status == 0, shown
    text = shown.decode()
    assert "Password:" in text
    assert "again:" in text
    assert "s3cret-pass" not in text  # not echoed
    stored = next(word for word in text.split() if word.startswith("scrypt$"))
    assert verify_password("s3cret-pass", stored)


def test_hash_password_in_a_terminal_refuses_two_different_passwords() -> None:
    status, shown = _in_a_terminal([b"one", b"two"])
    assert status == 2
    assert "the two passwords differ" in shown.decode()
    assert "scrypt$" not in shown.decode()


def test_serve_imports_neither_the_other_commands_nor_rich() -> None:
    """A server's memory is its own: `serve` does not load the tour, the site or rich."""
    check = (
        "import sys; from rosetta import cli; cli.build_parser('serve'); "
        "print(sorted(m for m in ('rich', 'rosetta.site', 'rosetta.tour', 'rosetta.bench') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "[]"
    site = subprocess.run(
        [sys.executable, "-c", check.replace("build_parser('serve')", "build_parser('site')")],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "rosetta.site" in site.stdout  # the check sees a command's imports


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--impl and --root are required"),
        (["--impl", "asyncio"], "--impl and --root are required"),
        (["--impl", "asyncio", "--root", "/no/such/dir"], "--root must be an existing directory"),
        (["--impl", "nope", "--root", "."], "invalid choice: 'nope'"),
        (["--impl", "asyncio", "--root", ".", "--passive-ports", "80-90"], "1024 <= FIRST"),
        (["--impl", "asyncio", "--root", ".", "--passive-ports", "3000"], "FIRST-LAST"),
        (["--impl", "asyncio", "--root", ".", "--user", "alice:secret"], "NAME:HASH"),
        (["--impl", "asyncio", "--root", ".", "--masquerade", "::1"], "IPv4 addresses only"),
        (["--impl", "asyncio", "--root", ".", "--idle-timeout", "0"], "seconds > 0; got 0"),
        (["--impl", "asyncio", "--root", ".", "--data-timeout", "-1"], "seconds > 0; got -1"),
        (["--impl", "asyncio", "--root", ".", "--passive-timeout", "inf"], "finite"),
        (["--impl", "asyncio", "--root", ".", "--no-anonymous"], "--no-anonymous without --user"),
        (["--impl", "asyncio", "--root", ".", "--write"], "--write without --user"),
        (["--impl", "asyncio", "--root", ".", "--max-per-address", "0"], ">= 1"),
    ],
)
def test_bad_arguments_are_named(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "ftp", *extra])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = cli.main(
            ["serve", "ftp", "--impl", "asyncio", "--root", str(tmp_path), "--port", str(port)]
        )
    assert status == 1
    assert f"port {port} is in use" in capsys.readouterr().err


@pytest.mark.parametrize("impl", FTP_IMPLS)
def test_serve_ftp_command(impl: str, tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_bytes(b"hello\n")
    user = f"alice:{hash_password('secret', n=2**4)}"
    command = [*COMMAND, "--impl", impl, "--root", str(tmp_path), "--port", "0", "--user", user]
    with subprocess.Popen(
        [*command, "--write", "--login-delay", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # the process prints it, or dies
            assert line.startswith("listening on "), line
            host, _, port = line.removeprefix("listening on ").strip().rpartition(":")
            with ftplib.FTP() as ftp:
                ftp.connect(host, int(port), timeout=10)
                ftp.login()  # anonymous: reads only
                got = io.BytesIO()
                ftp.retrbinary("RETR hello.txt", got.write)
                assert got.getvalue() == b"hello\n"
                with pytest.raises(ftplib.error_perm, match=r"^550"):
                    ftp.storbinary("STOR nope.txt", io.BytesIO(b"x"))
            with ftplib.FTP() as ftp:
                ftp.connect(host, int(port), timeout=10)
                ftp.login("alice", "secret")  # --write
                ftp.storbinary("STOR up.txt", io.BytesIO(b"uploaded\n"))
            assert (tmp_path / "up.txt").read_bytes() == b"uploaded\n"
            assert not (tmp_path / "nope.txt").exists()
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
