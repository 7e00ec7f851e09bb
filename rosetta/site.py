"""``async-rosetta site OUTDIR``: the concepts as static HTML, read from the code at build time.

Pages (all relative links, no JavaScript, nothing fetched from elsewhere, so the
site works from ``file://``):

* ``index.html``: what the project is, the concepts, the test matrix (from
  ``--matrix PATH``, or a run made by ``--fresh``), the benchmark plots.
* one page per concept (``futures.html``, ...): the three implementations in a
  grid with one row per public name, so a name sits at the same height in the
  three columns; each definition's docstring as prose above its code; the
  differences the matrix asserts (tests marked ``differs``) with their expected
  values; the concept's benchmark rows and plots (``--bench DIR``).
* ``claims.html``: the source text's claims (:mod:`rosetta.claims`).
* ``checks.html``: the source of every test a claim or a difference cites.
* ``src/...``: every concept module and cited test file, highlighted, with line
  anchors that the pages link to.

Nothing is copied by hand: the modules are parsed with :mod:`ast`
(:func:`rosetta.concepts.load_sources`), the tests too, so the site cannot drift
from the code. ``--update-readme`` rewrites the README's claims section from the
same :mod:`rosetta.claims` the claims page is built from.
"""

from __future__ import annotations

import argparse
import ast
import html
import inspect
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pygments import highlight  # type: ignore[import-untyped]  # no stubs in [dev]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import PythonLexer  # type: ignore[import-untyped]
from pygments.token import STANDARD_TYPES  # type: ignore[import-untyped]

from rosetta import claims as claims_module
from rosetta import library, rst
from rosetta.bench import BENCHES
from rosetta.benchschema import Row
from rosetta.claims import CLAIMS, SECTIONS, SOURCE_NAME, SOURCE_TEXT, Check, Claim
from rosetta.columns import COLUMNS
from rosetta.concepts import (
    CONCEPTS,
    PACKAGES,
    Concept,
    ModuleSource,
    Segment,
    alignment_problems,
    load_sources,
    row_names,
)

__all__ = [
    "CONCEPT_BENCHES",
    "FROM_A_CHECKOUT",
    "PACKAGE_COLORS",
    "ROOT",
    "STACK_BELOW_PX",
    "BenchRun",
    "BuildOptions",
    "Matrix",
    "TestFunction",
    "add_parser",
    "bench_table",
    "build",
    "code_html",
    "fresh_matrix",
    "inline",
    "is_checkout",
    "load_bench_dir",
    "load_matrix",
    "parse_tests",
    "prose",
    "run",
    "split_docstring",
    "stylesheet",
]

ROOT = Path(__file__).resolve().parent.parent  # the checkout: README.md and tests/ live here

FROM_A_CHECKOUT = (
    "run it from a checkout of async-rosetta (git clone, then pip install '.[cli]' "
    "in it), where tests/ and README.md are"
)


def is_checkout(root: Path) -> bool:
    """Is *root* a checkout of async-rosetta (not, say, site-packages of an install)?

    The pages cite tests and state which ones assert differences; without the test
    sources they could only state that there are none, which would be false.
    """
    return (root / "tests" / "conftest.py").is_file() and (root / "pyproject.toml").is_file()


# One colour per package: the top border of its cells (tests/test_site.py finds them
# in screenshots to tell side by side from stacked).
PACKAGE_COLORS: dict[str, str] = {
    "impl_asyncio": "#1d4ed8",
    "impl_trio": "#7e22ce",
    "shared": "#c2410c",
}

STACK_BELOW_PX = 900  # narrower than this, the three columns stack

# The bench rows a concept page shows: (bench name, workloads; None for all of them).
CONCEPT_BENCHES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "futures": ("futures", ("wakeup", "resolved")),
    "tasks": ("futures", ("spawn", "memory")),
    "executors": ("futures", ("executor",)),
    "timers": ("timers", None),
    "ftp": ("ftp", None),
}

_FORMATTER = HtmlFormatter(cssclass="hl", style="friendly")


# -- options and inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildOptions:
    outdir: Path
    matrix_path: Path | None = None
    fresh: bool = False  # run the test matrix now (pytest) instead of reading --matrix
    bench_dir: Path | None = None
    root: Path = ROOT  # where tests/ are


@dataclass(frozen=True)
class Matrix:
    """The matrix summary ``tests/conftest.py`` writes with ``--matrix-json``."""

    date: str
    columns: list[str]
    concepts: dict[str, dict[str, str]]
    origin: str  # where it came from, for the reader


@dataclass
class BenchRun:
    """One bench JSON file (the schema of :mod:`rosetta.benchschema`) and its plots."""

    name: str
    source: Path
    machine: dict[str, Any]
    rows: list[Row]
    plots: list[str] = field(default_factory=list)  # paths inside OUTDIR
    quick: bool = False  # a --quick run; files from before the marker existed have none


