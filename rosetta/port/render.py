"""A report as text (grouped by file, a summary line), JSON, or an HTML page in the site's style.

The HTML borrows the site's stylesheet, its side-by-side cells (one colour per
package) and its badges, and links each finding to the concept page of
``async-rosetta site`` that shows the three implementations (``page`` in the
JSON). The site's own Porting page (:func:`porting_page`) is built from the
same pieces: the catalogue, and the walk-through scanned by this command.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rosetta.port.idioms import IDIOMS, TARGETS, Idiom, Severity, Target, severity
from rosetta.port.index import Difference, Index, load_index
from rosetta.port.report import Finding, Report, differences_for, equivalent

if TYPE_CHECKING:
    from rosetta.site.pages import Site

__all__ = [
    "SEVERITY_CLASS",
    "plain",
    "porting_page",
    "render",
    "render_html",
    "render_json",
    "render_text",
]

#: The site's verdict badges, reused: red for what breaks, amber for a rewrite, green for a rename.
SEVERITY_CLASS: dict[Severity, str] = {
    "breaks": "v-wrong",
    "rewrite": "v-corrected",
    "rename": "v-holds",
}
_LABEL: dict[Target, str] = {"trio": "Trio", "shared": "shared"}
_PACKAGE: dict[Target, str] = {"trio": "impl_trio", "shared": "shared"}
_WIDTH = 100


def plain(markdown: str) -> str:
    """A mapping cell without its Markdown code marks."""
    return re.sub(r"`([^`]*)`", r"\1", markdown)


# -- text ---------------------------------------------------------------------------------


def _wrapped(label: str, text: str) -> list[str]:
    first = f"    {label:<9}"
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=first,
        subsequent_indent=" " * len(first),
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]


def _finding_text(finding: Finding) -> list[str]:
    idiom = finding.idiom
    lines = [
        f"  {finding.where}: {finding.severity} {idiom.id}: {idiom.title}",
    ]
    lines += [f"    | {line}" for line in finding.code.splitlines()]
    for target, text in finding.equivalents.items():
        lines += _wrapped(f"{_LABEL[target]}:", plain(text))
    for difference in finding.differences:
        lines += _wrapped("differs:", f"{difference.summary} [{difference.id}]")
    concept = f"concept {idiom.concept}, " if idiom.concept else ""
    lines.append(f"    {'see:':<9}{concept}site page {idiom.page}")
    return lines


def render_text(report: Report) -> str:
    out: list[str] = []
    for path, findings in report.by_file().items():
        out.append(path)
        for finding in findings:
            out += _finding_text(finding)
        out.append("")
    out.append(report.summary())
    return "\n".join(out) + "\n"


# -- JSON ---------------------------------------------------------------------------------


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


# -- HTML ---------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _inline(markdown: str) -> str:
    from rosetta.site.text import inline

    return inline(markdown)


def _badge(value: Severity, label: str | None = None) -> str:
    return f'<span class="verdict {SEVERITY_CLASS[value]}">{_e(label or value)}</span>'


def _cells(first: str, targets: Sequence[Target], cell: dict[Target, str]) -> str:
    columns = 1 + len(targets)
    # The site's grid has three columns; one target leaves two.
    grid = f"grid-template-columns: repeat({columns}, minmax(0, 1fr))"
    style = "" if columns == 3 else f' style="{grid}"'
    body = first + "".join(cell[t] for t in targets)
    return f'<div class="cells"{style}>{body}</div>'


def _target_cell(target: Target, text: str) -> str:
    return (
        f'<div class="cell pkg-{_PACKAGE[target]}"><p class="where"><span class="pkg">'
        f"{_LABEL[target]}</span></p><p>{_inline(text)}</p></div>"
    )


def _differences_html(differences: Sequence[Difference], prefix: str) -> str:
    items = [
        f'<li>{_inline(d.summary)} <a href="{prefix}{_e(d.page)}"><code>{_e(d.id)}</code></a></li>'
        for d in differences
    ]
    if not items:
        return ""
    return '<p class="assert">Differences the matrix asserts:</p><ul>' + "".join(items) + "</ul>"


def _finding_html(finding: Finding, number: int, prefix: str) -> str:
    from rosetta.site.text import code_html

    idiom = finding.idiom
    first = (
        f'<div class="cell pkg-impl_asyncio"><p class="where"><span class="pkg">asyncio</span> '
        f"<code>{_e(finding.where)}</code></p>{code_html(finding.code)}</div>"
    )
    cells = {t: _target_cell(t, text) for t, text in finding.equivalents.items()}
    concept = (
        f' · concept <a href="{prefix}{_e(idiom.concept)}.html">{_e(idiom.concept)}</a>'
        if idiom.concept
        else ""
    )
    return (
        f'<article class="difference" id="finding-{number}">'
        f"<h3>{_badge(finding.severity)} <code>{_e(idiom.id)}</code>: {_e(idiom.title)}</h3>"
        f'<p class="assert">The equivalent side by side: <a href="{prefix}{_e(idiom.page)}">'
        f"{_e(idiom.page)}</a>{concept}</p>"
        + _cells(first, list(finding.equivalents), cells)
        + _differences_html(finding.differences, prefix)
        + "</article>"
    )


def findings_html(report: Report, prefix: str = "") -> str:
    """The findings, one section per file; links relative to the site's root via *prefix*."""
    out = [f'<p class="counts">{_e(report.summary())}</p>']
    number = 0
    for path, findings in report.by_file().items():
        out.append(f"<section><h2><code>{_e(path)}</code></h2>")
        for finding in findings:
            number += 1
            out.append(_finding_html(finding, number, prefix))
        out.append("</section>")
    if report.errors:
        out.append('<section><h2>Not scanned</h2><ul class="warning">')
        out.extend(f"<li><code>{_e(error)}</code></li>" for error in report.errors)
        out.append("</ul></section>")
    return "".join(out)


