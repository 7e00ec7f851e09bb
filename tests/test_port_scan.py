"""``port``'s scanner: one fixture per idiom (tests/port_fixtures), aliases, files and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rosetta.port.idioms import IDIOMS
from rosetta.port.scan import Hit, iter_python_files, scan_file, scan_source

pytestmark = pytest.mark.concept("port")

FIXTURES = Path(__file__).with_name("port_fixtures")
_MARK = re.compile(r"#\s*port:\s*([a-z\- ]+?)\s*$")


def expected_marks(path: Path) -> set[tuple[int, str]]:
    """(line, idiom) for every ``# port: IDIOM ...`` comment in *path*."""
    marks: set[tuple[int, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        found = _MARK.search(line)
        if found:
            marks.update((number, idiom) for idiom in found.group(1).split())
    return marks


def found_marks(path: Path) -> set[tuple[int, str]]:
    scanned = scan_file(str(path))
    assert scanned.error is None, scanned.error
    return {(hit.line, hit.idiom) for hit in scanned.hits}


FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=[p.stem for p in FIXTURE_FILES])
def test_fixture_findings_are_exactly_the_marked_lines(fixture: Path) -> None:
    expected = expected_marks(fixture)
    found = found_marks(fixture)
    assert found - expected == set(), f"{fixture.name}: findings on unmarked lines"
    assert expected - found == set(), f"{fixture.name}: marked lines with no finding"


def test_every_idiom_has_a_fixture_of_its_own_that_finds_it() -> None:
    for idiom in IDIOMS:
        own = FIXTURES / f"{idiom.id.replace('-', '_')}.py"
        assert own.is_file(), f"no fixture for {idiom.id}"
        assert idiom.id in {i for _, i in expected_marks(own)}, f"{own.name} marks no {idiom.id}"


def test_marks_are_idioms_of_the_catalogue() -> None:
    known = {idiom.id for idiom in IDIOMS}
    for fixture in FIXTURE_FILES:
        assert {i for _, i in expected_marks(fixture)} <= known, fixture.name


def hits(source: str, module: str = "", filename: str = "<string>") -> list[tuple[int, str]]:
    return [(h.line, h.idiom) for h in scan_source(source, module=module, filename=filename)]


def test_names_count_only_when_the_imports_say_asyncio() -> None:
    source = (
        "from trio import Event, Lock\n"
        "from anyio import create_task_group as gather\n"
        "def f():\n"
        "    Event(); Lock(); gather()\n"
    )
    assert hits(source) == []
    assert hits(source.replace("from trio", "from asyncio")) == [(4, "event"), (4, "lock")]


def test_an_alias_of_asyncio_and_of_its_submodules() -> None:
    source = (
        "import asyncio.tasks as t\n"
        "from asyncio import events as ev\n"
        "async def f(x):\n"
        "    await t.gather(x)\n"
        "    ev.get_event_loop()\n"
    )
    assert hits(source) == [(4, "gather"), (5, "get-event-loop")]


def test_inside_the_asyncio_package_relative_imports_and_own_names_count() -> None:
    source = (
        "from . import events\n"
        "from .tasks import sleep\n"
        "def gather(*aws): ...\n"
        "async def f(x):\n"
        "    events.get_running_loop()\n"
        "    await gather(x)\n"
        "    while True:\n"
        "        x()\n"
        "        await sleep(1)\n"
    )
    assert hits(source, module="asyncio.queues") == [
        (5, "get-event-loop"),
        (6, "gather"),
        (7, "sleep-loop"),
    ]
    # The same text in a package of another name is nobody's asyncio.
    assert hits(source, module="mypkg.queues") == []


def test_columns_are_one_based_characters_and_point_at_the_method() -> None:
    source = "import asyncio\ndef f(loop):\n    s = 'é€'; loop.call_soon(print)\n"
    [hit] = scan_source(source)
    assert hit == Hit(3, 20, "call-soon", "s = 'é€'; loop.call_soon(print)")
    line = source.splitlines()[2]
    assert line[hit.col - 1 :].startswith("call_soon")


def test_a_periodic_loop_shows_its_header_and_its_sleep() -> None:
    source = (
        "import asyncio\n"
        "async def f(w):\n"
        "    while True:\n"
        "        w()\n"
        "        await asyncio.sleep(2)\n"
    )
    [hit] = scan_source(source)
    assert hit.code == "while True:\n    ...\n    await asyncio.sleep(2)"


def test_a_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import asyncio\n\ndef f(:\n    pass\n", encoding="utf-8")
    scanned = scan_file(str(bad))
    assert scanned.hits == ()
    assert scanned.error is not None
    assert scanned.error.line == 3
    assert str(scanned.error).startswith(f"{bad}:3:")
    assert "syntax error" in str(scanned.error)


def test_undecodable_and_nul_files_are_errors_not_crashes(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: utf-8 -*-\nx = '\xff'\n")
    nul = tmp_path / "nul.py"
    nul.write_bytes(b"x = 1\0\n")
    for path in (latin, nul):
        scanned = scan_file(str(path))
        assert scanned.error is not None, path
        assert str(path) in str(scanned.error)


def test_a_coding_cookie_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nimport asyncio\ns = '\xe9'; asyncio.run(x())\n")
    scanned = scan_file(str(path))
    assert scanned.error is None
    assert [(h.line, h.col, h.idiom) for h in scanned.hits] == [(3, 10, "run")]


def test_a_directory_walk_skips_git_venvs_and_caches(tmp_path: Path) -> None:
    for relative in (
        "pkg/a.py",
        "pkg/sub/b.py",
        "pkg/notes.txt",
        ".git/hooks/c.py",
        "venv/lib/d.py",
        "env2/e.py",
        "pkg/__pycache__/f.py",
        "node_modules/g.py",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "venv/pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    (tmp_path / "env2/conda-meta").mkdir()
    found = [Path(p).relative_to(tmp_path).as_posix() for p in iter_python_files([str(tmp_path)])]
    assert found == ["pkg/a.py", "pkg/sub/b.py"]


def test_a_file_named_twice_is_scanned_once(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    assert list(iter_python_files([str(path), str(tmp_path), str(path)])) == [str(path)]


def test_of_two_imports_of_one_name_asyncios_wins_in_either_order() -> None:
    first = "from siosocks.io.asyncio import open_connection"
    second = "from asyncio import open_connection"
    template = (
        "try:\n    {}\nexcept ImportError:\n    {}\n"
        "async def f():\n    await open_connection('localhost', 21)\n"
    )
    assert hits(template.format(first, second)) == [(6, "open-connection")]
    assert hits(template.format(second, first)) == [(6, "open-connection")]
