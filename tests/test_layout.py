"""What may import what: the layout the README's "How the code is laid out" describes.

A column stands alone (``impl_asyncio``: the standard library; ``impl_trio``: Trio
and ``outcome``; ``shared``: AnyIO), and each may use the loop-free ``common``
package, which imports no event loop library. ``fromscratch`` is the standard
library's I/O alone. No library package imports ``rosetta``, the command line.
These tests read every import statement, and import the columns in a fresh
interpreter to see what they really load.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from rosetta import cli
from rosetta.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
STDLIB = frozenset(sys.stdlib_module_names)
PROJECT = ("common", "fromscratch", "impl_asyncio", "impl_trio", "shared", "rosetta")
EVENT_LOOP_LIBRARIES = frozenset({"asyncio", "trio", "anyio", "uvloop", "sniffio", "outcome"})

# Per library package: the top-level modules outside the standard library it may import.
ALLOWED: dict[str, frozenset[str]] = {
    "common": frozenset({"common"}),
    "fromscratch": frozenset({"common", "fromscratch"}),
    "impl_asyncio": frozenset({"common", "impl_asyncio"}),
    "impl_trio": frozenset({"common", "impl_trio", "trio", "outcome"}),
    "shared": frozenset({"common", "shared", "anyio"}),
}
# Standard-library modules a package may not import even so.
FORBIDDEN_STDLIB: dict[str, frozenset[str]] = {
    "common": frozenset({"asyncio"}),
    "fromscratch": frozenset({"asyncio"}),
    "impl_trio": frozenset({"asyncio"}),
    "shared": frozenset({"asyncio"}),
}


def _imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """``(line, top-level module)`` for every import in *path*, relative ones resolved."""
    package = path.relative_to(root).parts[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, package))
            elif node.module is not None:
                found.append((node.lineno, node.module.split(".")[0]))
    return found


def _violations(package: str) -> list[str]:
    allowed = ALLOWED[package]
    forbidden = FORBIDDEN_STDLIB.get(package, frozenset())
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            if module == "__future__":
                continue
            ok = module in allowed or (module in STDLIB and module not in forbidden)
            if not ok:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_library_package_imports_only_what_its_layer_allows(package: str) -> None:
    assert _violations(package) == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The scanner itself: a column importing another column is reported."""
    sample = tmp_path / "impl_asyncio" / "bad.py"
    sample.parent.mkdir()
    sample.write_text("import shared\nfrom trio import sleep\nfrom . import tasks\n")
    found = [module for _, module in _imports(sample, tmp_path)]
    assert found == ["shared", "trio", "impl_asyncio"]


def test_the_ftp_core_imports_no_socket() -> None:
    """h11's rule: the sans-I/O core does no I/O, so it does not even import socket."""
    for path in sorted((ROOT / "common" / "ftp").glob("*.py")):
        modules = {module for _, module in _imports(path)}
        assert not modules & {"socket", "select", "selectors", "ssl"}, path.name


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("import impl_asyncio", {"anyio", "trio", "shared", "impl_trio", "rosetta"}),
        ("import impl_asyncio.ftp", {"anyio", "trio", "shared", "impl_trio", "rosetta"}),
        ("import impl_trio", {"anyio", "shared", "impl_asyncio", "rosetta"}),
        ("import impl_trio.ftp", {"anyio", "shared", "impl_asyncio", "rosetta"}),
        ("import shared", {"impl_asyncio", "impl_trio", "rosetta"}),
        (
            "import common.ftp, common.ftp_support, common.interface, common.listeners, "
            "common.timerbase, common.ftp_shell, common.checks, common.listify, "
            "fromscratch.io_models",
            EVENT_LOOP_LIBRARIES | {"impl_asyncio", "impl_trio", "shared", "rosetta"},
        ),
    ],
    ids=["impl_asyncio", "impl_asyncio.ftp", "impl_trio", "impl_trio.ftp", "shared", "common"],
)
def test_a_fresh_interpreter_loads_only_what_a_package_needs(
    statement: str, absent: set[str]
) -> None:
    assert _loaded_after(statement) & absent == set()


def test_the_fresh_interpreter_check_sees_what_is_loaded() -> None:
    assert {"anyio", "shared"} <= _loaded_after("import shared")


def test_the_top_level_help_loads_no_event_loop_library() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from rosetta import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert "rosetta.cli" in loaded
    assert loaded & (EVENT_LOOP_LIBRARIES | {"rich", "pygments", "matplotlib"}) == set()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_registers_the_help_the_top_level_lists(command: str) -> None:
    def summaries(parser: argparse.ArgumentParser) -> dict[str, str | None]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {action.dest: action.help for action in sub._choices_actions}

    assert summaries(cli.build_parser(command)) == summaries(cli.build_parser())