def load_matrix(path: Path, origin: str | None = None) -> Matrix:
    """Read a matrix JSON file.

    Error handling
    --------------
    :exc:`OSError` if it cannot be read; :exc:`ValueError` if it is not the
    ``{"date", "columns", "concepts"}`` document ``--matrix-json`` writes.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or not {"date", "columns", "concepts"} <= set(data):
        raise ValueError(f"{path}: expected keys date, columns, concepts (pytest --matrix-json)")
    columns = [str(c) for c in data["columns"]]
    concepts = {
        str(concept): {str(column): str(cell) for column, cell in cells.items()}
        for concept, cells in dict(data["concepts"]).items()
    }
    return Matrix(str(data["date"]), columns, concepts, origin or f"saved results: {path}")


def fresh_matrix(root: Path, json_path: Path) -> Matrix:
    """Run the test matrix with pytest (not the site, claims or CLI tests) and read it back.

    Error handling
    --------------
    :exc:`RuntimeError` if pytest wrote no results (it could not run at all).
    Failing tests are not an error: they show as FAIL cells.
    """
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        f"--matrix-json={json_path}",
        "--ignore=tests/test_site.py",
        "--ignore=tests/test_claims.py",
        "--ignore=tests/test_cli.py",
    ]
    print("+ " + " ".join(command[2:]), file=sys.stderr)
    completed = subprocess.run(command, cwd=root, check=False)
    if not json_path.exists():
        raise RuntimeError(f"pytest exited with {completed.returncode} and wrote no results")
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return load_matrix(json_path, origin=f"a fresh run made by this build ({date})")


def load_bench_dir(directory: Path, outdir: Path) -> tuple[list[BenchRun], list[str]]:
    """Read every bench JSON file in *directory* and copy its PNGs to ``OUTDIR/bench``.

    A PNG goes with the JSON file of the same stem (``bench timers --json t.json``
    draws ``t.png``) or, failing that, with a bench whose name its stem contains.
    Returns the runs and the PNGs that went with none (shown on the index only).
    Files that are not bench JSON are reported on stderr and skipped.
    """
    runs: list[BenchRun] = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = [
                Row(
                    str(r["column"]),
                    str(r["workload"]),
                    str(r["metric"]),
                    float(r["value"]),
                    str(r["unit"]),
                )
                for r in data["rows"]
            ]
            quick = data.get("quick", False)
            if not isinstance(quick, bool):
                raise TypeError(f"'quick' must be true or false, not {quick!r}")
            runs.append(
                BenchRun(str(data["bench"]), path, dict(data["machine"]), rows, quick=quick)
            )
        except (ValueError, KeyError, TypeError) as exc:
            print(f"async-rosetta site: skipped {path}: not bench JSON ({exc})", file=sys.stderr)
    loose: list[str] = []
    target = outdir / "bench"
    for png in sorted(directory.glob("*.png")):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target / png.name)
        relative = f"bench/{png.name}"
        owner = next((r for r in runs if r.source.stem == png.stem), None)
        if owner is None:
            owner = next((r for r in runs if r.name in png.stem), None)
        if owner is None:
            loose.append(relative)
        else:
            owner.plots.append(relative)
    return runs, loose


# -- tests: what the claims and the differences cite --------------------------------------------


@dataclass(frozen=True)
class TestFunction:
    """A test function as written in its file."""

    file: str  # relative to the project root: "tests/test_tasks.py"
    name: str
    lineno: int
    docstring: str | None
    source: str
    concept: str
    differs: bool
    expected: tuple[tuple[tuple[str, str], ...], ...]  # per expect() call: (package, value)

    @property
    def node_id(self) -> str:
        return f"{self.file}::{self.name}"

    @property
    def anchor(self) -> str:
        return f"{Path(self.file).stem}--{self.name}"


def _mark(decorator: ast.expr) -> tuple[str, list[ast.expr]] | None:
    """``pytest.mark.NAME`` or ``pytest.mark.NAME(args)``: NAME and the args."""
    args: list[ast.expr] = []
    if isinstance(decorator, ast.Call):
        args = list(decorator.args)
        decorator = decorator.func
    if (
        isinstance(decorator, ast.Attribute)
        and isinstance(decorator.value, ast.Attribute)
        and decorator.value.attr == "mark"
        and isinstance(decorator.value.value, ast.Name)
        and decorator.value.value.id == "pytest"
    ):
        return decorator.attr, args
    return None


def _concept_mark(expressions: Iterable[ast.expr]) -> str | None:
    for expression in expressions:
        mark = _mark(expression)
        if mark is not None and mark[0] == "concept" and mark[1]:
            value = mark[1][0]
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def _module_concept(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            marks = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            return _concept_mark(marks)
    return None


def _expected_values(function: ast.AST) -> tuple[tuple[tuple[str, str], ...], ...]:
    found: list[tuple[tuple[str, str], ...]] = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "expect"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Dict)
        ):
            pairs = tuple(
                (key.value, ast.unparse(value))
                for key, value in zip(node.args[1].keys, node.args[1].values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            )
            found.append(pairs)
    return tuple(found)


def parse_tests(root: Path) -> dict[str, TestFunction]:
    """Every top-level test function of ``root/tests/test_*.py``, by ``file::name``."""
    found: dict[str, TestFunction] = {}
    for path in sorted((root / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, filename=str(path))
        except SyntaxError:
            continue
        lines = text.splitlines()
        relative = path.relative_to(root).as_posix()
        default_concept = _module_concept(tree) or path.stem.removeprefix("test_")
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if not node.name.startswith("test"):
                continue
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            marks = [m[0] for m in map(_mark, node.decorator_list) if m is not None]
            function = TestFunction(
                file=relative,
                name=node.name,
                lineno=start,
                docstring=ast.get_docstring(node),
                source="\n".join(lines[start - 1 : node.end_lineno]),
                concept=_concept_mark(node.decorator_list) or default_concept,
                differs="differs" in marks,
                expected=_expected_values(node),
            )
            found[function.node_id] = function
    return found


# -- text ----------------------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"(:[a-z]+:`~?[^`]+`|``[^`]+``|`[^`]+`)")
_STRONG = re.compile(r"\*\*([^*\s][^*]*?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*?)(?<!\s)\*(?![\w*])")


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline(text: str) -> str:
    """Escape *text*; ``code``, `code`, :role:`code` become <code>, **this** <strong>."""
    parts = _CODE_SPAN.split(text)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            code = part.split("`", 1)[1].strip("`").lstrip("~")
            out.append(f"<code>{e(code)}</code>")
        else:
            marked = _STRONG.sub(r"<strong>\1</strong>", e(part))
            out.append(_EMPHASIS.sub(r"<em>\1</em>", marked))
    return "".join(out)


def prose(doc: str, *, id_prefix: str = "") -> str:
    """A docstring as HTML: reStructuredText through docutils (:mod:`rosetta.rst`), so
    roles, lists, tables and sections render as such. *id_prefix* keeps the ids of
    several docstrings on one page apart."""
    return rst.to_html(doc, id_prefix=id_prefix)


def _token_class(ttype: Any) -> str:
    while ttype not in STANDARD_TYPES and ttype.parent is not None:
        ttype = ttype.parent
    return str(STANDARD_TYPES.get(ttype, ""))


def code_html(source: str) -> str:
    """*source* highlighted, one block per line with the line's indentation in ``--i``.

    The stylesheet gives each line a hanging indent of its own indentation plus
    four: a long line wraps inside a narrow column but stays readable as one line.
    The leading spaces sit in a span that cannot wrap, so a line never breaks
    right after its indentation (they are still copied with the code).
    """
    lines: list[list[tuple[str, str]]] = [[]]
    for ttype, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(source):
        css = _token_class(ttype)
        for index, piece in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if piece:
                lines[-1].append((css, piece))
    while len(lines) > 1 and not "".join(text for _, text in lines[-1]).strip():
        lines.pop()
    rendered = []
    for parts in lines:
        text = "".join(piece for _, piece in parts)
        indent = len(text) - len(text.lstrip(" "))
        html_parts = [f'<span class="ind">{" " * indent}</span>'] if indent else []
        skip = indent
        for css, piece in parts:
            cut = min(skip, len(piece))
            skip -= cut
            piece = piece[cut:]
            if piece:
                html_parts.append(f'<span class="{css}">{e(piece)}</span>' if css else e(piece))
        rendered.append(
            f'<span class="ln" style="--i:{indent}">{"".join(html_parts) or " "}</span>'
        )
    return f'<div class="hl"><pre>{"".join(rendered)}</pre></div>\n'


_DOC_MOVED = "# (docstring: shown above)"


def _is_overload(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in node.decorator_list
    )


def split_docstring(segment: Segment) -> tuple[str | None, str]:
    """The docstring of a public name's definition, and its code without it.

    A function or class loses its docstring (a body that was only a docstring
    gets a comment in its place); an assignment loses the string below it. Of an
    overloaded function, the docstring is the implementation's, after the stubs.
    """
    try:
        tree = ast.parse(segment.source)
    except SyntaxError:
        return None, segment.source
    lines = segment.source.splitlines()
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            doc = ast.get_docstring(node)
            if doc is None and _is_overload(node):
                continue  # a typing stub: the implementation below has the docstring
            if doc is None:
                return None, segment.source
            first = node.body[0]
            end = first.end_lineno or first.lineno
            replacement: list[str] = []
            if len(node.body) == 1:
                indent = lines[first.lineno - 1][: first.col_offset]
                replacement = [indent + _DOC_MOVED]
            kept = lines[: first.lineno - 1] + replacement + lines[end:]
            return doc, "\n".join(kept)
        if isinstance(node, ast.Assign | ast.AnnAssign) and index + 1 < len(tree.body):
            following = tree.body[index + 1]
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                end = following.end_lineno or following.lineno
                kept = lines[: following.lineno - 1] + lines[end:]
                return inspect.cleandoc(following.value.value), "\n".join(kept).rstrip()
    return None, segment.source


# -- page frame ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """What every page needs to know."""

    options: BuildOptions
    built: str
    tests: dict[str, TestFunction]
    matrix: Matrix | None
    runs: list[BenchRun]
    loose_plots: list[str]


def _nav(current: str, prefix: str) -> str:
    links = [("index.html", "Overview"), ("library.html", "Use shared")]
    links += [(f"{c.name}.html", c.name) for c in CONCEPTS]
    links += [("claims.html", "Claims"), ("checks.html", "Checks")]
    items = []
    for href, label in links:
        here = ' aria-current="page"' if href == current else ""
        items.append(f'<a href="{prefix}{href}"{here}>{e(label)}</a>')
    return (
        f'<a class="brand" href="{prefix}index.html">async-rosetta</a>'
        f'<span class="navlinks">{"".join(items)}</span>'
    )


def page(site: Site, *, filename: str, title: str, body: str) -> str:
    depth = filename.count("/")
    prefix = "../" * depth
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · async-rosetta</title>
<link rel="stylesheet" href="{prefix}style.css">
<link rel="stylesheet" href="{prefix}pygments.css">
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="site"><nav aria-label="Site">{_nav(filename, prefix)}</nav></header>
<main id="main">
{body}
</main>
<footer class="site">Built {e(site.built)} from the code by <code>async-rosetta site</code>:
nothing on these pages is copied by hand.</footer>
</body>
</html>
"""


