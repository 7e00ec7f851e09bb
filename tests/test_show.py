"""``async-rosetta show``: docstrings read as reStructuredText, code that wraps readably."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest
from rich.console import Console

from rosetta.rst import HangingCode, to_html, to_rich

pytestmark = pytest.mark.concept("cli")

DOC = textwrap.dedent(
    """\
    Uses :class:`~shared.futures.Future` and :func:`anyio.sleep`, ``code`` and `code`.

    * a bullet whose text is long enough to wrap onto a second line in a narrow console
    * two

    ======  ==========================
    name    what
    ======  ==========================
    one     the first of the two rows
    two     the second
    ======  ==========================

    Error handling
    --------------
    Raises :exc:`ValueError`.
    """
)


def render(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


def test_a_docstring_is_rendered_not_printed_raw() -> None:
    lines = render(to_rich(DOC), 44)
    text = "\n".join(lines)
    for raw in (":class:", ":func:", ":exc:", "``", "`code`", "~shared", "====", "----"):
        assert raw not in text
    assert lines[0].startswith("Uses Future and anyio.sleep, code and code.")
    bullet = next(i for i, line in enumerate(lines) if line.startswith("• a bullet"))
    assert lines[bullet + 1].startswith("  ")  # the item's second line stays under its text
    assert any(
        line.split() == ["one", "the", "first", "of", "the", "two", "rows"] for line in lines
    )
    assert "Error handling" in lines
    assert max(len(line) for line in lines) <= 44


def test_a_table_is_laid_out_even_when_narrow() -> None:
    lines = render(to_rich(DOC), 24)
    assert max(len(line) for line in lines) <= 24
    text = " ".join(" ".join(lines).split())
    for word in ("first", "rows", "second"):
        assert word in text  # folded into the width, never cut off


def test_html_comes_from_docutils() -> None:
    html = to_html(DOC, id_prefix="x-")
    assert '<span class="docutils literal">Future</span>' in html
    assert "<table" in html
    assert "<th" in html
    assert '<section id="x-error-handling">' in html
    assert "<h4>Error handling</h4>" in html


def test_wrapped_code_keeps_its_indentation() -> None:
    source = (
        "def f() -> None:\n"
        "    if True:\n"
        "        call(first_argument, second_argument, third_argument, fourth_argument)\n"
        "    return None\n"
    )
    lines = render(HangingCode(source), 40)
    assert lines[:2] == ["def f() -> None:", "    if True:"]
    assert lines[2].startswith("        call(")
    continuation = lines[3 : lines.index("    return None")]
    assert continuation, lines
    for line in continuation:
        assert line.startswith(" " * 12)  # its indentation (8) plus 4
        assert not line[12:].startswith(" ")
    assert max(len(line) for line in lines) <= 40
    joined = "".join(line.strip() for line in lines[2 : 3 + len(continuation)])
    assert joined.replace(" ", "") == source.splitlines()[2].replace(" ", "")


def test_line_numbers_only_on_a_lines_first_row() -> None:
    source = "x = 1\nvalue = some_function_with_a_long_name(argument_one, argument_two)\n"
    lines = render(HangingCode(source, line_numbers=True, start_line=9), 30)
    assert lines[0].startswith(" 9 x = 1")
    assert lines[1].startswith("10 value")
    assert all(line.startswith("   ") for line in lines[2:])


def test_show_renders_the_mapping_table_of_shared_futures() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rosetta.cli", "show", "futures", "--width", "200"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rules = [index for index, line in enumerate(lines) if line.startswith("├")]
    docstrings = "\n".join(lines[rules[0] : rules[1]])  # the row of the module docstrings
    for raw in (":class:", ":exc:", ":func:", ":meth:", "``"):
        assert raw not in docstrings
    # The table's first row: its three cells side by side on one line.
    assert any(
        "result()" in line and "return_value" in line and "a method that" in line
        for line in docstrings.splitlines()
    ), docstrings
    # A top-level definition's docstring is rendered above its code, as on the site.
    assert "class InvalidStateError" in result.stdout
    assert '"""' not in "\n".join(lines[rules[1] : rules[2]])
