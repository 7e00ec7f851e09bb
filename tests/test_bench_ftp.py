"""``bench ftp`` without running it: its verdicts and rows from given figures, its peers'
skip messages, and its load client against the project's own server (small counts).

The bench itself takes minutes (``async-rosetta bench ftp``); what it decides from its
measurements, and the client it measures with, are checked here in seconds.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from common.ftp import hash_password
from rosetta.bench import ftp as bench_ftp
from rosetta.bench.ftp import OURS, Results, targets, to_rows, workloads

pytestmark = pytest.mark.concept("ftp")


def filled(**overrides: float) -> Results:
    """Results where every server measured the same, except *overrides* (COLUMN__KEY=value
    on each workload's main metric)."""
    results = Results(workloads(quick=False))
    for column in bench_ftp.SERVERS:
        for workload in results.workloads:
            metric, unit, _ = bench_ftp.MAIN_METRIC[workload.key]
            value = overrides.get(f"{column.replace('-', '_')}__{workload.key.replace('-', '_')}")
            results.put(column, workload.key, metric, 1.0 if value is None else value, unit)
            results.put(column, workload.key, "sessions_failed", 0, "sessions")
            results.put(column, workload.key, "sessions_ok", workload.clients, "sessions")
    return results


def verdict(results: Results, start: str) -> bool | None:
    found = [v for v in targets(results) if v.label.startswith(start)]
    assert len(found) == 1, [v.label for v in targets(results)]
    return found[0].passed


def test_a_tie_with_pyftpdlib_passes_and_being_worse_misses() -> None:
    # Seconds: lower is better; MB/s: higher is better.
    results = filled(uvloop__login=2.0, shared_uvloop__retr_1=0.5)
    assert verdict(results, "uvloop ≥ pyftpdlib: 300 x connect") is False
    assert verdict(results, "shared-uvloop ≥ pyftpdlib: 1 x RETR") is False
    assert verdict(results, "uvloop ≥ pyftpdlib: 1 x RETR") is True
    assert verdict(results, "shared-uvloop ≥ pyftpdlib: 300 x connect") is True


def test_more_failures_than_pyftpdlib_miss_even_when_faster() -> None:
    results = filled(uvloop__retr_n=0.1)
    results.put("uvloop", "retr-n", "sessions_failed", 3, "sessions")
    assert verdict(results, "uvloop ≥ pyftpdlib: 300 x RETR") is False


def test_the_vsftpd_ratio_and_the_idle_sessions() -> None:
    results = filled(vsftpd__retr_1=1.5)
    results.put("trio", "idle", "sessions_failed", 1, "sessions")
    assert verdict(results, "uvloop: 1 x RETR 200 MB ≥ 0.7x") is False  # 1 / 1.5 = 0.67
    results = filled(vsftpd__retr_1=1.4)
    assert verdict(results, "uvloop: 1 x RETR 200 MB ≥ 0.7x") is True  # 0.71
    failed = filled()
    failed.put("trio", "idle", "sessions_failed", 1, "sessions")
    assert verdict(failed, "trio: 10,000 idle") is False
    assert verdict(failed, "asyncio: 10,000 idle") is True


def test_memory_under_load_is_judged_against_twice_pyftpdlibs_peak() -> None:
    results = filled(pyftpdlib__mixed=30.0, uvloop__mixed=61.0, trio__mixed=60.0)
    assert verdict(results, "uvloop: 500 mixed clients") is False  # 2.03x
    assert verdict(results, "trio: 500 mixed clients") is True  # 2.0x
    # Not also held to "at least as good as pyftpdlib": its own target judges it.
    assert not [v for v in targets(results) if "≥ pyftpdlib: 500 mixed" in v.label]


def test_the_servers_import_the_tree_the_bench_runs_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An editable install points elsewhere: the servers' PYTHONPATH starts at this tree."""
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    first, *rest = bench_ftp.server_environment()["PYTHONPATH"].split(os.pathsep)
    assert (Path(first) / "rosetta" / "bench" / "ftp.py").samefile(bench_ftp.__file__)
    assert rest == ["/elsewhere"]


@pytest.mark.parametrize(
    ("quick", "said"), [(False, "first 30 (of 500)"), (True, "first 3 (of 50)")]
)
def test_the_notes_describe_the_mixed_load_that_ran(quick: bool, said: str) -> None:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=400)
    bench_ftp.render(Results(workloads(quick=quick)), console)
    assert isinstance(console.file, io.StringIO)
    assert said in console.file.getvalue()


def test_a_skipped_peer_is_said_not_passed() -> None:
    results = filled()
    results.skipped["pyftpdlib"] = bench_ftp.PYFTPDLIB_MISSING
    against = [v for v in targets(results) if "pyftpdlib" in v.label]
    assert against
    assert all(v.passed is None and v.detail == bench_ftp.PYFTPDLIB_MISSING for v in against)


