"""The ``async-rosetta`` command line, run as a user runs it (a subprocess each)."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rosetta import cli
from rosetta.columns import column_names

pytestmark = pytest.mark.concept("cli")

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "rosetta.cli"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rosetta.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli_without(
    modules: tuple[str, ...], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The command line in a Python where *modules* cannot be imported (``sys.modules[name]
    = None`` makes ``import`` raise and ``find_spec`` answer None, as if not installed)."""
    code = (
        "import runpy, sys\n"
        f"for name in {modules!r}:\n"
        "    sys.modules[name] = None\n"
        f"sys.argv = ['async-rosetta', *{args!r}]\n"
        "runpy.run_module('rosetta.cli', run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("command", [["tour"], ["show", "futures"], ["site", "out"], ["--help"]])
def test_without_the_cli_extra_every_command_names_it(command: list[str]) -> None:
    result = run_cli_without(("rich", "matplotlib"), *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "rich, matplotlib" in result.stderr
    assert "pip install 'async-rosetta[cli]'" in result.stderr
    assert result.stdout == ""


def test_without_uvloop_serve_uvloop_names_the_extra() -> None:
    result = run_cli_without(("uvloop",), "serve", "echo", "--impl", "uvloop", "--port", "0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "needs uvloop" in result.stderr
    assert "[cli]" in result.stderr


def test_version_needs_no_extra() -> None:
    result = run_cli_without(("rich", "pygments", "docutils", "matplotlib"), "--version")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"async-rosetta \S+\n", result.stdout)
    assert run_cli("--version").stdout == result.stdout


def test_show_unknown_concept_exits_2_and_lists_the_concepts() -> None:
    result = run_cli("show", "nosuchconcept")
    assert result.returncode == 2
    assert "nosuchconcept" in result.stderr
    for concept in ("futures", "tasks", "executors"):
        assert concept in result.stderr


@pytest.mark.parametrize("concept", ["futures", "tasks", "executors"])
def test_show_prints_the_three_implementations_aligned(concept: str) -> None:
    result = run_cli("show", concept, "--width", "200")
    assert result.returncode == 0, result.stderr
    for package in ("impl_asyncio", "impl_trio", "shared"):
        assert f"{package}/{concept}.py" in result.stdout


@pytest.mark.timeout(180)
def test_tour_runs_every_column_and_marks_no_unexpected_difference() -> None:
    result = run_cli("tour", "--width", "240")
    assert result.returncode == 0, result.stderr
    for name in column_names():
        assert name in result.stdout
    assert "every difference is one the scenarios expect" in result.stdout
    assert result.stderr == ""


def test_tour_prints_its_legend_before_the_first_table() -> None:
    result = run_cli("tour", "--concept", "futures", "--width", "200")
    assert result.returncode == 0, result.stderr
    legend = result.stdout.index("differs from asyncio, as the scenario explains")
    first_table = result.stdout.index("┌")
    assert legend < first_table


def test_bench_unknown_name_exits_2() -> None:
    result = run_cli("bench", "nosuchbench")
    assert result.returncode == 2
    assert "futures" in result.stderr


@pytest.mark.timeout(300)  # a real (if --quick) benchmark run: 20 s here, more on a busy machine
def test_bench_futures_writes_the_one_bench_schema(tmp_path: Path) -> None:
    out = tmp_path / "futures.json"
    result = run_cli("bench", "futures", "--quick", "--json", str(out), timeout=240)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert set(data) == {"bench", "machine", "rows", "quick"}
    assert data["bench"] == "futures"
    assert data["quick"] is True
    counts = {row["workload"]: row["value"] for row in data["rows"] if row["column"] == "*"}
    assert counts["wakeup"] == 5_000  # a tenth of the full run's 50,000
    assert data["machine"]["cores"] >= 1
    rows = [row for row in data["rows"] if row["column"] != "*"]
    assert {tuple(sorted(row)) for row in data["rows"]} == {
        ("column", "metric", "unit", "value", "workload")
    }
    measured = {(row["column"], row["workload"]) for row in rows if row["metric"] == "time_per_op"}
    for name in column_names():
        for workload in ("wakeup", "resolved", "spawn", "executor"):
            assert (name, workload) in measured
    assert all(row["value"] > 0 for row in rows if row["metric"] == "time_per_op")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "timers", "--json", "/nonexistent/t.json"], "directory /nonexistent does not"),
        (["bench", "c10k", "--plot", "/nonexistent/t.png"], "directory /nonexistent does not"),
        (["bench", "io-models", "--plot", "plot.svg"], "must end in .png"),
        (["bench", "ftp", "--json", "."], "is a directory"),
        (["bench", "futures", "--plot", "x.png"], "bench futures draws no plot"),
        (["load", "--port", "1", "--json", "/nonexistent/l.json"], "directory /nonexistent does"),
    ],
)
def test_bad_output_paths_are_refused_before_any_work(
    args: list[str], message: str, tmp_path: Path
) -> None:
    """A bench runs for minutes; a path it cannot write is refused first, not after."""
    result = subprocess.run(
        [sys.executable, "-m", "rosetta.cli", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stderr.split())  # rich may wrap the line
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # no table: nothing was measured
    assert not Path("/nonexistent").exists()
    assert list(tmp_path.iterdir()) == []  # not even bench-out/


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _subparsers(sub)


def _every_parser() -> Iterator[argparse.ArgumentParser]:
    """The top-level parser and every command's, each with its own arguments (the
    parser registers only the command being run; the others are names and help)."""
    yield from _subparsers(cli.build_parser())
    for command in cli.COMMANDS:
        top = cli.build_parser(command)
        for action in top._actions:
            if isinstance(action, argparse._SubParsersAction):
                yield from _subparsers(action.choices[command])


def test_every_option_says_its_default_or_that_it_is_required() -> None:
    undocumented = [
        f"{parser.prog} {'/'.join(action.option_strings)}"
        for parser in _every_parser()
        for action in parser._actions
        if action.option_strings
        and action.nargs != 0  # a flag: off unless given
        and not action.required
        and "default" not in (action.help or "")
        and "(required)" not in (action.help or "")
    ]
    assert undocumented == []


def test_required_options_are_shown_as_required_in_the_usage() -> None:
    usage = run_cli("serve", "ftp", "--help").stdout
    assert "serve ftp --impl IMPL --root DIR [options]" in usage  # unless --hash-password
    assert "[--impl" not in usage
    assert "[--root" not in usage
    parsers = list(_every_parser())
    assert {"async-rosetta serve ftp", "async-rosetta load"} <= {p.prog for p in parsers}
    for parser in parsers:
        usage = parser.format_usage()
        for action in parser._actions:
            required = action.required or "(required)" in (action.help or "")
            if required and action.option_strings:
                flag = action.option_strings[-1]
                assert flag in usage, (parser.prog, flag)
                assert f"[{flag}" not in usage, (parser.prog, usage)


@pytest.mark.parametrize(("command", "width"), [("tour", "0"), ("show", "-5"), ("tour", "x")])
def test_a_useless_width_is_refused(command: str, width: str) -> None:
    result = run_cli(command, "--width", width)
    assert result.returncode == 2
    assert "--width" in result.stderr
    assert ">= 40" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("impl", ["asyncio", "trio", "shared-asyncio", "reactor-epoll"])
def test_serve_names_the_host_it_cannot_bind(impl: str) -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    result = run_cli("serve", "echo", "--impl", impl, "--host", "192.0.2.1", "--port", "0")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot listen on 192.0.2.1:0: "), result.stderr
    assert "Errno" not in result.stderr


@pytest.mark.parametrize("impl", ["asyncio", "trio", "shared-trio", "reactor-epoll"])
def test_an_ipv6_address_is_printed_in_brackets(impl: str) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with subprocess.Popen(
        [*COMMAND, "serve", "echo", "--impl", impl, "--host", "::1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert re.fullmatch(r"listening on \[::1\]:[1-9][0-9]*\n", line), line
            port = int(line.rsplit(":", 1)[1])
            with socket.create_connection(("::1", port), timeout=10) as client:
                client.sendall(b"ping")
                assert client.recv(4) == b"ping"
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=15)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()
    assert server.returncode == 0
