"""``async-rosetta load``, run as a user runs it, against a tiny echo server of the test's own.

The server here is a stand-in (stdlib asyncio, a dozen lines) that keeps the
same contract as ``async-rosetta serve echo``: one ``listening on HOST:PORT``
line on stdout when ready, then serve until terminated. Its ``close`` mode
accepts and at once closes every connection; its ``silent`` mode reads and never
answers. Sizes are small (≤ 20
connections, runs of half a second) and every wait has a timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rosetta.load.echo import FD_MARGIN, check_fd_limit, loopback_address

pytestmark = pytest.mark.concept("load")

SERVER = """
import asyncio, sys

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        if sys.argv[1] == "close":
            transport.close()

    def data_received(self, data):
        if sys.argv[1] == "echo":
            self.transport.write(data)

async def main():
    server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", 0)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.sleep(60)  # a bound, should the test forget to stop it

asyncio.run(main())
"""

STARTUP_TIMEOUT = 10.0
RUN_TIMEOUT = 30.0  # load runs here take about a second; generous for a loaded machine


@dataclass(frozen=True)
class Server:
    pid: int
    port: int


@contextlib.contextmanager
def serving(mode: str, command: list[str] | None = None) -> Iterator[Server]:
    with subprocess.Popen(
        command or [sys.executable, "-c", SERVER, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                assert selector.select(STARTUP_TIMEOUT), "the echo server did not start"
            line = process.stdout.readline()
            assert line.startswith("listening on "), line
            port = int(line.rsplit(":", 1)[1])
            yield Server(process.pid, port)
        finally:
            process.terminate()
            process.wait(timeout=STARTUP_TIMEOUT)


@pytest.fixture
def echo_server() -> Iterator[Server]:
    with serving("echo") as server:
        yield server


@pytest.fixture
def closing_server() -> Iterator[Server]:
    with serving("close") as server:
        yield server


@pytest.fixture
def silent_server() -> Iterator[Server]:
    with serving("silent") as server:
        yield server


def run_load(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rosetta.cli", "load", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def metrics(path: Path) -> dict[str, float]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["bench"] == "load"
    assert {"cpu", "cores", "python", "packages"} <= set(document["machine"])
    rows = document["rows"]
    for row in rows:
        assert set(row) == {"column", "workload", "metric", "value", "unit"}
        assert isinstance(row["value"], float)
    return {row["metric"]: row["value"] for row in rows}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_every_connection_ok_and_the_rows_in_the_bench_schema(
    echo_server: Server, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    fds = open_fds()
    result = run_load(
        "--port", str(echo_server.port), "--connections", "20", "--duration", "0.5",
        "--size", "64", "--server-pid", str(echo_server.pid), "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert open_fds() == fds
    found = metrics(out)
    assert found["connections_ok"] == 20
    assert found["connections_failed"] == 0
    assert found["requests"] > 0
    assert found["requests_per_s"] > 0
    assert 0 < found["latency_p50"] <= found["latency_p99"] <= found["latency_max"]
    assert found["ttfr_p99"] > 0
    assert found["server_cpu_per_100k_requests"] >= 0
    assert "server_rss_per_connection" in found
    assert "20 / 20" in result.stdout


def test_a_short_load_against_the_projects_own_server(tmp_path: Path) -> None:
    """The real ``serve echo`` (asyncio column): every connection ok, and it exits on SIGTERM."""
    command = [sys.executable, "-m", "rosetta.cli", "serve", "echo", "--impl", "asyncio"]
    out = tmp_path / "load.json"
    with serving("echo", [*command, "--port", "0"]) as server:
        result = run_load(
            "--port", str(server.port), "--connections", "20", "--duration", "0.5",
            "--size", "1024", "--server-pid", str(server.pid), "--json", str(out),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    found = metrics(out)
    assert found["connections_ok"] == 20
    assert found["requests"] > 0


def test_a_connect_rate_spreads_the_connects(echo_server: Server, tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    result = run_load(
        "--port", str(echo_server.port), "--connections", "10", "--duration", "0.3",
        "--size", "1024", "--connect-rate", "50", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = metrics(out)
    assert found["connections_ok"] == 10
    assert found["connect_time"] >= 9 / 50 * 0.9  # the last connect starts 9/R s in


@pytest.mark.parametrize("host", ["192.0.2.1", "0.0.0.0", "::"])
def test_a_host_that_is_not_loopback_is_refused(host: str) -> None:
    result = run_load("--host", host, "--port", "9", "--connections", "1", "--duration", "1")
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert host in result.stderr


def test_loopback_names_and_addresses_are_accepted() -> None:
    assert loopback_address("127.0.0.1") == "127.0.0.1"
    assert loopback_address("::1") == "::1"
    assert loopback_address("localhost") in {"127.0.0.1", "::1"}
    with pytest.raises(ValueError, match="not a loopback"):
        loopback_address("10.1.2.3")


def test_more_connections_than_the_fd_limit_allows_exit_2_with_the_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # the child raises its soft to this
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no finite open-file limit to exceed")
    too_many = hard - FD_MARGIN + 1
    result = run_load("--port", "9", "--connections", str(too_many), "--duration", "1")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert "RLIMIT_NOFILE" in message
    assert f"{hard:,}" in message
    assert "ulimit -n" in message


def test_the_fd_limit_check_counts_a_margin_for_the_process() -> None:
    assert check_fd_limit(1000 - FD_MARGIN, 1000) is None
    message = check_fd_limit(1000 - FD_MARGIN + 1, 1000)
    assert message is not None
    assert "1,000" in message
    assert check_fd_limit(10**9, resource.RLIM_INFINITY) is None


def test_a_server_that_closes_connections_counts_them_failed(
    closing_server: Server, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    result = run_load(
        "--port", str(closing_server.port), "--connections", "10", "--duration", "0.5",
        "--size", "64", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    found = metrics(out)
    assert found["connections_ok"] == 0
    assert found["connections_failed"] == 10
    assert found["elapsed"] < 5  # not a hang until the hard deadline
    assert sum(v for m, v in found.items() if m.startswith("failed: ")) == 10  # with why
    assert "closed by the server" in result.stdout or "reset" in result.stdout


def test_a_server_that_never_answers_counts_failed_after_the_grace(
    silent_server: Server, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    started = time.monotonic()
    result = run_load(
        "--port", str(silent_server.port), "--connections", "10", "--duration", "0.3",
        "--grace", "0.3", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 10  # interpreter start included; the run is 0.6 s
    found = metrics(out)
    assert found["connections_ok"] == 0
    assert found["connections_failed"] == 10
    assert "no reply before the end" in result.stdout


def test_c10k_verdicts_and_rows_from_measurements() -> None:
    from rosetta.bench import BENCHES
    from rosetta.bench import c10k as bench_c10k

    assert "c10k" in BENCHES
    small, large = bench_c10k.workloads(quick=True)
    results = bench_c10k.Results((small, large))
    for column in (*bench_c10k.OURS, *bench_c10k.ANCHORS):
        for metric, value in (
            ("connections_ok", large.connections),
            ("connections_failed", 0),
            ("ttfr_p99", 50.0),
            ("server_rss_per_connection", 4.0),
        ):
            results.values[column, large.name, metric] = float(value)
    results.values["trio", large.name, "connections_failed"] = 1.0
    results.values["uvloop", large.name, "ttfr_p99"] = 1500.0
    results.values[bench_c10k.UVLOOP_ANCHOR, small.name, "server_cpu_per_100k_requests"] = 1.0
    results.values["shared-uvloop", small.name, "server_cpu_per_100k_requests"] = 1.1

    verdicts = bench_c10k.targets(results)
    served = {v.label.split(":")[0]: v.passed for v in verdicts if "served" in v.label}
    assert served["asyncio"] is True
    assert served["trio"] is False  # one failed connection
    assert served["uvloop"] is False  # TTFR p99 above 1 s
    (cpu,) = [v for v in verdicts if "CPU per request" in v.label]
    assert cpu.passed is True
    assert cpu.detail == "0.91x"

    rows = bench_c10k.to_rows(results)
    assert all(isinstance(row.value, float) for row in rows)
    (ratio,) = [r for r in rows if r.column == "shared-uvloop" and r.metric.startswith("cpu_eff")]
    assert ratio.value == pytest.approx(1 / 1.1)
    assert ratio.unit == "x"
