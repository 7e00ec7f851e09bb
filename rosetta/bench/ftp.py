"""``async-rosetta bench ftp``: our six FTP servers against pyftpdlib and vsftpd.

Columns: ``serve ftp`` of the three packages on their event loops (``asyncio``,
``uvloop``, ``trio``, ``shared-asyncio``, ``shared-uvloop``, ``shared-trio``),
and two peers in the same run, on the same files, with the same client:
pyftpdlib (Python, one thread, epoll, ``sendfile`` for RETR) and vsftpd (C, a
process per session). A peer that is not installed is skipped with a message
saying how to install it; it is never left out silently.

Workloads (``--quick`` divides every count and size by 10: a smoke test):

1. one RETR and one STOR of a 200 MB file (MB/s; MB = 10^6 bytes), each the
   median of 5 in a row in one session (one takes ~0.1 s: one alone is noise);
2. 300 clients connect and log in (seconds, first connect to the last ``230``;
   the median of 5 rounds);
3. 300 concurrent RETR of a 10 MB file (seconds, the common start to the last ``226``);
4. 300 concurrent STOR of 10 MB (the same; the uploads are checked on disk);
5. 10,000 concurrent logged-in idle sessions: failures (each must still
   answer ``NOOP`` at the end), server memory per session, and one RETR of
   10 MB among them (MB/s, the median of 5 in a row);
6. memory under load: 500 clients, each on its own (no common start): the
   first 30 log in as the write user and STOR 1 MiB, the others log in
   anonymously, LIST and RETR a 1 MiB file, and every third of those drops
   mid-RETR (aborts both connections): the server's peak RSS (``VmHWM`` of its
   process; for vsftpd the largest sampled sum of ``VmRSS`` over its tree) and
   peak PSS (sampled every 20 ms), in MiB.

Every run also records the CPU seconds of the server's process tree
(``server_cpu``), read when every session is done and before their ``QUIT``
(vsftpd's ended sessions would take their CPU time with them; so teardown is
counted for no server), printed in a table of its own: it tells a server
that is slow because it is busy from one that waits.

Each (column, workload) gets a fresh server process and a fresh client
process (``python -m rosetta.load.ftp``, asyncio on uvloop), the server's
threads pinned to one core and the client to another. Sessions connect at
most 32 at a time between connect and ``230`` (vsftpd listens with a backlog
of 32, hard-coded: more at once would overflow its accept queue and measure
the kernel's SYN-ACK retransmits), and the idle sessions at most 2,000 per
second. Reads log in as anonymous; our STOR as a named user with a
``--write`` scrypt hash (``n=2**14``, the default cost; the logins happen
before the timed transfer phase), pyftpdlib's as a write user, vsftpd's as
anonymous with ``anon_upload_enable``.

Memory per session is the server's memory with the idle sessions (and the
probe) logged in minus its memory before the first connect, per session:
``VmRSS`` for the Python servers, and for vsftpd, which forks two processes
per session, the sums of ``VmRSS`` (counts every shared page once per
process: far too high) and of ``Pss`` (shares them out: the fair number)
over its process tree. PSS is reported for every column.

Targets of the issue, printed as PASS/MISS and written as rows (1 pass, 0 miss):

* ours on uvloop (``uvloop``, ``shared-uvloop``) at least as good as pyftpdlib
  on every workload: MB/s higher or equal, seconds lower or equal, no more
  failures;
* their single RETR at least 0.7x vsftpd's MB/s;
* each of ours holds 10,000 idle sessions with 0 failures;
* each of ours peaks at most 2x pyftpdlib's RSS under the mixed load (that row is
  judged by this target, not by the "at least as good" one).

Ratios are rows too: ``ratio_vs_pyftpdlib`` and ``ratio_vs_vsftpd`` on each
workload's main number, as "times better" (> 1: the column is better): MB/s
ours / theirs, seconds theirs / ours; and ``pss_ratio_vs_...`` for memory per
idle session (theirs / ours).

Error handling
--------------
Every run is bounded: the server must print ``listening on HOST:PORT`` within
20 s, the client has its own deadline (and is killed 30 s after it), the
server must exit within 15 s of SIGTERM (then it is killed, its whole
process tree for vsftpd), and no run starts after 14 min (3.5 with
``--quick``): the remaining runs are reported as not run, and the whole
bench stays under 15 min (4.5). A
server that fails to start is not retried for its other workloads. Ctrl-C or
SIGTERM stops the current run, terminates every process the bench started,
prints what was measured, and exits 130. Exit status: 0 when every run
worked, 1 when a run failed (a peer that is not installed is not a failure).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pwd
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from rosetta.bench.options import (
    BenchOptions,
    Ticker,
    finish,
    progress_console,
    pyplot,
    report_console,
    save_figure,
)
from rosetta.bench.schema import Row
from rosetta.columns import COLUMNS, column_names

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "OURS",
    "PEERS",
    "SERVERS",
    "Results",
    "Workload",
    "main",
    "serve_pyftpdlib",
    "server_environment",
    "targets",
    "to_rows",
    "workloads",
]

OURS = tuple(column_names())  # the six columns, spelled as everywhere
PEERS = ("pyftpdlib", "vsftpd")
SERVERS = (*OURS, *PEERS)  # what the table and the plot compare
UVLOOP_COLUMNS = tuple(column.name for column in COLUMNS if column.uvloop)
VSFTPD_RETR_MIN = 0.7

MB = 1_000_000
WRITE_USER, WRITE_PASSWORD = "writer", "bench-password"
HANDSHAKES_AT_ONCE = 32  # vsftpd's listen(fd, 32): see the module docstring
IDLE_CONNECT_RATE = 2000.0
MAX_SESSIONS = 20_000
REPEAT = 5  # short measurements (one transfer, 300 logins, the idle probe): the median of 5
MIXED_UPLOADERS = 30
MIXED_PEAK_MAX = 2.0  # peak RSS under the mixed load: at most this times pyftpdlib's

SERVER_START_TIMEOUT = 20.0
SERVER_STOP_TIMEOUT = 15.0
CLIENT_OVERHEAD = 30.0  # interpreter start, JSON: on top of the client's own deadline
# A run starts only with CLIENT_OVERHEAD + 10 s left, and may overrun by its server's start
# and stop (< 1 min): so the whole bench stays under 15 min (4.5 with --quick).
BUDGET_FULL, BUDGET_QUICK = 14 * 60.0, 3.5 * 60.0

PYFTPDLIB_MISSING = "pyftpdlib not installed: pip install 'async-rosetta[bench]'"
VSFTPD_MISSING = "vsftpd not found: apt-get install vsftpd"


@dataclass(frozen=True)
class Workload:
    key: str  # stable: "retr-1", "stor-1", "login", "retr-n", "stor-n", "idle", "mixed"
    name: str  # the JSON rows' workload
    mode: str  # ftp_load --mode
    clients: int
    size: int  # bytes per transfer (0: none)
    file: str  # RETR: the served file; STOR: the upload directory
    deadline: float  # the client's --deadline, seconds
    expected: float  # a guess of the run's seconds, for the progress bar
    repeat: int = 1  # rounds (login) or timed transfers in a row (one client, idle probe)
    uploaders: int = 0  # mixed: the clients that STOR as the write user


def workloads(quick: bool) -> tuple[Workload, ...]:
    """The seven runs per column, in order."""
    div = 10 if quick else 1
    big, ten, many, idle = 200 * MB // div, 10 * MB // div, 300 // div, 10_000 // div
    mixed = 500 // div
    scale = 0.5 if quick else 1.0
    return (
        Workload("retr-1", f"1 x RETR {big // MB} MB", "retr", 1, big, "/big.bin", 60, 2, REPEAT),
        Workload("stor-1", f"1 x STOR {big // MB} MB", "stor", 1, big, "/up", 60, 3, REPEAT),
        Workload("login", f"{many} x connect + login", "login", many, 0, "", 60, 2, REPEAT),
        Workload("retr-n", f"{many} x RETR {ten // MB} MB", "retr", many, ten, "/ten.bin", 120, 6),
        Workload("stor-n", f"{many} x STOR {ten // MB} MB", "stor", many, ten, "/up", 150, 20),
        Workload(
            "idle",
            f"{idle:,} idle sessions + 1 x RETR {ten // MB} MB",
            "idle",
            idle,
            ten,
            "/ten.bin",
            240 * scale,
            25 * scale,
            REPEAT,
        ),
        Workload(
            "mixed",
            f"{mixed} mixed clients ({MIXED_UPLOADERS // div} uploading)",
            "mixed",
            mixed,
            1024 * 1024,
            "/one.bin",
            120,
            8 * scale,
            uploaders=MIXED_UPLOADERS // div,
        ),
    )


# What each workload is judged on: (metric, unit, higher is better).
MAIN_METRIC: dict[str, tuple[str, str, bool]] = {
    "retr-1": ("throughput", "MB/s", True),
    "stor-1": ("throughput", "MB/s", True),
    "login": ("elapsed", "s", False),
    "retr-n": ("elapsed", "s", False),
    "stor-n": ("elapsed", "s", False),
    "idle": ("probe_throughput", "MB/s", True),
    "mixed": ("peak_rss", "MiB", False),
}


@dataclass
class Results:
    workloads: tuple[Workload, ...]
    values: dict[tuple[str, str, str], float] = field(default_factory=dict)  # col, key, metric
    units: dict[str, str] = field(default_factory=dict)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)  # (column, key): why
    skipped: dict[str, str] = field(default_factory=dict)  # column: why not run at all
    notes: dict[str, str] = field(default_factory=dict)  # column: a remark on its runs
    interrupted: bool = False

    def get(self, column: str, key: str, metric: str) -> float | None:
        return self.values.get((column, key, metric))

    def put(self, column: str, key: str, metric: str, value: float, unit: str) -> None:
        self.values[column, key, metric] = float(value)
        self.units[metric] = unit

    def workload(self, key: str) -> Workload:
        return next(w for w in self.workloads if w.key == key)


class RunError(Exception):
    """A server or client process that did not do its part; the message says which and why."""


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


# -- the files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Files:
    base: Path  # the temporary directory: root/, configs, logs
    root: Path  # what every server serves as /
    uploads: Path  # root/up, writable by everyone (vsftpd writes as the ftp user)


def _make_files(workloads: Sequence[Workload]) -> Files:
    """The served tree, on tmpfs when there is room (disk speed is not what we measure)."""
    need = sum(w.size for w in workloads if w.mode in ("retr", "mixed")) + 4 * 300 * 10 * MB
    shm = Path("/dev/shm")
    where = None
    if shm.is_dir() and os.access(shm, os.W_OK):
        stat = os.statvfs(shm)
        if stat.f_bavail * stat.f_frsize > need:
            where = str(shm)
    base = Path(tempfile.mkdtemp(prefix="bench-ftp-", dir=where))
    base.chmod(0o755)  # vsftpd's ftp user reads below it
    root = base / "root"
    root.mkdir(mode=0o755)
    root.chmod(0o755)  # not writable by the ftp user: vsftpd refuses a writable anon_root
    uploads = root / "up"
    uploads.mkdir()
    uploads.chmod(0o777)
    block = os.urandom(1024 * 1024)
    for w in workloads:
        path = root / w.file.lstrip("/")
        if w.mode not in ("retr", "mixed") or path.exists():
            continue
        with open(path, "wb") as out:
            left = w.size
            while left:
                left -= out.write(block[: min(left, len(block))])
        path.chmod(0o644)
    return Files(base, root, uploads)


def _clear_uploads(files: Files) -> None:
    for entry in os.scandir(files.uploads):
        Path(entry.path).unlink(missing_ok=True)


def _check_uploads(files: Files, tag: str, workload: Workload, stored: int) -> str | None:
    """Whether the *stored* uploads of *tag* are on disk, whole; a note if not."""
    sizes = [
        entry.stat().st_size
        for entry in os.scandir(files.uploads)
        if entry.name.startswith(f"{tag}-") and entry.name.endswith(".bin")
    ]
    whole = sum(1 for size in sizes if size == workload.size)
    if whole < stored:
        return f"{stored} STORs answered 226 but only {whole} files of {workload.size:,} B exist"
    return None


# -- the servers ------------------------------------------------------------------------------


@dataclass
class Server:
    column: str
    process: subprocess.Popen[bytes]
    host: str
    port: int
    own_group: bool  # in a process group of its own (vsftpd): a terminal's Ctrl-C must not
    # kill its listener before the bench has read the tree of sessions to stop


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _vsftpd_path() -> str | None:
    return shutil.which("vsftpd") or next(
        (p for p in ("/usr/sbin/vsftpd", "/usr/local/sbin/vsftpd") if os.access(p, os.X_OK)), None
    )


def peer_missing(column: str) -> str | None:
    """Why a peer cannot run here (it is then skipped), or None."""
    if column == "pyftpdlib":
        try:
            found = importlib.util.find_spec("pyftpdlib") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return PYFTPDLIB_MISSING
    if column == "vsftpd":
        if _vsftpd_path() is None:
            return VSFTPD_MISSING
        if os.geteuid() != 0:
            return "vsftpd not run: it needs root here (it chroots and becomes the ftp user)"
        try:
            pwd.getpwnam("ftp")
        except KeyError:
            return "vsftpd not run: no 'ftp' user for its anonymous sessions (useradd ftp)"
    return None


def _vsftpd_config(files: Files, port: int) -> Path:
    empty = files.base / "empty"  # secure_chroot_dir: empty, not writable by anyone
    empty.mkdir(mode=0o555, exist_ok=True)
    settings = {
        "listen": "YES",
        "listen_ipv6": "NO",
        "background": "NO",
        "listen_address": "127.0.0.1",
        "listen_port": str(port),
        "anonymous_enable": "YES",
        "anon_root": str(files.root),
        "local_enable": "NO",
        "write_enable": "YES",
        "anon_upload_enable": "YES",
        "max_clients": "0",
        "max_per_ip": "0",
        "use_sendfile": "YES",
        "pasv_enable": "YES",
        "pasv_min_port": "1024",
        "pasv_max_port": "65535",
        "connect_from_port_20": "NO",
        "xferlog_enable": "NO",
        "dirmessage_enable": "NO",
        "secure_chroot_dir": str(empty),
        # Containers: no seccomp filter, no namespace per session (clone(CLONE_NEWNET)
        # per session is slow and often not allowed).
        "seccomp_sandbox": "NO",
        "isolate": "NO",
        "isolate_network": "NO",
        "idle_session_timeout": "600",
    }
    path = files.base / "vsftpd.conf"
    path.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="ascii")
    path.chmod(0o600)  # vsftpd wants its config owned by root, and nobody else writing it
    return path


def _server_command(column: str, files: Files, password_hash: str) -> tuple[list[str], int]:
    """The command line of *column*'s server, and the port it will listen on (0: it says)."""
    if column in OURS:
        return [
            sys.executable, "-m", "rosetta.cli", "serve", "ftp", "--impl", column,
            "--root", str(files.root), "--host", "127.0.0.1", "--port", "0",
            "--max-connections", str(MAX_SESSIONS), "--max-per-address", str(MAX_SESSIONS),
            "--user", f"{WRITE_USER}:{password_hash}", "--write",
        ], 0  # fmt: skip
    if column == "pyftpdlib":
        return [
            sys.executable, "-m", "rosetta.bench.ftp", "--serve-pyftpdlib", str(files.root),
            WRITE_USER, WRITE_PASSWORD,
        ], 0  # fmt: skip
    vsftpd = _vsftpd_path()
    assert vsftpd is not None
    port = _free_port()
    return [vsftpd, str(_vsftpd_config(files, port))], port


