"""Text rendering for the site: escaping, docstrings as reStructuredText, highlighted code."""

from __future__ import annotations

import ast
import html
import inspect
import re
from typing import Any

from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import PythonLexer  # type: ignore[import-untyped]
from pygments.token import STANDARD_TYPES  # type: ignore[import-untyped]

from rosetta import rst
from rosetta.concepts import (
    Segment,
)

_FORMATTER = HtmlFormatter(cssclass="hl", style="friendly")

__all__ = [
    "code_html",
    "e",
    "inline",
    "prose",
    "split_docstring",
]


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
