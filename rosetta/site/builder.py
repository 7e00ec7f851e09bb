"""``async-rosetta site OUTDIR``: the concepts as static HTML, read from the code at build time.

Pages (all relative links, no JavaScript, nothing fetched from elsewhere, so the
site works from ``file://``):

* ``index.html``: what the project is, the concepts, the test matrix (from
  ``--matrix PATH``, or a run made by ``--fresh``), the benchmark plots.
* ``library.html``: the README's "Use ``shared`` in your own code"
  (:mod:`rosetta.library`).
* one page per concept (``futures.html``, ...): the three implementations in a
  grid with one row per public name, so a name sits at the same height in the
  three columns; each definition's docstring as prose above its code; the
  differences the matrix asserts (tests marked ``differs``) with their expected
  values; the concept's benchmark rows and plots (``--bench DIR``).
* ``claims.html``: the source text's claims (:mod:`rosetta.site.claims`).
* ``checks.html``: the source of every test a claim or a difference cites.
* ``porting.html``: what ``async-rosetta port`` recognises, and its walk-through
  (:func:`rosetta.port.render.porting_page`).
* ``src/...``: every concept module and cited test file, highlighted, with line
  anchors that the pages link to.

This module reads the inputs (the matrix, the bench files, the tests) and writes
the pages :mod:`rosetta.site.pages` renders, with :mod:`rosetta.site.text` for
prose and code and ``style.css`` beside them.

Nothing is copied by hand: the modules are parsed with :mod:`ast`
(:func:`rosetta.concepts.load_sources`), the tests too, so the site cannot drift
from the code. ``--update-readme`` rewrites the README's claims section from the
same :mod:`rosetta.site.claims` the claims page is built from, and its library
section from :mod:`rosetta.library`, as the library page is.

The pages cite the tests and state which ones assert differences, so the site is
built from a checkout (:func:`is_checkout`); from an installed package, without the
test sources, the command refuses and says so instead of writing pages that would
claim no test asserts a difference.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rosetta import library
from rosetta.bench.schema import Row
from rosetta.concepts import (
    CONCEPTS,
    PACKAGES,
)
from rosetta.site import claims as claims_module
from rosetta.site.pages import (
    Site,
    _cited_tests,
    _source_page_name,
    checks_page,
    claims_page,
    concept_page,
    index_page,
    library_page,
    source_page,
    stylesheet,
)
from rosetta.site.text import _FORMATTER

__all__ = [
    "FROM_A_CHECKOUT",
    "ROOT",
    "BenchRun",
    "BuildOptions",
    "Matrix",
    "TestFunction",
    "add_parser",
    "build",
    "fresh_matrix",
    "is_checkout",
    "load_bench_dir",
    "load_matrix",
    "parse_tests",
    "run",
]

ROOT = Path(__file__).resolve().parents[2]  # the checkout: README.md and tests/ live here

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
    """One bench JSON file (the schema of :mod:`rosetta.bench.schema`) and its plots."""

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
    """Every top-level test function of ``root/tests/**/test_*.py``, by ``file::name``."""
    found: dict[str, TestFunction] = {}
    for path in sorted((root / "tests").rglob("test_*.py")):
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
    from rosetta.port.render import porting_page  # the port command's catalogue and walk-through

    _write(outdir, "porting.html", porting_page(site), written)
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
        help="rewrite the README's generated sections: the claims (rosetta/site/claims.py) "
        "and the library section (rosetta/library.py)",
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