def _source_page_name(relative: str) -> str:
    """``impl_asyncio/futures.py`` → ``src/impl_asyncio/futures.py.html``."""
    return f"src/{relative}.html"


# -- concept pages -------------------------------------------------------------------------------


def _cell(concept: Concept, source: ModuleSource, row: str | None) -> str:
    package = source.package
    relative = concept.where(package)
    if row is None:
        location, line = relative, 1
        doc, code = source.docstring, None
    else:
        segment = source.segments.get(row)
        if segment is None:
            return (
                f'<article class="cell pkg-{package.name}">'
                f'<p class="where"><span class="pkg">{e(package.label)}</span></p>'
                f'<p class="missing">{e(row)} is not defined in {e(relative)}</p></article>'
            )
        location, line = f"{relative}:{segment.start_line}", segment.start_line
        doc, code = split_docstring(segment)
    href = f"{_source_page_name(relative)}#L-{line}"
    parts = [
        f'<article class="cell pkg-{package.name}">',
        f'<p class="where"><span class="pkg">{e(package.label)}</span> '
        f'<a href="{href}"><code>{e(location)}</code></a></p>',
    ]
    if doc:
        ids = f"{package.name}-{row or 'module'}-"
        parts.append(f'<div class="doc">{prose(doc, id_prefix=ids)}</div>')
    elif row is None:
        parts.append('<p class="missing">(no module docstring)</p>')
    if code is not None:
        parts.append(code_html(code))
    parts.append("</article>")
    return "".join(parts)


def _differences(site: Site, concept: Concept) -> str:
    tests = [t for t in site.tests.values() if t.differs and t.concept == concept.name]
    out = ['<section id="differences"><h2>Differences the matrix asserts</h2>']
    if not tests:
        out.append(
            "<p>No test of this concept is marked <code>differs</code>: the three "
            "implementations behave the same in every test.</p></section>"
        )
        return "".join(out)
    out.append(
        "<p>Each is a test marked <code>differs</code> that states the expected value for "
        "every package and asserts it in all six columns.</p>"
    )
    labels = {p.name: p.label for p in PACKAGES}
    for test in tests:
        heading = test.name.removeprefix("test_").replace("_", " ")
        out.append(f'<article class="difference" id="differs-{e(test.name)}">')
        out.append(f"<h3>{e(heading[:1].upper() + heading[1:])}</h3>")
        if test.docstring:
            doc = prose(test.docstring, id_prefix=f"{test.name}-")
            out.append(f'<div class="doc">{doc}</div>')
        for expected in test.expected:
            out.append('<div class="table-wrap"><table class="expected"><thead><tr>')
            out.append("".join(f"<th>{e(labels.get(k, k))}</th>" for k, _ in expected))
            out.append("</tr></thead><tbody><tr>")
            out.append("".join(f"<td><code>{e(v)}</code></td>" for _, v in expected))
            out.append("</tr></tbody></table></div>")
        out.append(
            f'<p class="assert">Asserted by <a href="checks.html#{test.anchor}">'
            f"<code>{_breakable(test.node_id)}</code></a></p></article>"
        )
    out.append("</section>")
    return "".join(out)


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}\u00d7"  # a multiplication sign
    if value.is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _machine_line(run: BenchRun) -> str:
    m = run.machine
    packages = m.get("packages") or {}
    versions = ", ".join(f"{k} {v}" for k, v in packages.items() if v)
    return (
        f"{e(m.get('cpu', '?'))}, {e(m.get('cores', '?'))} cores, Python "
        f"{e(m.get('python', '?'))} on {e(m.get('platform', '?'))}; {e(versions)}"
    )


