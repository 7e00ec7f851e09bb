"""The README's code blocks run, so the README cannot rot.

How blocks are marked: every fenced block names its language.

* ``python``: run by :func:`test_python_block_runs` as a script in a fresh process
  (warnings are errors); a block whose top-level ``async def main()`` exists is also
  run under each runner of :data:`RUNNERS` (a block that imports ``asyncio`` is
  asyncio code, like the Porting walk-through's "before": under the asyncio ones).
  All of them are type-checked with ``mypy --strict``.
* ``text``: the output of the ``python`` block before it, compared exactly (for every
  run of that block).
* ``console``: ``$ async-rosetta ...`` and what it prints: the command runs from the
  checkout and must print exactly the rest of the block.
* ``sh``: commands that install things or take minutes; not run here, so the line
  before the fence must say why: ``<!-- skip: REASON -->``. (``.ci/run`` runs the
  Quick start's two lines in a fresh virtualenv.)

Also here: the library section is current (``rosetta/library.py``), it lists every
public name of ``shared``, and the three packages import and run without the
command line's extra.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import shared
from rosetta import library
from rosetta.site import claims

pytestmark = pytest.mark.concept("library")

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LANGUAGES = ("python", "text", "sh", "console")
PACKAGE_DIRS = ("common", "fromscratch", "impl_asyncio", "impl_trio", "shared", "rosetta", "tests")
_SKIP = re.compile(r"<!-- skip: (\S.*?) -->")

#: How a block's ``main`` is run: each statement runs ``main`` from the block's namespace.
RUNNERS: dict[str, str] = {
    "anyio/asyncio": 'import anyio; anyio.run(main, backend="asyncio")',
    "anyio/trio": 'import anyio; anyio.run(main, backend="trio")',
    "asyncio.run": "import asyncio; asyncio.run(main())",
    "trio.run": "import trio; trio.run(main)",
}


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int  # of the opening fence, 1-based
    skip_reason: str | None
    output: str | None = None  # the text block that follows a python block


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of *text*, each python block with the text block after it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if not lines[index].startswith("```"):
            index += 1
            continue
        language = lines[index][3:].strip()
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        index += 1  # the closing fence
        before = lines[start - 1] if start > 0 else ""
        match = _SKIP.fullmatch(before.strip())
        block = Block(language, "\n".join(body) + "\n", start + 1, match and match.group(1))
        if language == "text" and blocks and blocks[-1].language == "python":
            blocks[-1] = Block(**{**blocks[-1].__dict__, "output": block.code})
        blocks.append(block)
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
PYTHON = [b for b in BLOCKS if b.language == "python"]
CONSOLE = [b for b in BLOCKS if b.language == "console"]


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _run(script: Path, *code: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-W", "error", *(["-c", code[0]] if code else [str(script)])]
    return subprocess.run(
        command,
        cwd=script.parent,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_block_is_marked() -> None:
    assert PYTHON, "the README has no python block"
    for block in BLOCKS:
        assert block.language in LANGUAGES, (
            f"README.md:{block.line}: fence without a language, or an unknown one "
            f"({block.language!r}); use one of {', '.join(LANGUAGES)}"
        )
        if block.language == "sh":
            assert block.skip_reason, (
                f"README.md:{block.line}: a sh block is not run, so the line before it "
                "must say why: <!-- skip: REASON -->"
            )
        else:
            assert block.skip_reason is None, (
                f"README.md:{block.line}: {block.language} blocks are run, not skipped"
            )


def test_the_block_parser() -> None:
    text = (
        "<!-- skip: installs -->\n```sh\npip install x\n```\n\n"
        "```python\nprint(1)\n```\nprints\n```text\n1\n```\n```\nbare\n```\n"
    )
    blocks = readme_blocks(text)
    assert [(b.language, b.skip_reason) for b in blocks] == [
        ("sh", "installs"),
        ("python", None),
        ("text", None),
        ("", None),
    ]
    assert blocks[1].code == "print(1)\n"
    assert blocks[1].output == "1\n"


@pytest.mark.parametrize("block", PYTHON, ids=[f"line {b.line}" for b in PYTHON])
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "block.py"
    script.write_text(block.code, encoding="utf-8")
    runs = {"as a script": _run(script)}
    tree = ast.parse(block.code)
    if any(isinstance(n, ast.AsyncFunctionDef) and n.name == "main" for n in tree.body):
        load = f"import runpy; main = runpy.run_path({str(script)!r}, run_name='block')['main']"
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        for name, runner in RUNNERS.items():
            if "asyncio" in imported and "asyncio" not in name:
                continue  # asyncio code: its main needs an asyncio loop
            runs[name] = _run(script, f"{load}\n{runner}")
    for name, done in runs.items():
        assert done.returncode == 0, f"README.md:{block.line}, {name}:\n{done.stderr}"
        assert done.stderr == "", f"README.md:{block.line}, {name}:\n{done.stderr}"
        if block.output is not None:
            assert done.stdout == block.output, f"README.md:{block.line}, {name}"


def test_there_is_a_console_block() -> None:
    assert CONSOLE, "the README has no console block (the Porting walk-through has one)"


@pytest.mark.parametrize("block", CONSOLE, ids=[f"line {b.line}" for b in CONSOLE])
def test_console_block_prints_what_it_shows(block: Block) -> None:
    command, _, shown = block.code.partition("\n")
    assert command.startswith("$ async-rosetta "), (
        f"README.md:{block.line}: a console block starts with `$ async-rosetta ...`"
    )
    args = shlex.split(command.removeprefix("$ async-rosetta "))
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "rosetta.cli", *args],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"README.md:{block.line}:\n{done.stderr}"
    assert done.stdout == shown, f"README.md:{block.line}"


@pytest.mark.timeout(300)  # mypy, cold, analyses anyio and trio
def test_python_blocks_type_check(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the [test] extra")
    paths = []
    for number, block in enumerate(PYTHON):
        path = tmp_path / f"readme_block_{number}.py"
        path.write_text(block.code, encoding="utf-8")
        paths.append(str(path))
    stdout, stderr, status = api.run(
        ["--strict", "--no-error-summary", f"--cache-dir={ROOT / '.mypy_cache'}", *paths]
    )
    assert status == 0, stdout + stderr


def test_the_library_section_is_current() -> None:
    assert library.readme_is_current(README), (
        "README's library section is stale: run `async-rosetta site --update-readme`"
    )


def test_the_library_section_lists_every_public_name_of_shared() -> None:
    listed = [name for offer in library.OFFERS for name in offer.names]
    assert len(listed) == len(set(listed)), "a name is listed twice"
    names = [name for name in listed if "." not in name]
    assert sorted(names) == sorted(shared.__all__)
    for module in (name for name in listed if "." in name):  # shared.ftp, common.interface
        importlib.import_module(module)


def test_the_packages_run_without_the_cli_extra(tmp_path: Path) -> None:
    """What a library depending on the bare distribution gets: no rich, pygments,
    docutils, matplotlib, uvloop, nor the command line itself (``.ci/run`` also
    installs the bare distribution into a fresh virtualenv)."""
    script = tmp_path / "bare.py"
    script.write_text(library.PROGRAM, encoding="utf-8")
    blocked = ("rich", "pygments", "docutils", "matplotlib", "uvloop", "rosetta")
    modules = (
        "impl_asyncio",
        "impl_trio",
        "shared",
        "shared.ftp",
        "common.interface",
        "common.ftp",
        "common.listify",
        "fromscratch.reactor",
        "fromscratch.io_models",
        "impl_asyncio.ftp",
        "impl_trio.ftp",
    )
    code = (
        "import runpy, sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        f"for name in {modules!r}:\n"
        "    __import__(name)\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
        f"loaded = sorted(n for n in sys.modules if n.split('.')[0] in {blocked!r}"
        " and sys.modules[n] is not None)\n"
        "print('loaded:', loaded)\n"
    )
    done = _run(script, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout == library.OUTPUT + "loaded: []\n"


def test_the_source_text_is_named_one_way() -> None:
    """The README says what the source text is, with the words the site uses; nothing
    calls it by another name ("the seed", "the book says")."""
    readme = README.read_text(encoding="utf-8")
    assert claims.SOURCE_NAME in readme.split("## Quick start")[0]
    others = re.compile(r"\bthe seed\b|\bseed's\b|as (?:the|some) books? says?", re.IGNORECASE)
    files = [README, *(p for d in PACKAGE_DIRS for p in (ROOT / d).rglob("*.py"))]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if others.search(line) and path != Path(__file__)
    ]
    assert found == []
