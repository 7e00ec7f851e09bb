"""``async-rosetta port``, run as a user runs it (a subprocess each)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rosetta.port.index import load_index

pytestmark = pytest.mark.concept("port")

FIXTURES = Path(__file__).with_name("port_fixtures")
GATHER = str(FIXTURES / "gather.py")
FINDING_KEYS = {
    "path",
    "line",
    "col",
    "idiom",
    "concept",
    "severity",
    "asyncio",
    "trio",
    "shared",
    "differences",
    "page",
}


def port(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rosetta.cli", "port", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_text_groups_findings_by_file_and_ends_with_a_summary() -> None:
    result = port(GATHER, str(FIXTURES / "shield.py"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == GATHER
    assert f"  {GATHER}:13:11: breaks gather: gather without return_exceptions" in lines
    assert "    | await asyncio.gather(one(), one())  # port: gather" in lines
    assert any(line.startswith("    Trio:    a nursery + a results list") for line in lines)
    assert any(
        "tests/test_tasks.py::test_gather_failure_and_the_other_awaitables" in x for x in lines
    )
    assert str(FIXTURES / "shield.py") in lines
    assert lines[-1] == "6 findings in 2 of 2 files: 6 breaks (porting to Trio and shared)"


def test_json_is_exactly_the_documented_document() -> None:
    result = port(str(FIXTURES), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"files", "findings"}
    assert document["files"] == len(list(FIXTURES.glob("*.py")))
    assert document["findings"]
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        assert isinstance(finding["line"], int)
        assert isinstance(finding["col"], int)
        assert finding["col"] >= 1
        assert finding["severity"] in {"breaks", "rewrite", "rename"}
        assert isinstance(finding["trio"], str)
        assert isinstance(finding["shared"], str)
        assert all(re.fullmatch(r"tests/\S+\.py::test_\w+", d) for d in finding["differences"])
        assert re.fullmatch(r"[a-z]+\.html(#[\w-]+)?", finding["page"])
    [gather] = [f for f in document["findings"] if f["path"] == GATHER and f["line"] == 13]
    assert gather == {
        "path": GATHER,
        "line": 13,
        "col": 11,
        "idiom": "gather",
        "concept": "tasks",
        "severity": "breaks",
        "asyncio": "await asyncio.gather(one(), one())  # port: gather",
        "trio": "a nursery + a results list",
        "shared": "`gather(*aws, return_exceptions=...)`",
        "differences": [
            "tests/test_tasks.py::test_gather_failure_and_the_other_awaitables",
            "tests/test_tasks.py::test_gather_with_two_simultaneous_failures",
            "tests/test_tasks.py::test_gather_with_a_bad_argument",
        ],
        "page": "tasks.html#name-gather",
    }


def test_to_one_target_shows_that_target_and_judges_by_it() -> None:
    trio = json.loads(port(GATHER, "--to", "trio", "--format", "json").stdout)
    shared = json.loads(port(GATHER, "--to", "shared", "--format", "json").stdout)
    first_trio, first_shared = trio["findings"][0], shared["findings"][0]
    assert first_trio["shared"] is None
    assert first_shared["trio"] is None
    # Trio has no gather at all (a rewrite); shared has one that behaves otherwise.
    assert first_trio["severity"] == "rewrite"
    assert first_shared["severity"] == "breaks"
    text = port(GATHER, "--to", "trio").stdout
    assert "    Trio:" in text
    assert "    shared:" not in text
    assert text.splitlines()[-1].endswith("(porting to Trio)")


def test_each_target_cites_only_the_differences_asserted_for_it() -> None:
    index = load_index()
    for target in ("trio", "shared"):
        report = json.loads(port(str(FIXTURES), "--to", target, "--format", "json").stdout)
        assert report["findings"]
        for finding in report["findings"]:
            for cited in finding["differences"]:
                name = cited.rpartition("::")[2]
                assert target in index.differences[name].targets, (finding["idiom"], cited)


def test_html_is_a_page_in_the_sites_style(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = port(GATHER, "--format", "html", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"written to {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "--asyncio: #1d4ed8" in page  # the site's stylesheet, inlined
    assert 'class="cell pkg-impl_asyncio"' in page
    assert 'class="cell pkg-impl_trio"' in page
    assert 'class="cell pkg-shared"' in page
    assert 'href="tasks.html#name-gather"' in page
    assert 'href="tasks.html#differs-test_gather_with_a_bad_argument"' in page
    assert "4 findings in 1 of 1 file: 4 breaks" in page


def test_a_missing_path_exits_2_naming_it_before_any_work(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    result = port(GATHER, str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert "no such file or directory" in result.stderr
    assert result.stdout == ""


def test_no_path_exits_2() -> None:
    result = port()
    assert result.returncode == 2
    assert "PATH" in result.stderr


def test_an_unknown_format_or_target_exits_2_listing_the_choices() -> None:
    result = port(GATHER, "--format", "yaml")
    assert result.returncode == 2
    assert "text" in result.stderr
    assert "json" in result.stderr
    result = port(GATHER, "--to", "curio")
    assert result.returncode == 2
    assert "both" in result.stderr


@pytest.mark.parametrize("where", ["missing-dir/out.json", "a-directory"])
def test_a_bad_output_is_refused_before_any_work(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-directory").mkdir()
    out = tmp_path / where
    result = port(GATHER, "--format", "json", "--output", str(out))
    assert result.returncode == 2
    assert "--output" in result.stderr
    assert str(out) in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "missing-dir").exists()


def test_a_file_that_does_not_parse_is_named_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import asyncio\n\ndef f(:\n    pass\n", encoding="utf-8")
    (tmp_path / "good.py").write_text("import asyncio\nasyncio.run(main())\n", encoding="utf-8")
    result = port(str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'bad.py'}:3:" in result.stderr
    assert "syntax error" in result.stderr
    assert f"{tmp_path / 'good.py'}:2:1: rename run: asyncio.run" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("; 1 file could not be scanned")


def test_trio_native_code_gives_no_findings() -> None:
    # The scanner's own fixture of lookalikes with no asyncio import.
    result = port(str(FIXTURES / "call_soon_trio_native.py"), "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"files": 1, "findings": []}
    text = port(str(FIXTURES / "call_soon_trio_native.py")).stdout
    assert text == "no asyncio idioms found in 1 file (porting to Trio and shared)\n"