def test_rows_follow_the_one_bench_schema() -> None:
    rows = to_rows(filled(uvloop__login=2.0))
    assert {r.column for r in rows} >= {*OURS, "pyftpdlib", "vsftpd", "*"}
    assert all(isinstance(r.value, float) and r.unit is not None for r in rows)
    ratio = next(
        r
        for r in rows
        if r.column == "uvloop" and r.metric == "ratio_vs_pyftpdlib" and "login" in r.workload
    )
    assert ratio.value == pytest.approx(0.5)  # twice the seconds: half as good
    passes = [r for r in rows if r.unit == "pass"]
    assert {r.value for r in passes} == {0.0, 1.0}


def test_missing_peers_are_named_with_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    monkeypatch.setattr(bench_ftp, "_vsftpd_path", lambda: None)
    assert (
        bench_ftp.peer_missing("pyftpdlib")
        == "pyftpdlib not installed: pip install 'async-rosetta[bench]'"
    )
    assert bench_ftp.peer_missing("vsftpd") == "vsftpd not found: apt-get install vsftpd"
    assert bench_ftp.peer_missing("uvloop") is None


# -- the load client against the real server ---------------------------------------------


@contextmanager
def serving(root: Path) -> Iterator[tuple[int, int]]:
    """``serve ftp --impl uvloop`` over *root* with a write user ``w``/``pw``: (port, pid)."""
    user = f"w:{hash_password('pw', n=2**4)}"
    command = [sys.executable, "-m", "rosetta.cli", "serve", "ftp", "--impl", "uvloop"]
    with subprocess.Popen(
        [*command, "--root", str(root), "--port", "0", "--user", user, "--write"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("listening on "), line
            yield int(line.rsplit(":", 1)[1]), process.pid
        finally:
            process.terminate()
            process.communicate(timeout=10)


def load(port: int, pid: int, *args: str) -> dict[str, object]:
    command = [sys.executable, "-m", "rosetta.load.ftp", "--port", str(port)]
    done = subprocess.run(
        [*command, "--server-pid", str(pid), "--deadline", "20", *args],
        capture_output=True,
        text=True,
        timeout=40,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_load_client_logs_in_downloads_and_uploads(tmp_path: Path) -> None:
    (tmp_path / "one.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    (tmp_path / "up").mkdir()
    with serving(tmp_path) as (port, pid):
        logins = load(port, pid, "--mode", "login", "--clients", "20", "--repeat", "2")
        assert (logins["ok"], logins["failed"]) == (40, 0)
        retr = load(
            port, pid, "--mode", "retr", "--clients", "5", "--path", "one.bin",
            "--size", str(1 << 20),
        )  # fmt: skip
        assert (retr["ok"], retr["failed"], retr["transfer_bytes"]) == (5, 0, 5 << 20)
        stor = load(
            port, pid, "--mode", "stor", "--clients", "3", "--path", "up", "--size", "300000",
            "--user", "w", "--password", "pw", "--tag", "t",
        )  # fmt: skip
        assert (stor["ok"], stor["failed"]) == (3, 0)
    uploads = sorted((tmp_path / "up").iterdir())
    assert len(uploads) == 3
    assert all(p.stat().st_size == 300000 for p in uploads)


def test_the_load_clients_mixed_mode(tmp_path: Path) -> None:
    (tmp_path / "one.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    (tmp_path / "up").mkdir()
    with serving(tmp_path) as (port, pid):
        mixed = load(
            port, pid, "--mode", "mixed", "--clients", "12", "--uploaders", "3",
            "--upload-user", "w", "--upload-password", "pw", "--upload-dir", "up",
            "--path", "one.bin", "--size", str(1 << 20), "--tag", "m",
        )  # fmt: skip
    # 3 upload, 9 download of which every third (3) drops mid-RETR without QUIT.
    assert (mixed["ok"], mixed["failed"], mixed["dropped"]) == (9, 0, 3)
    assert mixed["transfers_ok"] == 9
    peak = mixed["memory_peak"]
    assert isinstance(peak, dict)
    assert isinstance(mixed["hwm_kib"], int)
    assert mixed["hwm_kib"] >= peak["rss_kib"] > 0
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == [f"m-{i}-0.bin" for i in range(3)]
    assert all(p.stat().st_size == 1 << 20 for p in (tmp_path / "up").iterdir())


def test_a_wrong_size_counts_as_a_failure(tmp_path: Path) -> None:
    (tmp_path / "one.bin").write_bytes(bytes(1000))
    with serving(tmp_path) as (port, _):
        command = [sys.executable, "-m", "rosetta.load.ftp", "--port", str(port)]
        done = subprocess.run(
            [*command, "--mode", "retr", "--path", "one.bin", "--size", "999", "--deadline", "20"],
            capture_output=True,
            text=True,
            timeout=40,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["ok"], result["failed"]) == (0, 1)
    assert done.returncode == 1  # some sessions failed: a result, not a crash
