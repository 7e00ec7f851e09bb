"""The site's pages: the frame every page shares, a page per concept, the claims and
checks pages, a source page per file, the library page, the index, and the stylesheet
(``style.css``, package data) with the package colours and stacking width it sets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from pygments import highlight  # type: ignore[import-untyped]  # no stubs in [dev]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import PythonLexer  # type: ignore[import-untyped]

from rosetta import library
from rosetta.bench import BENCHES
from rosetta.columns import COLUMNS
from rosetta.concepts import (
    CONCEPTS,
    PACKAGES,
    Concept,
    ModuleSource,
    alignment_problems,
    load_sources,
    row_names,
)
from rosetta.site.claims import CLAIMS, SECTIONS, SOURCE_NAME, SOURCE_TEXT, Check, Claim
from rosetta.site.text import code_html, e, inline, prose, split_docstring

if TYPE_CHECKING:
    from rosetta.site.builder import BenchRun, BuildOptions, Matrix, TestFunction

__all__ = [
    "CONCEPT_BENCHES",
    "PACKAGE_COLORS",
    "STACK_BELOW_PX",
    "Site",
    "bench_table",
    "checks_page",
    "claims_page",
    "concept_page",
    "index_page",
    "library_page",
    "page",
    "source_page",
    "stylesheet",
]


_STYLESHEET = resources.files("rosetta.site").joinpath("style.css").read_text(encoding="utf-8")


def _from_stylesheet(pattern: str) -> str:
    match = re.search(pattern, _STYLESHEET)
    if match is None:  # a broken package: say which setting style.css lacks
        raise RuntimeError(f"rosetta/site/style.css has no match for {pattern!r}")
    return match.group(1)


# One colour per package: the top border of its cells (tests/test_site.py finds them
# in screenshots to tell side by side from stacked). Set once, in the stylesheet.
PACKAGE_COLORS: dict[str, str] = {
    package: _from_stylesheet(rf"--{var}: (#[0-9a-f]{{6}});")
    for package, var in (("impl_asyncio", "asyncio"), ("impl_trio", "trio"), ("shared", "shared"))
}

# Narrower than this, the three columns stack (the stylesheet's one max-width query).
STACK_BELOW_PX = int(_from_stylesheet(r"@media \(max-width: (\d+)px\)")) + 1


# The bench rows a concept page shows: (bench name, workloads; None for all of them).
CONCEPT_BENCHES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "futures": ("futures", ("wakeup", "resolved")),
    "tasks": ("futures", ("spawn", "memory")),
    "executors": ("futures", ("executor",)),
    "timers": ("timers", None),
    "ftp": ("ftp", None),
}


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
    links += [("claims.html", "Claims"), ("checks.html", "Checks"), ("porting.html", "Porting")]
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
        f"<td>{e(c.loop)}{' on uvloop' if c.uvloop else ''}</td></tr>"
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


def stylesheet() -> str:
    """The site's stylesheet, ``style.css`` beside this module (package data)."""
    return _STYLESHEET