def _wait_line(stream: Any, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        ready = selector.select(timeout)
    return stream.readline().decode("utf-8", "replace") if ready else ""


def _wait_port(process: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True  # vsftpd forks a session for it; it ends when we close
        time.sleep(0.05)
    return False


def server_environment() -> dict[str, str]:
    """The servers' environment: they run in the files' directory, so put the tree this
    bench runs from first on ``PYTHONPATH`` (an editable install would point elsewhere)."""
    tree = str(Path(__file__).resolve().parents[2])  # the directory holding rosetta/
    path = os.pathsep.join(filter(None, [tree, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def start_server(column: str, files: Files, password_hash: str, log: Path) -> Server:
    """Start *column*'s server and wait until it listens."""
    cmd, port = _server_command(column, files, password_hash)
    own_group = column == "vsftpd"
    env = server_environment()
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if port == 0 else stderr,
            stderr=stderr,
            cwd=files.base,
            env=env,
            process_group=0 if own_group else None,
        )
    server = Server(column, process, "127.0.0.1", port, own_group)
    try:
        if port == 0:
            assert process.stdout is not None
            line = _wait_line(process.stdout, SERVER_START_TIMEOUT)
            if line.startswith("listening on "):
                host, _, number = line.removeprefix("listening on ").strip().rpartition(":")
                server.host, server.port = host.strip("[]"), int(number)
                return server
            why = f"stdout: {line.strip()!r}" if line else "no 'listening on HOST:PORT'"
        else:
            if _wait_port(process, port, SERVER_START_TIMEOUT):
                return server
            why = "its port never accepted"
    except BaseException:  # Ctrl-C while it starts: it must not outlive us
        stop_server(server)
        raise
    stop_server(server)
    detail = _tail(log.read_text(encoding="utf-8", errors="replace")) or why
    raise RunError(f"the server did not start: {detail}")


def stop_server(server: Server) -> str | None:
    """SIGTERM the server and every process of its tree, then wait; a note if it misbehaved.

    vsftpd's sessions are its children but call ``setsid``: signalling its
    process group would miss them, so the tree is read from ``/proc`` first.
    """
    from rosetta.load.ftp import process_tree

    process = server.process
    others = process_tree(process.pid)[1:] if process.poll() is None else []
    names = {pid: _state(pid)[0] for pid in others}

    def signal_all(signum: signal.Signals) -> None:
        if process.poll() is None:
            process.send_signal(signum)
        for pid in others:
            name, state = _state(pid)
            if state not in (None, "Z") and name == names[pid]:  # not gone, not a reused pid
                with suppress(OSError):
                    os.kill(pid, signum)

    def wait_others(seconds: float) -> list[int]:
        deadline = time.monotonic() + seconds
        while True:
            left = [pid for pid in others if _state(pid)[1] not in (None, "Z")]
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(0.05)

    note = None
    signal_all(signal.SIGTERM)
    try:
        process.communicate(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        signal_all(signal.SIGKILL)
        process.communicate()
        note = f"did not exit within {SERVER_STOP_TIMEOUT:g} s of SIGTERM (killed)"
    else:
        if process.returncode != 0 and not server.own_group:
            note = f"exited with status {process.returncode} after SIGTERM"
    if wait_others(5.0):
        signal_all(signal.SIGKILL)
        if left := wait_others(5.0):
            note = f"{len(left)} of its processes survived SIGKILL: {left[:5]}"
    # Orphaned zombies are reaped by PID 1, lazily: give it time, so none outlive the run.
    deadline = time.monotonic() + 10.0
    while any(_state(pid)[1] is not None for pid in others) and time.monotonic() < deadline:
        time.sleep(0.05)
    return note


def _state(pid: int) -> tuple[str | None, str | None]:
    """*pid*'s command name and state letter from ``/proc/PID/stat``; (None, None) if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None, None
    name = text[text.index("(") + 1 : text.rindex(")")]
    return name, text[text.rindex(")") + 2 :].split()[0]


def _pin_tree(pid: int, core: int) -> None:
    """Pin every thread of *pid* and its descendants to *core* (new ones inherit it)."""
    from rosetta.load.ftp import process_tree

    for process in process_tree(pid):
        try:
            threads = os.listdir(f"/proc/{process}/task")
        except OSError:
            continue
        for tid in threads:
            with suppress(OSError):  # it exited meanwhile
                os.sched_setaffinity(int(tid), {core})


# -- one run ----------------------------------------------------------------------------------


def _client_command(
    server: Server, workload: Workload, deadline: float, core: int | None, tag: str
) -> list[str]:
    anonymous = workload.mode != "stor" or server.column == "vsftpd"
    user, password = (
        ("anonymous", "bench@example.org") if anonymous else (WRITE_USER, WRITE_PASSWORD)
    )
    uploader = "anonymous" if server.column == "vsftpd" else WRITE_USER
    rate = IDLE_CONNECT_RATE if workload.mode == "idle" else 1_000_000.0
    cmd = [
        sys.executable, "-m", "rosetta.load.ftp", "--host", server.host,
        "--port", str(server.port), "--mode", workload.mode,
        "--clients", str(workload.clients), "--user", user, "--password", password,
        "--connect-rate", str(rate), "--concurrency", str(HANDSHAKES_AT_ONCE),
        "--deadline", str(deadline), "--tag", tag, "--repeat", str(workload.repeat),
        "--server-pid", str(server.process.pid),
    ]  # fmt: skip
    if workload.size:
        cmd += ["--path", workload.file, "--size", str(workload.size)]
    if workload.mode == "mixed":
        cmd += [
            "--uploaders", str(workload.uploaders), "--upload-user", uploader,
            "--upload-password", WRITE_PASSWORD, "--upload-dir", "/up",
        ]  # fmt: skip
    if core is not None:
        cmd += ["--cpu", str(core)]
    return cmd


def _cores() -> tuple[int, int] | None:
    usable = sorted(os.sched_getaffinity(0))
    return (usable[0], usable[1]) if len(usable) >= 2 else None


def run_client(cmd: list[str], deadline: float) -> dict[str, Any]:
    timeout = deadline + CLIENT_OVERHEAD
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RunError(f"the client did not finish within {timeout:g} s (killed)") from None
    # Status 1: some sessions failed; the numbers say how many, and that is a result.
    out = done.stdout.decode("utf-8", "replace")
    if done.returncode not in (0, 1) or not out.strip():
        why = _tail(done.stderr.decode("utf-8", "replace") or out)
        raise RunError(f"the client exited {done.returncode}: {why}")
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def record(results: Results, column: str, workload: Workload, data: dict[str, Any]) -> None:
    """Turn one client's JSON into result values."""
    key = workload.key
    put = results.put
    put(column, key, "sessions_ok", data["ok"], "sessions")
    put(column, key, "sessions_failed", data["failed"], "sessions")
    for reason, count in data["failures"].items():
        put(column, key, f"failed: {reason}", count, "sessions")
    if data["server_cpu"] is not None:
        put(column, key, "server_cpu", data["server_cpu"], "s")
    rounds: list[float] = [float(r) for r in data["rounds"] if r > 0]
    if workload.mode == "mixed":
        peak = data["memory_peak"]
        if peak is not None:
            # VmHWM is the kernel's exact peak, of the server process alone; a forking
            # server (vsftpd) is only seen through the sampled sums over its tree.
            rss = max(int(data["hwm_kib"]), int(peak["rss_kib"]))
            put(column, key, "peak_rss", rss / 1024, "MiB")
            put(column, key, "peak_pss", peak["pss_kib"] / 1024, "MiB")
            put(column, key, "threads_peak", data["threads_peak"], "threads")
        put(column, key, "sessions_dropped", data["dropped"], "sessions")
        if rounds:
            put(column, key, "elapsed", rounds[0], "s")
        return
    if rounds and workload.mode != "idle":
        # login: each round; one client: each transfer; many clients: the one round.
        put(column, key, "elapsed", statistics.median(rounds), "s")
        if len(rounds) > 1:
            put(column, key, "elapsed_min", min(rounds), "s")
            put(column, key, "elapsed_max", max(rounds), "s")
            put(column, key, "rounds", len(rounds), "rounds")
    if workload.mode != "login" and data["login_elapsed"] is not None:
        put(column, key, "login_elapsed", data["login_elapsed"], "s")
    if workload.mode in ("retr", "stor") and rounds:
        per_round = workload.size * workload.clients
        put(column, key, "bytes", data["transfer_bytes"], "B")
        put(column, key, "throughput", per_round / statistics.median(rounds) / MB, "MB/s")
    if workload.mode == "idle":
        before, loaded = data["memory_before"], data["memory_loaded"]
        sessions = data["sessions_at_sample"]
        if before and loaded and sessions:
            put(column, key, "server_processes", loaded["processes"], "processes")
            put(column, key, "server_rss_before", before["rss_kib"], "KiB")
            put(column, key, "server_rss_loaded", loaded["rss_kib"], "KiB")
            rss = (loaded["rss_kib"] - before["rss_kib"]) / sessions
            pss = (loaded["pss_kib"] - before["pss_kib"]) / sessions
            put(column, key, "rss_per_session", rss, "KiB")
            put(column, key, "pss_per_session", pss, "KiB")
        put(column, key, "sessions_alive_at_end", data["alive"], "sessions")
        if data["probe_error"] is not None:
            put(column, key, f"probe failed: {data['probe_error']}", 1, "transfers")
        if rounds:
            median = statistics.median(rounds)
            put(column, key, "probe_elapsed", median, "s")
            put(column, key, "probe_throughput", workload.size / median / MB, "MB/s")


def measure(
    column: str,
    workload: Workload,
    files: Files,
    password_hash: str,
    log: Path,
    deadline: float,
    results: Results,
) -> None:
    """One fresh server of *column* under *workload*, its numbers into *results*."""
    server = start_server(column, files, password_hash, log)
    cores = _cores()
    tag = f"{column}-{workload.key}"
    try:
        if server.own_group:  # vsftpd: let the session of its readiness check end first
            from rosetta.load.ftp import process_tree

            settle = time.monotonic() + 2.0
            while len(process_tree(server.process.pid)) > 1 and time.monotonic() < settle:
                time.sleep(0.02)
        if cores is not None:
            _pin_tree(server.process.pid, cores[0])
        cmd = _client_command(server, workload, deadline, cores[1] if cores else None, tag)
        data = run_client(cmd, deadline)
        record(results, column, workload, data)
        if workload.mode == "stor":
            problem = _check_uploads(files, tag, workload, int(data["transfers_ok"]))
            if problem is not None:
                results.errors[column, workload.key] = problem
    finally:
        note = stop_server(server)
        if workload.mode in ("stor", "mixed"):
            _clear_uploads(files)
    if note is not None:
        results.errors.setdefault((column, workload.key), f"server {note}")


# -- all runs ---------------------------------------------------------------------------------


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, so the cleanup of Ctrl-C runs for it too."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure_all(loads: Sequence[Workload], budget: float, console: Console) -> Results:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from common.ftp import hash_password

    results = Results(tuple(loads))
    for column in PEERS:
        why = peer_missing(column)
        if why is not None:
            results.skipped[column] = why
    plan = [(c, w) for c in SERVERS if c not in results.skipped for w in loads]
    expected = {w.key: w.expected * (2.5 if w.mode == "idle" else 1.0) for w in loads}
    total = sum(expected[w.key] for _, w in plan)
    password_hash = hash_password(WRITE_PASSWORD, n=2**14)
    started = time.monotonic()
    files = _make_files(loads)
    broken: dict[str, str] = {}  # column: why its server does not start
    try:
        with (
            _sigterm_as_interrupt(),
            Progress(
                TextColumn("[progress.description]{task.description:<52}"),
                BarColumn(),
                TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
        ):
            bar = progress.add_task("bench ftp", total=total)
            done = 0.0
            for index, (column, workload) in enumerate(plan):
                progress.update(bar, description=f"{column}: {workload.name}")
                left = budget - (time.monotonic() - started)
                guess = expected[workload.key]
                if column in broken:
                    results.errors[column, workload.key] = f"not run: {broken[column]}"
                elif left < CLIENT_OVERHEAD + 10:
                    results.errors[column, workload.key] = "not run: the time budget ran out"
                else:
                    deadline = min(workload.deadline, left - CLIENT_OVERHEAD)

                    def advance(seconds: float, base: float = done, most: float = guess) -> None:
                        progress.update(bar, completed=base + min(seconds, most))

                    log = files.base / f"{index}-{column}-{workload.key}.log"
                    try:
                        with Ticker(advance):
                            measure(column, workload, files, password_hash, log, deadline, results)
                    except RunError as exc:
                        results.errors[column, workload.key] = str(exc)
                        if str(exc).startswith("the server did not start"):
                            broken[column] = str(exc)
                done += guess
                progress.update(bar, completed=done)
    except KeyboardInterrupt:
        results.interrupted = True
    finally:
        shutil.rmtree(files.base, ignore_errors=True)
    return results


# -- verdicts, rows, table, plot --------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    label: str
    passed: bool | None  # None: not measured
    detail: str
    column: str
    workload: str  # the workload's name, or "*"
    metric: str  # the row's metric


def _better_by(mine: float, theirs: float, higher_is_better: bool) -> float | None:
    """How many times better *mine* is (> 1: better); None if a value is not positive."""
    if mine <= 0 or theirs <= 0:
        return None
    return mine / theirs if higher_is_better else theirs / mine


def _fmt_main(value: float, unit: str) -> str:
    return f"{value:,.1f} {unit}" if unit == "MB/s" else f"{value:.3f} {unit}"


def targets(results: Results) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for column in UVLOOP_COLUMNS:
        for workload in results.workloads:
            if workload.key == "mixed":
                continue  # judged by its own target below
            metric, unit, higher = MAIN_METRIC[workload.key]
            label = f"{column} ≥ pyftpdlib: {workload.name} ({unit}, failures)"
            mine = results.get(column, workload.key, metric)
            theirs = results.get("pyftpdlib", workload.key, metric)
            my_failed = results.get(column, workload.key, "sessions_failed")
            their_failed = results.get("pyftpdlib", workload.key, "sessions_failed")
            row = (column, workload.name, "target_ge_pyftpdlib")
            if "pyftpdlib" in results.skipped:
                verdicts.append(Verdict(label, None, results.skipped["pyftpdlib"], *row))
                continue
            if None in (mine, theirs, my_failed, their_failed):
                verdicts.append(Verdict(label, None, "not measured", *row))
                continue
            assert mine is not None
            assert theirs is not None
            assert my_failed is not None
            assert their_failed is not None
            good = mine >= theirs if higher else mine <= theirs
            passed = good and my_failed <= their_failed
            detail = (
                f"{_fmt_main(mine, unit)} vs {_fmt_main(theirs, unit)}, "
                f"{my_failed:,.0f} vs {their_failed:,.0f} failed"
            )
            verdicts.append(Verdict(label, passed, detail, *row))
    retr = results.workload("retr-1")
    for column in UVLOOP_COLUMNS:
        label = f"{column}: {retr.name} ≥ {VSFTPD_RETR_MIN}x vsftpd's MB/s"
        row = (column, retr.name, f"target_ge_{VSFTPD_RETR_MIN}x_vsftpd")
        mine = results.get(column, retr.key, "throughput")
        theirs = results.get("vsftpd", retr.key, "throughput")
        if "vsftpd" in results.skipped:
            verdicts.append(Verdict(label, None, results.skipped["vsftpd"], *row))
        elif mine is None or theirs is None or theirs <= 0:
            verdicts.append(Verdict(label, None, "not measured", *row))
        else:
            ratio = mine / theirs
            detail = f"{mine:,.1f} vs {theirs:,.1f} MB/s = {ratio:.2f}x"
            verdicts.append(Verdict(label, ratio >= VSFTPD_RETR_MIN, detail, *row))
    idle = results.workload("idle")
    for column in OURS:
        label = f"{column}: {idle.clients:,} idle sessions, 0 failures"
        row = (column, idle.name, "target_idle_0_failures")
        ok = results.get(column, idle.key, "sessions_ok")
        failed = results.get(column, idle.key, "sessions_failed")
        if ok is None or failed is None:
            verdicts.append(Verdict(label, None, "not measured", *row))
            continue
        passed = failed == 0 and ok == idle.clients
        verdicts.append(Verdict(label, passed, f"{ok:,.0f} ok, {failed:,.0f} failed", *row))
    mixed = results.workload("mixed")
    theirs = results.get("pyftpdlib", mixed.key, "peak_rss")
    for column in OURS:
        label = f"{column}: {mixed.name}, peak RSS ≤ {MIXED_PEAK_MAX:g}x pyftpdlib's"
        row = (column, mixed.name, f"target_le_{MIXED_PEAK_MAX:g}x_pyftpdlib_peak_rss")
        mine = results.get(column, mixed.key, "peak_rss")
        if "pyftpdlib" in results.skipped:
            verdicts.append(Verdict(label, None, results.skipped["pyftpdlib"], *row))
        elif mine is None or theirs is None or theirs <= 0:
            verdicts.append(Verdict(label, None, "not measured", *row))
        else:
            detail = f"{mine:,.1f} vs {theirs:,.1f} MiB = {mine / theirs:.2f}x"
            verdicts.append(Verdict(label, mine <= MIXED_PEAK_MAX * theirs, detail, *row))
    return verdicts


def ratios(results: Results) -> list[Row]:
    """``ratio_vs_PEER`` on each workload's main number, ``pss_ratio_vs_PEER`` on memory."""
    rows: list[Row] = []
    for workload in results.workloads:
        metric, _, higher = MAIN_METRIC[workload.key]
        for column in SERVERS:
            for peer in PEERS:
                if peer == column:
                    continue
                pairs = [(f"ratio_vs_{peer}", metric, higher)]
                if workload.mode == "idle":
                    pairs.append((f"pss_ratio_vs_{peer}", "pss_per_session", False))
                for name, measured, higher_better in pairs:
                    mine = results.get(column, workload.key, measured)
                    theirs = results.get(peer, workload.key, measured)
                    if mine is None or theirs is None:
                        continue
                    ratio = _better_by(mine, theirs, higher_better)
                    if ratio is not None:
                        rows.append(Row(column, workload.name, name, ratio, "x"))
    return rows


def to_rows(results: Results) -> list[Row]:
    """Every measurement, the ratios and the verdicts, in the one bench schema."""
    rows = [
        Row("*", w.name, name, float(value), unit)
        for w in results.workloads
        for name, value, unit in (
            ("clients", w.clients, "sessions"),
            ("size", w.size, "B"),
            ("repeat", w.repeat, "rounds"),
        )
    ]
    names = {w.key: w.name for w in results.workloads}
    rows += [
        Row(column, names[key], metric, value, results.units.get(metric, ""))
        for (column, key, metric), value in results.values.items()
    ]
    rows += ratios(results)
    rows += [
        Row(v.column, v.workload, v.metric, 1.0 if v.passed else 0.0, "pass")
        for v in targets(results)
        if v.passed is not None
    ]
    return rows


def _cell(
    results: Results,
    column: str,
    workload: Workload,
    metric: str,
    spec: str,
    *,
    failures: bool = True,
) -> str:
    if (column, workload.key) in results.errors and results.get(
        column, workload.key, metric
    ) is None:
        return "[red]error[/]"
    value = results.get(column, workload.key, metric)
    if value is None:
        return "—"
    text = format(value, spec)
    failed = results.get(column, workload.key, "sessions_failed") or 0
    if failures and failed and metric != "sessions_failed":
        text += f" [red]({failed:,.0f} failed)[/]"
    return text


def render(results: Results, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    w = {wl.key: wl for wl in results.workloads}
    idle = w["idle"]
    table = Table(title="bench ftp — loopback, one fresh server per cell, server and client pinned")
    table.add_column("server", no_wrap=True)
    headers = [
        (w["retr-1"], "throughput", ",.0f", f"{w['retr-1'].name}\nMB/s"),
        (w["stor-1"], "throughput", ",.0f", f"{w['stor-1'].name}\nMB/s"),
        (w["login"], "elapsed", ".3f", f"{w['login'].name}\ns"),
        (w["retr-n"], "elapsed", ".3f", f"{w['retr-n'].name}\ns"),
        (w["stor-n"], "elapsed", ".3f", f"{w['stor-n'].name}\ns"),
        (idle, "sessions_failed", ",.0f", f"{idle.clients:,} idle\nfailed"),
        (idle, "rss_per_session", ",.1f", "idle RSS\n/session KiB"),
        (idle, "pss_per_session", ",.1f", "idle PSS\n/session KiB"),
        (idle, "probe_throughput", ",.0f", f"RETR {idle.size // MB} MB\namong idle\nMB/s"),
        (w["mixed"], "peak_rss", ",.1f", f"{w['mixed'].clients} mixed\npeak RSS\nMiB"),
        (w["mixed"], "peak_pss", ",.1f", f"{w['mixed'].clients} mixed\npeak PSS\nMiB"),
    ]
    for *_, header in headers:
        table.add_column(header, justify="right")
    for column in SERVERS:
        if column == PEERS[0]:
            table.add_section()
        if column in results.skipped:
            table.add_row(column, "[yellow]skipped[/]", *["—"] * (len(headers) - 1))
            continue
        table.add_row(column, *(_cell(results, column, wl, m, s) for wl, m, s, _ in headers))
    console.print(table)

    for peer in PEERS:
        if peer in results.skipped:
            continue
        ratio_table = Table(
            title=f"times better than {peer} (> 1: better; MB/s ours/theirs, s and KiB theirs/ours)"
        )
        ratio_table.add_column("server", no_wrap=True)
        for workload in results.workloads:
            ratio_table.add_column(workload.name.replace(" + ", "\n+ "), justify="right")
        ratio_table.add_column("idle PSS\n/session", justify="right")
        for column in OURS:
            cells = []
            for workload in results.workloads:
                metric, _, higher = MAIN_METRIC[workload.key]
                cells.append(_ratio_cell(results, column, peer, workload.key, metric, higher))
            cells.append(_ratio_cell(results, column, peer, "idle", "pss_per_session", False))
            ratio_table.add_row(column, *cells)
        console.print(ratio_table)

    cpu_table = Table(title="server CPU seconds per run (user + system, the whole process tree)")
    cpu_table.add_column("server", no_wrap=True)
    for workload in results.workloads:
        cpu_table.add_column(workload.name.replace(" + ", "\n+ "), justify="right")
    for column in SERVERS:
        if column in results.skipped:
            continue
        cpu_table.add_row(
            column,
            *(
                _cell(results, column, w, "server_cpu", ".2f", failures=False)
                for w in results.workloads
            ),
        )
    console.print(cpu_table)

    console.print("[bold]targets[/]")
    for verdict in targets(results):
        mark = {None: "[dim]n/a [/]", True: "[green]PASS[/]", False: "[red]MISS[/]"}
        console.print(
            f"  {mark[verdict.passed]} {escape(verdict.label)}: {escape(verdict.detail)}",
            highlight=False,
        )
    console.print("[bold]notes[/]")
    console.print(
        f"  one transfer, the logins and the idle probe: the median of {REPEAT}; "
        "each cell: a fresh server (its threads pinned to one core) and a fresh client "
        "process (asyncio on uvloop, pinned to another core); sessions handshake at most "
        f"{HANDSHAKES_AT_ONCE} at a time (vsftpd's listen backlog is 32), idle sessions connect at "
        f"≤ {IDLE_CONNECT_RATE:,.0f}/s; transfers start together once every session is logged in; "
        "files on tmpfs when it has room. Memory per session: (server memory with the sessions "
        "- before) / sessions; RSS = VmRSS (vsftpd: summed over its process tree, which counts "
        "shared pages once per process), PSS = Pss from smaps_rollup summed the same way (the "
        "comparable number for vsftpd). Mixed load: each client on its own, the first "
        f"{w['mixed'].uploaders} (of {w['mixed'].clients}) STOR 1 MiB as the write user, the "
        "others LIST and RETR "
        "1 MiB, every third of them dropping mid-RETR; peak RSS = VmHWM of the server process "
        "(vsftpd: the largest 20 ms sample of its tree's summed VmRSS). "
        "pyftpdlib: DummyAuthorizer (plain-text passwords), backlog = somaxconn, "
        "logging at WARNING; vsftpd: anonymous, anon_upload_enable, isolate=NO, "
        "seccomp_sandbox=NO, use_sendfile=YES.",
        highlight=False,
    )
    for (column, key, metric), value in results.values.items():
        if metric.startswith(("failed: ", "probe failed: ")):
            name = results.workload(key).name
            console.print(
                f"  [red]{value:,.0f} {escape(metric)}[/] — {column}, {name}", highlight=False
            )
    for column, key in results.errors:
        name = results.workload(key).name
        console.print(
            f"  [red]error[/] {column}, {name}: {escape(results.errors[column, key])}",
            highlight=False,
        )
    for column, why in results.skipped.items():
        console.print(f"  [yellow]skipped[/] {column}: {escape(why)}", highlight=False)
    if results.interrupted:
        console.print(
            "  [yellow]interrupted[/]: the runs after that were not made", highlight=False
        )


def _ratio_cell(
    results: Results, column: str, peer: str, key: str, metric: str, higher: bool
) -> str:
    mine = results.get(column, key, metric)
    theirs = results.get(peer, key, metric)
    if mine is None or theirs is None:
        return "—"
    ratio = _better_by(mine, theirs, higher)
    if ratio is None:
        return "—"
    style = "green" if ratio >= 1 else "red"
    return f"[{style}]{ratio:.2f}x[/]"


def plot(results: Results, path: Path) -> None:
    """One panel per measured number, one bar per server."""
    plt = pyplot()

    w = {wl.key: wl for wl in results.workloads}
    panels = [
        ("retr-1", "throughput", f"{w['retr-1'].name} (MB/s, higher is better)"),
        ("stor-1", "throughput", f"{w['stor-1'].name} (MB/s, higher is better)"),
        ("login", "elapsed", f"{w['login'].name} (s, lower is better)"),
        ("retr-n", "elapsed", f"{w['retr-n'].name} (s, lower is better)"),
        ("stor-n", "elapsed", f"{w['stor-n'].name} (s, lower is better)"),
        ("idle", "sessions_failed", f"{w['idle'].clients:,} idle: failed sessions"),
        ("idle", "pss_per_session", "idle: PSS per session (KiB, lower is better)"),
        ("idle", "probe_throughput", "idle: RETR among them (MB/s, higher is better)"),
        # PSS, as for the idle sessions: vsftpd's summed RSS counts shared pages per process.
        ("mixed", "peak_pss", f"{w['mixed'].name}: peak PSS (MiB, lower is better)"),
    ]
    colours = dict.fromkeys(OURS, "tab:blue") | {"pyftpdlib": "tab:orange", "vsftpd": "tab:green"}
    figure, axes = plt.subplots(3, 3, figsize=(15, 12))
    for ax, (key, metric, title) in zip(axes.flat, panels, strict=True):
        values = [results.get(c, key, metric) for c in SERVERS]
        ax.bar(
            range(len(SERVERS)),
            [v or 0.0 for v in values],
            color=[colours[c] for c in SERVERS],
        )
        for x, value in enumerate(values):
            if value is None or value == 0:  # no bar to see: say why
                label = "n/a" if value is None else "0"
                ax.text(x, 0, label, ha="center", va="bottom", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1.0 if metric == "sessions_failed" else 0))
        ax.set_xticks(range(len(SERVERS)), SERVERS, rotation=40, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    figure.suptitle("bench ftp: our six servers (blue), pyftpdlib (orange), vsftpd (green)")
    save_figure(figure, path, dpi=100)


def main(options: BenchOptions) -> int:
    console = report_console(160)
    loads = workloads(options.quick)
    budget = BUDGET_QUICK if options.quick else BUDGET_FULL
    console.print(
        f"bench ftp: {len(SERVERS)} servers x {len(loads)} workloads on {os.cpu_count()} cores"
        f"{' (--quick: a smoke test, not a measurement)' if options.quick else ''}; "
        f"time budget {budget / 60:g} min"
    )
    results = measure_all(loads, budget, progress_console())
    render(results, console)
    finish(options, console, "ftp", to_rows(results), partial(plot, results))
    if results.interrupted:
        return 130
    return 1 if results.errors else 0


# -- the pyftpdlib peer ------------------------------------------------------------------------


def serve_pyftpdlib(root: str, user: str, password: str) -> int:
    """Serve *root* with pyftpdlib until SIGINT/SIGTERM: anonymous reads, *user* writes.

    Prints ``listening on HOST:PORT`` like ``serve ftp``. Status 3 if pyftpdlib
    is missing.
    """
    import logging

    from common.listeners import raise_fd_limit
    from impl_asyncio.servers import listen_backlog

    try:
        authorizers = importlib.import_module("pyftpdlib.authorizers")
        handlers = importlib.import_module("pyftpdlib.handlers")
        servers = importlib.import_module("pyftpdlib.servers")
    except ImportError:
        print(PYFTPDLIB_MISSING, file=sys.stderr)
        return 3
    raise_fd_limit()
    # Configured logging keeps pyftpdlib from logging every command at INFO.
    logger = logging.getLogger("pyftpdlib")
    logger.addHandler(logging.StreamHandler(sys.stderr))
    logger.setLevel(logging.WARNING)
    authorizer = authorizers.DummyAuthorizer()
    authorizer.add_anonymous(root)
    authorizer.add_user(user, password, root, perm="elradfmwMT")
    handler = type(
        "BenchHandler", (handlers.FTPHandler,), {"authorizer": authorizer, "banner": "pyftpdlib"}
    )
    server = servers.FTPServer(("127.0.0.1", 0), handler, backlog=listen_backlog())
    server.max_cons = MAX_SESSIONS + 100  # counts data connections and the listener too
    server.max_cons_per_ip = 0  # unlimited
    host, port = server.socket.getsockname()[:2]

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    print(f"listening on {host}:{port}", flush=True)
    server.serve_forever(handle_exit=True)  # catches KeyboardInterrupt, closes every session
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-pyftpdlib":
        sys.exit(serve_pyftpdlib(*sys.argv[2:]))
    print(
        "usage: python -m rosetta.bench.ftp --serve-pyftpdlib ROOT USER PASSWORD", file=sys.stderr
    )
    sys.exit(2)