def render_html(report: Report) -> str:
    """A page of its own (the stylesheet inlined), for ``port --format html``."""
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]  # no stubs

    from rosetta.site.pages import stylesheet

    # The site highlights code in pygments' "friendly" style; so does this page.
    highlight_css = HtmlFormatter(cssclass="hl", style="friendly").get_style_defs(".hl")
    targets = " and ".join(_LABEL[t] for t in report.targets)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Porting report · async-rosetta</title>
<style>
{stylesheet()}
{highlight_css}
</style>
</head>
<body>
<main id="main">
<h1>Porting report: asyncio to {_e(targets)}</h1>
<p class="lede">Each asyncio idiom <code>async-rosetta port</code> found, with your line beside
its equivalent, the severity (<em>breaks</em>: the equivalent behaves differently in a way the
test matrix asserts; <em>rewrite</em>: no one-to-one equivalent; <em>rename</em>: mechanical) and
the tests that assert the differences. The links lead to the pages of
<code>async-rosetta site OUTDIR</code>: keep this file in that directory to follow them.</p>
{findings_html(report)}
</main>
</body>
</html>
"""


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        return render_html(report)
    return render_text(report)


# -- the site's Porting page --------------------------------------------------------------------


def _idiom_html(idiom: Idiom, index: Index) -> str:
    cited = differences_for(idiom, TARGETS, index)
    applying = {t for d in cited for t in d.targets}
    badges = []
    for target in TARGETS:
        value = severity(idiom, (target,), applying)
        badges.append(_badge(value, f"{_LABEL[target]}: {value}"))
    asyncio_cells = "; ".join(index.mapping[label].asyncio for label in idiom.mapping)
    first = (
        '<div class="cell pkg-impl_asyncio"><p class="where"><span class="pkg">asyncio</span>'
        f"</p><p>{_inline(asyncio_cells)}</p></div>"
    )
    cells = {t: _target_cell(t, equivalent(idiom, t, index)) for t in TARGETS}
    where = (
        f'Concept: <a href="{_e(idiom.page)}">{_e(idiom.concept)}</a>'
        + (
            " (" + ", ".join(f"<code>{_e(n)}</code>" for n in idiom.names) + ")"
            if idiom.names
            else ""
        )
        if idiom.concept
        else "No concept module covers it: the mapping table is the reference."
    )
    return (
        f'<article class="difference" id="idiom-{_e(idiom.id)}">'
        f"<h3><code>{_e(idiom.id)}</code>: {_e(idiom.title)}</h3>"
        f'<p class="counts">{" ".join(badges)}</p><p class="assert">{where}</p>'
        + _cells(first, TARGETS, cells)
        + _differences_html(cited, "")
        + "</article>"
    )


def porting_page(site: Site) -> str:
    """``porting.html``: the walk-through, then every idiom the command recognises."""
    from rosetta.port.walkthrough import AFTER, BEFORE, walkthrough_report
    from rosetta.site.pages import page
    from rosetta.site.text import code_html

    index = load_index()
    report = walkthrough_report()
    body = [
        "<h1>Porting asyncio code</h1>",
        '<p class="lede"><code>async-rosetta port PATH...</code> reads Python files with '
        "<code>ast</code> (it never imports or runs them) and reports each asyncio idiom "
        "with its equivalent in Trio and in <code>shared</code>, the concept page that "
        "shows the three side by side, and the differences the test matrix asserts. The "
        "equivalents are the README's mapping table; the differences are the tests marked "
        "<code>differs</code>. <code>--format json</code> and <code>--format html</code> "
        "give the same findings as data or as a page like this one.</p>",
        '<nav class="jump" aria-label="On this page"><span>On this page:</span> '
        '<a href="#walkthrough">the walk-through</a> <a href="#idioms">the idioms</a></nav>',
        '<section id="walkthrough"><h2>The walk-through</h2>',
        f"<p>Before: <code>{_e(BEFORE.name)}</code>, a small asyncio program written the "
        "usual asyncio way.</p>",
        code_html(BEFORE.read_text(encoding="utf-8")),
        f"<p>What <code>async-rosetta port {_e(BEFORE.name)}</code> says:</p>",
        findings_html(report),
        f"<p>After: <code>{_e(AFTER.name)}</code>, the same program on <code>shared</code>; "
        "it gives the same result on asyncio and on Trio, and the command finds nothing "
        "in it.</p>",
        code_html(AFTER.read_text(encoding="utf-8")),
        "</section>",
        '<section id="idioms"><h2>The idioms</h2>',
        f"<p>{len(IDIOMS)} idioms. The severity is per target: <em>rename</em> when there is "
        "a one-to-one equivalent, <em>breaks</em> when there is one but a test marked "
        "<code>differs</code> asserts that it behaves otherwise, <em>rewrite</em> when "
        "there is none.</p>",
        *(_idiom_html(idiom, index) for idiom in IDIOMS),
        "</section>",
    ]
    return page(site, filename="porting.html", title="Porting", body="".join(body))