def _quick_label(run: BenchRun) -> str:
    if not run.quick:
        return ""
    return (
        f'<p class="warning quick"><strong>A <code>--quick</code> run</strong>: '
        f"{e(run.source.name)} used a tenth of the counts, a smoke test of the bench, not a "
        "measurement. Run it without <code>--quick</code> for figures to compare.</p>"
    )


def bench_table(run: BenchRun, workloads: Sequence[str] | None) -> str:
    """One row per (workload, column), grouped by workload; one column per (metric, unit),
    and the ``ratio_vs_*`` rows of the schema in one column of their own."""
    rows = [r for r in run.rows if r.column != "*"]
    if workloads is not None:
        rows = [r for r in rows if r.workload in workloads]
    settings = [r for r in run.rows if r.column == "*"]
    if not rows:
        return "<p>This file has no rows for these workloads.</p>"
    metrics: list[tuple[str, str]] = []
    workload_order: list[str] = []
    column_order: list[str] = []
    values: dict[tuple[str, str, str, str], float] = {}
    ratios: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if r.workload not in workload_order:
            workload_order.append(r.workload)
        if r.column not in column_order:
            column_order.append(r.column)
        if r.metric.startswith("ratio_vs_"):
            reference = r.metric.removeprefix("ratio_vs_")
            ratios.setdefault((r.workload, r.column), []).append(
                f"{_fmt(r.value, r.unit)} vs {e(reference)}"
            )
            continue
        if (r.metric, r.unit) not in metrics:
            metrics.append((r.metric, r.unit))
        values[r.workload, r.column, r.metric, r.unit] = r.value
    head = "".join(
        f'<th scope="col">{e(metric)} <span class="unit">({e(unit)})</span></th>'
        for metric, unit in metrics
    )
    if ratios:
        head += '<th scope="col">ratios</th>'
    keys = sorted(
        {(r.workload, r.column) for r in rows},
        key=lambda k: (workload_order.index(k[0]), column_order.index(k[1])),
    )
    body = []
    for workload, column in keys:
        cells = []
        for metric, unit in metrics:
            value = values.get((workload, column, metric, unit))
            cells.append(f'<td class="num">{"" if value is None else _fmt(value, unit)}</td>')
        if ratios:
            cells.append(f'<td class="ratios">{", ".join(ratios.get((workload, column), []))}</td>')
        body.append(f"<tr><td>{e(workload)}</td><td>{e(column)}</td>{''.join(cells)}</tr>")
    caption = ""
    if settings:
        listed = ", ".join(f"{e(s.metric)} = {_fmt(s.value, s.unit)} {e(s.unit)}" for s in settings)
        caption = f"<caption>{listed}</caption>"
    return (
        f'<div class="table-wrap"><table class="bench">{caption}<thead><tr>'
        f'<th scope="col">workload</th><th scope="col">column</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _bench_command(name: str) -> str:
    return f"async-rosetta bench {name} --json bench-out/{name}.json"


def _figures(plots: Sequence[str], what: str) -> str:
    return "".join(
        f'<figure><a href="{e(p)}"><img src="{e(p)}" alt="{e(what)}: {e(Path(p).name)}">'
        f"</a><figcaption>{e(Path(p).name)}</figcaption></figure>"
        for p in plots
    )


def _concept_bench(site: Site, concept: Concept) -> str:
    out = ['<section id="bench"><h2>Benchmarks</h2>']
    wanted = CONCEPT_BENCHES.get(concept.name)
    if wanted is None:
        out.append("<p>No benchmark measures this concept yet.</p></section>")
        return "".join(out)
    name, workloads = wanted
    what = "all workloads" if workloads is None else "workloads " + ", ".join(workloads)
    out.append(f"<p>From <code>async-rosetta bench {e(name)}</code>, {e(what)}.</p>")
    runs = [r for r in site.runs if r.name == name]
    if not runs:
        out.append(
            "<p>No results in this build. Produce them with "
            f"<code>{e(_bench_command(name))}</code> and rebuild with "
            "<code>--bench bench-out</code>.</p></section>"
        )
        return "".join(out)
    for run_ in runs:
        out.append(f'<p class="machine">{e(run_.source.name)}: {_machine_line(run_)}</p>')
        out.append(_quick_label(run_))
        out.append(bench_table(run_, workloads))
        out.append(_figures(run_.plots, f"bench {name}"))
    out.append("</section>")
    return "".join(out)


def concept_page(site: Site, concept: Concept) -> str:
    sources = load_sources(concept)
    names = row_names(sources)
    out = [
        f"<h1>{e(concept.title)}</h1>",
        f'<p class="lede">{inline(concept.summary)}</p>',
        '<nav class="jump" aria-label="On this page"><span>On this page:</span> '
        + " ".join(f'<a href="#name-{e(n)}"><code>{e(n)}</code></a>' for n in names)
        + ' <a href="#differences">differences</a> <a href="#bench">benchmarks</a></nav>',
    ]
    problems = alignment_problems(concept, sources)
    if problems:
        out.append('<div class="warning"><p>The three modules do not line up:</p><ul>')
        out.append("".join(f"<li>{e(p)}</li>" for p in problems))
        out.append("</ul></div>")
    out.append('<section id="side-by-side" aria-label="The three implementations side by side">')
    heads = []
    for source in sources:
        relative = concept.where(source.package)
        heads.append(
            f'<div class="colhead pkg-{source.package.name}"><span class="pkg">'
            f'{e(source.package.label)}</span> <a href="{_source_page_name(relative)}">'
            f"<code>{e(relative)}</code></a></div>"
        )
    out.append(f'<div class="colheads" aria-hidden="true">{"".join(heads)}</div>')
    rows: list[tuple[str, str, str | None]] = [("module", "Module docstring", None)]
    rows += [(f"name-{n}", n, n) for n in names]
    for anchor, label, row in rows:
        heading = f"<code>{e(label)}</code>" if row is not None else e(label)
        out.append(f'<section class="row" id="{e(anchor)}"><h2>{heading}</h2>')
        out.append('<div class="cells">')
        out.append("".join(_cell(concept, source, row) for source in sources))
        out.append("</div></section>")
    out.append("</section>")
    out.append(_differences(site, concept))
    out.append(_concept_bench(site, concept))
    return page(site, filename=f"{concept.name}.html", title=concept.title, body="".join(out))


# -- claims and checks ---------------------------------------------------------------------------

_VERDICT_CLASS = {
    "holds": "v-holds",
    "holds, with a correction": "v-corrected",
    "wrong": "v-wrong",
    "not checked here — pending": "v-pending",
}


def _bench_page(name: str) -> str:
    for concept, (bench, _) in CONCEPT_BENCHES.items():
        if bench == name:
            return f"{concept}.html#bench"
    return "index.html#benchmarks"


def _breakable(identifier: str) -> str:
    """Escaped, with line-break points after underscores and ``::`` (long test names)."""
    return e(identifier).replace("_", "_<wbr>").replace("::", "::<wbr>")


def _check_html(site: Site, check: Check) -> str:
    if check.kind == "test":
        label = _breakable(f"{Path(check.test_file).name}::{check.target.split('::', 1)[1]}")
        detail = f" — {inline(check.detail)}" if check.detail else ""
        function = site.tests.get(f"{check.test_file}::{check.test_function}")
        if function is None:
            return f'<code>{label}</code> <span class="missing">(not found)</span>{detail}'
        return f'<a href="checks.html#{function.anchor}"><code>{label}</code></a>{detail}'
    if check.kind == "bench":
        detail = f" — {inline(check.detail)}" if check.detail else ""
        return (
            f'<a href="{_bench_page(check.target)}"><code>async-rosetta bench '
            f"{e(check.target)}</code></a>{detail}"
        )
    return f'<span class="pending">pending: {inline(check.target)}</span>'


def _claim_row(site: Site, claim: Claim) -> str:
    verdict = f'<span class="verdict {_VERDICT_CLASS[claim.verdict]}">{e(claim.verdict)}</span>'
    if claim.correction:
        verdict += f"<p>{inline(claim.correction)}</p>"
    if claim.references:
        refs = ", ".join(f'<a href="{e(r.url)}">{e(r.label)}</a>' for r in claim.references)
        verdict += f'<p class="refs">See {refs}.</p>'
    checks = "".join(f"<li>{_check_html(site, c)}</li>" for c in claim.checks)
    return (
        f'<tr id="{e(claim.id)}"><td><a class="claim-id" href="#{e(claim.id)}">'
        f"{e(claim.id)}</a><p>{inline(claim.claim)}</p></td>"
        f"<td>{verdict}</td><td><ul>{checks}</ul></td></tr>"
    )


def claims_page(site: Site) -> str:
    counts = {v: sum(c.verdict == v for c in CLAIMS) for v in _VERDICT_CLASS}
    summary = " ".join(
        f'<span class="verdict {_VERDICT_CLASS[v]}">{n} {e(v)}</span>'
        for v, n in counts.items()
        if n
    )
    out = [
        "<h1>The source text's claims, checked</h1>",
        f'<p class="lede">{inline(SOURCE_TEXT)}</p>',
        f'<p class="counts">{len(CLAIMS)} claims: {summary}</p>',
        "<p>Verdicts: <em>holds</em>; <em>holds, with a correction</em> (the correction "
        "follows); <em>wrong</em>"
        + (
            "; <em>not checked here — pending</em>, only for I/O multiplexing, which a later "
            "concept checks"
            if counts["not checked here — pending"]
            else ""
        )
        + ". Each check links to the test's code on "
        'the <a href="checks.html">checks page</a>, or to a benchmark. What no test can show '
        "(a date, another platform) is said in the verdict, with its source.</p>",
    ]
    for section in SECTIONS:
        claims = [c for c in CLAIMS if c.section == section.id]
        if not claims:
            continue
        out.append(f'<section id="section-{e(section.id)}"><h2>{e(section.title)}</h2>')
        out.append(f"<p>{inline(section.about)}</p>")
        out.append(
            '<div class="table-wrap"><table class="claims"><thead><tr><th scope="col">claim'
            '</th><th scope="col">verdict</th><th scope="col">checked by</th></tr></thead><tbody>'
        )
        out.append("".join(_claim_row(site, c) for c in claims))
        out.append("</tbody></table></div></section>")
    return page(site, filename="claims.html", title="Claims", body="".join(out))


def _cited_tests(site: Site) -> dict[str, tuple[list[str], list[str]]]:
    """Test node ids (without parameters) → (claim ids citing them, concepts asserting them)."""
    cited: dict[str, tuple[list[str], list[str]]] = {}
    for claim in CLAIMS:
        for check in claim.checks:
            if check.kind == "test":
                key = f"{check.test_file}::{check.test_function}"
                entry = cited.setdefault(key, ([], []))
                if claim.id not in entry[0]:
                    entry[0].append(claim.id)
    for test in site.tests.values():
        if test.differs:
            cited.setdefault(test.node_id, ([], []))[1].append(test.concept)
    return cited


def checks_page(site: Site) -> str:
    cited = _cited_tests(site)
    out = [
        "<h1>Checks: the tests behind the claims and the differences</h1>",
        '<p class="lede">Every test that a claim cites or that asserts a difference '
        "between the packages, as written in its file. Run one with "
        "<code>python -m pytest 'NODE_ID'</code>.</p>",
    ]
    by_file: dict[str, list[TestFunction]] = {}
    for key in cited:
        test = site.tests.get(key)
        if test is not None:
            by_file.setdefault(test.file, []).append(test)
    for file in sorted(by_file):
        out.append(
            f'<section><h2><a href="{_source_page_name(file)}"><code>{e(file)}</code></a></h2>'
        )
        for test in sorted(by_file[file], key=lambda t: t.lineno):
            claim_ids, concepts = cited[test.node_id]
            refs = [f'<a href="claims.html#{e(c)}">{e(c)}</a>' for c in claim_ids]
            refs += [
                f'<a href="{e(c)}.html#differs-{e(test.name)}">{e(c)} difference</a>'
                for c in concepts
                if any(k.name == c for k in CONCEPTS)
            ]
            out.append(f'<article class="check" id="{e(test.anchor)}">')
            out.append(f"<h3><code>{e(test.node_id)}</code></h3>")
            out.append(
                f'<p class="where">Cited by {", ".join(refs)} · '
                f'<a href="{_source_page_name(file)}#L-{test.lineno}">line {test.lineno} of '
                f"{e(file)}</a></p>"
            )
            out.append(code_html(test.source))
            out.append("</article>")
        out.append("</section>")
    return page(site, filename="checks.html", title="Checks", body="".join(out))


def source_page(site: Site, relative: str, path: Path) -> str:
    formatter = HtmlFormatter(
        cssclass="hl", style="friendly", linenos="table", lineanchors="L", anchorlinenos=True
    )
    code = highlight(path.read_text(encoding="utf-8"), PythonLexer(), formatter)
    body = f'<h1><code>{e(relative)}</code></h1><div class="file">{code}</div>'
    return page(site, filename=_source_page_name(relative), title=relative, body=body)


# -- library ---------------------------------------------------------------------------------------


def library_page(site: Site) -> str:
    """The README's "Use shared in your own code", from the same :mod:`rosetta.library`."""
    offers = "".join(
        "<li>"
        + ", ".join(f"<code>{e(n)}</code>" for n in offer.names)
        + f": {inline(offer.what)}</li>"
        for offer in library.OFFERS
    )
    body = (
        f"<h1>{inline(library.TITLE)}</h1>"
        f'<p class="lede">{inline(library.INTRO)}</p>'
        f'<pre class="shell"><code>{e(library.INSTALL)}</code></pre>'
        f"<p>{inline(library.PROGRAM_ABOUT)}</p>"
        f'<div class="file">{code_html(library.PROGRAM)}</div>'
        "<p>It prints, under each of the four:</p>"
        f'<pre class="output"><code>{e(library.OUTPUT)}</code></pre>'
        f'<section id="offers"><h2>What <code>shared</code> offers</h2><ul>{offers}</ul>'
        f"<p>{inline(library.NOTES)}</p>"
        "</section>"
    )
    return page(site, filename="library.html", title="Use shared in your own code", body=body)


# -- index -----------------------------------------------------------------------------------------


def _matrix_html(site: Site) -> str:
    out = ['<section id="matrix"><h2>The test matrix</h2>']
    matrix = site.matrix
    if matrix is None:
        out.append(
            "<p>No saved results. Produce them with <code>python -m pytest "
            "--matrix-json matrix.json</code> (or <code>ROSETTA_MATRIX_JSON=matrix.json "
            "python -m pytest</code>) and build with <code>--matrix matrix.json</code>, or "
            "build with <code>--fresh</code> to run the tests now.</p></section>"
        )
        return "".join(out)
    out.append(
        f"<p>Results of {e(matrix.date)}, from {e(matrix.origin)} "
        '(<a href="matrix.json">as JSON</a>). A cell is <em>pass</em> when every test of '
        "the concept passed in that column, <em>differs (asserted)</em> when some of them "
        "assert an intended difference and passed, <em>FAIL</em> when one failed.</p>"
    )
    head = "".join(f'<th scope="col">{e(c)}</th>' for c in matrix.columns)
    order = [c.name for c in CONCEPTS if c.name in matrix.concepts]
    order += sorted(k for k in matrix.concepts if k not in order)
    known = {c.name for c in CONCEPTS}
    body = []
    for name in order:
        label = f'<a href="{e(name)}.html">{e(name)}</a>' if name in known else e(name)
        cells = []
        for column in matrix.columns:
            value = matrix.concepts[name].get(column, "-")
            css = {"pass": "m-pass", "FAIL": "m-fail", "-": "m-none"}.get(value, "m-differs")
            cells.append(f'<td class="{css}">{e(value)}</td>')
        body.append(f'<tr><th scope="row">{label}</th>{"".join(cells)}</tr>')
    out.append(
        f'<div class="table-wrap"><table class="matrix"><thead><tr><th scope="col">concept</th>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>"
    )
    return "".join(out)


def _index_bench(site: Site) -> str:
    out = ['<section id="benchmarks"><h2>Benchmarks</h2>']
    if not site.runs and not site.loose_plots:
        commands = "".join(f"<li><code>{e(_bench_command(n))}</code></li>" for n in BENCHES)
        out.append(
            "<p>No benchmark results in this build. Produce them with</p>"
            f"<ul>{commands}</ul><p>(<code>bench timers</code> also draws "
            "<code>bench-out/timers.png</code>), then build with "
            "<code>--bench bench-out</code>.</p></section>"
        )
        return "".join(out)
    for run_ in site.runs:
        concepts = [c for c, (b, _) in CONCEPT_BENCHES.items() if b == run_.name]
        pages = ", ".join(f'<a href="{e(c)}.html#bench">{e(c)}</a>' for c in concepts)
        where = f" Shown on: {pages}." if pages else ""
        out.append(
            f"<h3><code>async-rosetta bench {e(run_.name)}</code></h3>"
            f'<p class="machine">{e(run_.source.name)}: {len(run_.rows)} rows. '
            f"{_machine_line(run_)}.{where}</p>"
        )
        out.append(_quick_label(run_))
        if not concepts:
            out.append(bench_table(run_, None))
        out.append(_figures(run_.plots, f"bench {run_.name}"))
    if site.loose_plots:
        out.append("<h3>Other plots</h3>" + _figures(site.loose_plots, "plot"))
    out.append("</section>")
    return "".join(out)


def index_page(site: Site) -> str:
    try:
        summary = metadata.metadata("async-rosetta")["Summary"]
    except metadata.PackageNotFoundError:
        summary = "Async Python's core concepts written three ways."
    cards = []
    for concept in CONCEPTS:
        names = row_names(load_sources(concept))
        cards.append(
            f'<li class="card"><h3><a href="{e(concept.name)}.html">{e(concept.title)}</a></h3>'
            f"<p>{inline(concept.summary)}</p>"
            f'<p class="names"><code>{e(concept.module)}</code>: '
            + ", ".join(f"<code>{e(n)}</code>" for n in names)
            + "</p></li>"
        )
    columns = "".join(
        f"<tr><td><code>{e(c.name)}</code></td><td><code>{e(c.package)}</code></td>"
        f"<td>{e(c.backend)}{' on uvloop' if c.uvloop else ''}</td></tr>"
        for c in COLUMNS
    )
    packages = ", ".join(f"<code>{e(p.name)}</code> ({e(p.label)})" for p in PACKAGES)
    counts = {v: sum(c.verdict == v for c in CLAIMS) for v in _VERDICT_CLASS}
    verdicts = "; ".join(f"{n} {e(v)}" for v, n in counts.items() if n)
    body = f"""<h1>async-rosetta</h1>
<p class="lede">{e(summary)}</p>
<p>Each concept is one module, written three times with the same file name and the same
public names in the same order: in {packages}. A concept's page puts the three side by side,
one row per public name, with each definition's docstring above its code. One test matrix runs
every conformance test in six columns, an implementation on an event loop; where the packages
differ on purpose, a test marked <code>differs</code> asserts what each one does.</p>
<p>It starts from <em>the source text</em>, as these pages and the code call it:
{inline(SOURCE_NAME)}. The tour runs its examples, and <a href="claims.html">every claim it
makes</a> is checked.</p>
<section id="concepts"><h2>Concepts</h2><ul class="cards">{"".join(cards)}</ul></section>
<section id="columns"><h2>The six columns</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">column</th><th scope="col">package</th>
<th scope="col">event loop</th></tr></thead><tbody>{columns}</tbody></table></div></section>
{_matrix_html(site)}
{_index_bench(site)}
<section id="claims"><h2>The source text's claims</h2>
<p>{len(CLAIMS)} claims of the source text, each restated with a verdict ({verdicts}) and the
test or benchmark that shows it: <a href="claims.html">the claims table</a>. The same table is
a section of the README.</p></section>
"""
    return page(site, filename="index.html", title="Overview", body=body)


# -- style ---------------------------------------------------------------------------------------

CSS = """\
:root {
  --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; --link: #0550ae;
  --asyncio: %(impl_asyncio)s; --trio: %(impl_trio)s; --shared: %(shared)s;
  --holds: #1a7f37; --corrected: #9a6700; --wrong: #cf222e; --pending: #6e7781;
}
*, *::before, *::after { box-sizing: border-box; }
body {
  margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
    sans-serif;
}
a { color: var(--link); text-underline-offset: 2px; }
code, pre, kbd {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
code { font-size: .88em; }
p code, li code, td code, h3 code { background: var(--soft); padding: .05em .3em;
  border-radius: 4px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; }
header.site { background: var(--soft); border-bottom: 1px solid var(--line); }
header.site nav, main, footer.site { max-width: 1480px; margin: 0 auto; padding: 0 1.5rem; }
header.site nav { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1.25rem;
  padding-top: .6rem; padding-bottom: .6rem; }
.brand { font-weight: 700; color: var(--ink); text-decoration: none; }
.navlinks { display: flex; flex-wrap: wrap; gap: .25rem .9rem; }
.navlinks a { text-decoration: none; }
.navlinks a[aria-current="page"] { color: var(--ink); font-weight: 600;
  border-bottom: 2px solid var(--ink); }
main { padding-top: .5rem; padding-bottom: 3rem; }
footer.site { color: var(--muted); font-size: .85rem; padding-top: 1rem; padding-bottom: 2rem;
  border-top: 1px solid var(--line); }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 1.2rem 0 .6rem; }
h2 { font-size: 1.3rem; line-height: 1.3; margin: 2.4rem 0 .6rem; }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
.lede, main > p, section > p, .difference .doc, .warning { max-width: 52rem; }
.lede { font-size: 1.05rem; }
.jump { font-size: .9rem; display: flex; flex-wrap: wrap; gap: .2rem .7rem; margin: .8rem 0; }
.jump span { color: var(--muted); }
.warning { border: 1px solid var(--corrected); background: #fff8c5; padding: .5rem 1rem;
  border-radius: 6px; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--soft); }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: .85rem;
  padding-top: .3rem; }
.table-wrap { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.unit { color: var(--muted); font-weight: normal; }
td.ratios { font-size: .85rem; font-variant-numeric: tabular-nums; }
.missing { color: var(--muted); font-style: italic; }

/* side by side: one grid per row of public names, so a name sits at one height */
.colheads, .cells { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr));
  gap: .75rem; }
.colheads { position: sticky; top: 0; z-index: 1; background: #fff; padding: .4rem 0; }
.colhead { border-top: 4px solid var(--pkg); padding: .3rem .2rem 0; font-size: .9rem; }
.pkg-impl_asyncio { --pkg: var(--asyncio); }
.pkg-impl_trio { --pkg: var(--trio); }
.pkg-shared { --pkg: var(--shared); }
.pkg { font-weight: 700; color: var(--pkg); }
.row { scroll-margin-top: 3.5rem; }
.row h2 { font-size: 1.1rem; margin: 1.8rem 0 .5rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--line); }
.row h2 code { font-size: 1em; }
.cell { min-width: 0; border: 1px solid var(--line); border-top: 4px solid var(--pkg);
  border-radius: 6px; padding: .45rem .7rem .6rem; background: #fff; }
.cell .where { margin: 0 0 .35rem; font-size: .8rem; display: flex; flex-wrap: wrap;
  justify-content: space-between; gap: 0 .5rem; }
.cell .where a { color: var(--muted); }
.doc { font-size: .9rem; }
.doc p { margin: .25rem 0 .5rem; }
.doc ul { margin: .25rem 0 .5rem; padding-left: 1.2rem; }
.doc h4 { font-size: .75rem; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); margin: .7rem 0 .15rem; }
.doc pre { font-size: .75rem; overflow-x: auto; background: var(--soft); padding: .4rem;
  border-radius: 4px; }
.doc .literal { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono",
  monospace; font-size: .88em; background: var(--soft); padding: .05em .3em; border-radius: 4px; }
.doc table { width: 100%%; font-size: .8rem; margin: .4rem 0; }
.doc th, .doc td { padding: .2rem .35rem; overflow-wrap: anywhere; }
.doc th p, .doc td p { margin: 0; }
.doc section { margin: 0; }
.hl { border-radius: 4px; margin: .4rem 0 0; }
.hl pre { margin: 0; padding: .5rem .6rem; font-size: 12.5px; line-height: 1.45;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.hl .ln { display: block; padding-left: calc(var(--i, 0) * 1ch + 4ch);
  text-indent: calc(var(--i, 0) * -1ch - 4ch); }
.hl .ind { white-space: pre; }
.file .hl pre { white-space: pre; overflow-wrap: normal; }
.file .hltable { border: 0; margin: 0; }
.file .hltable td { border: 0; padding: 0; }
.file .linenos pre { color: var(--muted); text-align: right; padding-right: .4rem; }
.file .linenos a { color: inherit; text-decoration: none; }
.file .hl { overflow-x: auto; }

.difference { border-left: 4px solid var(--line); padding: .1rem 0 .1rem 1rem;
  margin: 1.2rem 0; }
.difference h3 { margin-top: .3rem; }
.expected th, .expected td { font-size: .88rem; }
.assert { font-size: .88rem; color: var(--muted); }

.verdict { display: inline-block; font-weight: 600; font-size: .8rem; white-space: nowrap;
  padding: .02rem .5rem; border: 1px solid currentColor; border-radius: 999px; }
.v-holds { color: var(--holds); }
.v-corrected { color: var(--corrected); }
.v-wrong { color: var(--wrong); }
.v-pending { color: var(--pending); }
.counts .verdict { margin-right: .4rem; }
table.claims { width: 100%%; table-layout: fixed; }
table.claims th:nth-child(1) { width: 36%%; }
table.claims th:nth-child(2) { width: 36%%; }
table.claims td { font-size: .92rem; }
table.claims code { overflow-wrap: anywhere; }
table.claims td p { margin: .3rem 0; }
table.claims ul { margin: 0; padding-left: 1.1rem; }
.claim-id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .8rem;
  color: var(--muted); }
.refs, .pending { color: var(--muted); }
tr:target { background: #fff8c5; }

pre.shell, pre.output { background: var(--soft); padding: .5rem .7rem; border-radius: 4px;
  overflow-x: auto; font-size: 12.5px; }

.check { margin: 1.4rem 0; }
.check .where { font-size: .85rem; color: var(--muted); margin: 0 0 .3rem; }

.m-pass { background: #dafbe1; }
.m-differs { background: #ddf4ff; }
.m-fail { background: #ffebe9; color: var(--wrong); font-weight: 700; }
.m-none { color: var(--muted); }
.matrix td { white-space: nowrap; font-size: .9rem; }

.cards { list-style: none; padding: 0; display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .6rem; }
.card h3 { margin-top: .6rem; }
.card p { font-size: .92rem; }
.names { color: var(--muted); }
.machine { font-size: .85rem; color: var(--muted); }
figure { margin: 1rem 0; }
figure img { max-width: 100%%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .85rem; color: var(--muted); }

@media (max-width: %(stack)dpx) {
  .cells { grid-template-columns: minmax(0, 1fr); }
  .colheads { display: none; }
  header.site nav, main, footer.site { padding-left: 1rem; padding-right: 1rem; }
  table.claims, table.claims tbody, table.claims tr, table.claims td { display: block; }
  table.claims thead { display: none; }
  table.claims tr { border: 1px solid var(--line); margin: 0 0 .8rem; }
  table.claims td { border: 0; border-top: 1px solid var(--line); }
  table.claims td:first-child { border-top: 0; }
}
"""


def stylesheet() -> str:
    return CSS % {**PACKAGE_COLORS, "stack": STACK_BELOW_PX - 1}


# -- build ---------------------------------------------------------------------------------------


def _write(outdir: Path, name: str, text: str, written: list[Path]) -> None:
    path = outdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def build(options: BuildOptions) -> list[Path]:
    """Build the site into ``options.outdir``; returns the files written (PNGs excluded).

    Error handling
    --------------
    :exc:`ValueError` if ``options.root`` is not a checkout (:func:`is_checkout`);
    :exc:`OSError` or :exc:`ValueError` from a matrix file that cannot be read;
    :exc:`RuntimeError` if ``fresh`` and pytest could not run.
    """
    if not is_checkout(options.root):
        raise ValueError(
            f"no test sources under {options.root}: the pages cite the tests and the "
            f"differences they assert, so the site is built from a checkout; {FROM_A_CHECKOUT}"
        )
    outdir = options.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    matrix: Matrix | None = None
    if options.fresh:
        matrix = fresh_matrix(options.root, (outdir / "matrix.json").resolve())
    elif options.matrix_path is not None:
        matrix = load_matrix(options.matrix_path)
        if options.matrix_path.resolve() != (outdir / "matrix.json").resolve():
            shutil.copyfile(options.matrix_path, outdir / "matrix.json")
    runs: list[BenchRun] = []
    loose: list[str] = []
    if options.bench_dir is not None:
        runs, loose = load_bench_dir(options.bench_dir, outdir)
    site = Site(
        options=options,
        built=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        tests=parse_tests(options.root),
        matrix=matrix,
        runs=runs,
        loose_plots=loose,
    )
    written: list[Path] = []
    _write(outdir, "style.css", stylesheet(), written)
    _write(outdir, "pygments.css", _FORMATTER.get_style_defs(".hl") + "\n", written)
    _write(outdir, "index.html", index_page(site), written)
    _write(outdir, "library.html", library_page(site), written)
    for concept in CONCEPTS:
        _write(outdir, f"{concept.name}.html", concept_page(site, concept), written)
        for package in PACKAGES:
            relative = concept.where(package)
            text = source_page(site, relative, concept.path(package))
            _write(outdir, _source_page_name(relative), text, written)
    _write(outdir, "claims.html", claims_page(site), written)
    _write(outdir, "checks.html", checks_page(site), written)
    cited_files = {site.tests[key].file for key in _cited_tests(site) if key in site.tests}
    for file in sorted(cited_files):
        text = source_page(site, file, options.root / file)
        _write(outdir, _source_page_name(file), text, written)
    return written


# -- command line --------------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "site",
        help="build the static site: the concepts side by side, the matrix, the claims",
        description=(
            "Build static HTML (works from file://, no JavaScript) from the code as it is "
            "now: an index, a page per concept with the three implementations aligned by "
            "public name, the source text's claims and the tests that check them."
        ),
    )
    parser.add_argument("outdir", nargs="?", type=Path, metavar="OUTDIR", help="where to write")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--matrix",
        type=Path,
        metavar="PATH",
        help="test matrix results written by `python -m pytest --matrix-json PATH` "
        "(default: none; the index says how to make them)",
    )
    source.add_argument(
        "--fresh",
        action="store_true",
        help="run the test matrix now (pytest, without the site, claims and CLI tests)",
    )
    parser.add_argument(
        "--bench",
        type=Path,
        metavar="DIR",
        help="a directory of `async-rosetta bench NAME --json` files and their PNG plots "
        "(default: none; the pages say how to make them)",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="rewrite the README's generated sections: the claims (rosetta/claims.py) and "
        "the library section (rosetta/library.py)",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        metavar="PATH",
        help="the README --update-readme rewrites (default: the checkout's README.md)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.outdir is None and not args.update_readme:
        print("async-rosetta site: give OUTDIR, or --update-readme, or both", file=sys.stderr)
        return 2
    args.readme_default = args.readme is None
    if args.readme is None:
        args.readme = ROOT / "README.md"
    if args.outdir is not None and not is_checkout(ROOT):
        print(
            f"async-rosetta site: the pages cite the tests and the differences they assert, "
            f"and this async-rosetta is installed in {ROOT}, without them: {FROM_A_CHECKOUT}",
            file=sys.stderr,
        )
        return 2
    if args.update_readme:
        readme: Path = args.readme
        if args.readme_default and not is_checkout(ROOT):
            print(
                "async-rosetta site: --update-readme rewrites the README of a checkout, and "
                f"this async-rosetta is installed in {ROOT}, not run from one: "
                f"{FROM_A_CHECKOUT}, or name a README with --readme PATH",
                file=sys.stderr,
            )
            return 2
        for name, module in (("claims", claims_module), ("library", library)):
            try:
                changed = module.update_readme(readme)
            except (OSError, ValueError) as exc:
                print(f"async-rosetta site: {exc}", file=sys.stderr)
                return 2
            print(f"{readme}: {name} section {'rewritten' if changed else 'already current'}")
    if args.outdir is None:
        return 0
    if args.bench is not None and not args.bench.is_dir():
        print(f"async-rosetta site: --bench {args.bench}: not a directory", file=sys.stderr)
        return 2
    options = BuildOptions(
        outdir=args.outdir, matrix_path=args.matrix, fresh=args.fresh, bench_dir=args.bench
    )
    try:
        written = build(options)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"async-rosetta site: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args.outdir}; open {args.outdir / 'index.html'}")
    return 0
